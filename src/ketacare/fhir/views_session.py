"""FHIR reads of treatment sessions as Encounter (`views_encounter` searches them with the
integration sessions), and reads and searches of MedicationAdministration.

As for the clinical record: everything inside the token's clinic; an id of another clinic
answers the same audited 404 as an unknown one; `patients.view` is needed; reads and searches
are audited (`fhir.encounter.read/searched`, `fhir.medication_administration.read/searched`).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ketacare.fhir.encounter import (
    encounter_row,
    encounter_to_fhir,
    parse_encounter_id,
)
from ketacare.fhir.http import fhir_endpoint
from ketacare.fhir.medication_administration import (
    MA_PARAMS,
    device_to_fhir,
    dose_to_fhir,
    ma_row,
    ma_sources,
    parse_ma_id,
)
from ketacare.fhir.views_clinical import answer_read, clinical_search, found_or_404
from ketacare.treatments.models import DeviceAdministration, DoseRecord


@fhir_endpoint("GET")
def encounter_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_encounter_id(resource_id), getattr(request, "clinic", None)
    found = encounter_row(clinic, pk) if pk is not None and clinic is not None else None
    session = found_or_404(request, found, resource_id, "session")
    return answer_read(
        request,
        encounter_to_fhir(session),
        action="fhir.encounter.read",
        object_type="session",
        object_id=session.pk,
        patient_id=session.patient_id,
    )


@fhir_endpoint("GET")
def medication_administration_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        MA_PARAMS,
        ma_sources,
        "fhir:medication_administration_instance",
        "fhir.medication_administration.searched",
        "dose",
    )


@fhir_endpoint("GET")
def medication_administration_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    parsed, clinic = parse_ma_id(resource_id), getattr(request, "clinic", None)
    found = ma_row(clinic, *parsed) if parsed is not None and clinic is not None else None
    row: DoseRecord | DeviceAdministration = found_or_404(  # type: ignore[assignment]
        request, found, resource_id, "dose"
    )
    if isinstance(row, DoseRecord):
        resource, session = dose_to_fhir(row), row.session
    else:
        resource, session = device_to_fhir(row), row.dose.session
    return answer_read(
        request,
        resource,
        action="fhir.medication_administration.read",
        object_type="dose" if isinstance(row, DoseRecord) else "device",
        object_id=row.pk,
        patient_id=session.patient_id,
    )
