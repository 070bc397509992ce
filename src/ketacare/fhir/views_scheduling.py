"""FHIR endpoints for scheduling: Appointment and Location.

- Appointments are patient data: `patients.view`, the token's clinic only, audited
  (`fhir.appointment.read` / `.searched`) through the shared clinical plumbing; another
  clinic's appointment answers the same audited 404 as an unknown id.
- Locations (chairs and rooms) are the clinic's set-up, not patient data: a token is needed,
  no permission, not audited (`views_plans.definition_search`), the token's clinic only.
Every resource is validated against its R4B model before it is sent (`r4.validated`).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from fhir.resources.R4B.appointment import Appointment as FhirAppointment
from fhir.resources.R4B.location import Location

from ketacare.accounts.models import Clinic
from ketacare.fhir.appointment import (
    APPOINTMENT_PARAMS,
    appointment_row,
    appointment_to_fhir,
    parse_appointment_id,
    run_appointment_search,
)
from ketacare.fhir.clinical_common import Source
from ketacare.fhir.http import fhir_endpoint
from ketacare.fhir.location import (
    LOCATION_PARAMS,
    location_row,
    location_to_fhir,
    parse_location_id,
    run_location_search,
)
from ketacare.fhir.measures_search import Search
from ketacare.fhir.outcome import fhir_response
from ketacare.fhir.r4 import validated
from ketacare.fhir.views_clinical import answer_read, clinical_search, found_or_404
from ketacare.fhir.views_plans import clinic_of, definition_or_404, definition_search
from ketacare.scheduling.models import Appointment, Resource

# --- Appointment -----------------------------------------------------------------------


def _appointment(appointment: Appointment) -> dict[str, Any]:
    return validated(FhirAppointment, appointment_to_fhir(appointment))


def _appointment_sources(clinic: Clinic, search: Search) -> list[Source]:
    rows = run_appointment_search(clinic, search)
    return [Source(rows, lambda appointment: appointment.starts_at, _appointment)]


@fhir_endpoint("GET")
def appointment_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        APPOINTMENT_PARAMS,
        _appointment_sources,
        "fhir:appointment_instance",
        "fhir.appointment.searched",
        "appointment",
    )


@fhir_endpoint("GET")
def appointment_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_appointment_id(resource_id), clinic_of(request)
    found = appointment_row(clinic, pk) if pk is not None and clinic is not None else None
    appointment = found_or_404(request, found, resource_id, "appointment")
    return answer_read(
        request,
        _appointment(appointment),
        action="fhir.appointment.read",
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
    )


# --- Location --------------------------------------------------------------------------


def _location(resource: Resource) -> dict[str, Any]:
    return validated(Location, location_to_fhir(resource))


@fhir_endpoint("GET")
def location_type(request: HttpRequest) -> HttpResponse:
    return definition_search(
        request, LOCATION_PARAMS, run_location_search, _location, "fhir:location_instance"
    )


@fhir_endpoint("GET")
def location_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_location_id(resource_id), clinic_of(request)
    found = location_row(clinic, pk) if pk is not None and clinic is not None else None
    return fhir_response(_location(definition_or_404(found)))
