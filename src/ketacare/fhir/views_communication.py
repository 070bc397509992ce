"""FHIR Communication (portal messages): read and search, the token's clinic only, audited
(`fhir.communication.read` / `.searched`), `patients.view`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from fhir.resources.R4B.communication import Communication

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import Source
from ketacare.fhir.communication import (
    COMMUNICATION_PARAMS,
    communication_row,
    communication_to_fhir,
    parse_communication_id,
    run_communication_search,
)
from ketacare.fhir.http import fhir_endpoint
from ketacare.fhir.measures_search import Search
from ketacare.fhir.r4 import validated
from ketacare.fhir.views_clinical import answer_read, clinical_search, found_or_404
from ketacare.fhir.views_plans import clinic_of
from ketacare.portal.models import Message


def communication_resource(message: Message) -> dict[str, Any]:
    return validated(Communication, communication_to_fhir(message))


def _sources(clinic: Clinic, search: Search) -> list[Source]:
    rows = run_communication_search(clinic, search)
    return [Source(rows, lambda message: message.sent_at, communication_resource)]


@fhir_endpoint("GET")
def communication_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        COMMUNICATION_PARAMS,
        _sources,
        "fhir:communication_instance",
        "fhir.communication.searched",
        "communication",
    )


@fhir_endpoint("GET")
def communication_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_communication_id(resource_id), clinic_of(request)
    found = communication_row(clinic, pk) if pk is not None and clinic is not None else None
    message = found_or_404(request, found, resource_id, "communication")
    return answer_read(
        request,
        communication_resource(message),
        action="fhir.communication.read",
        object_type="communication",
        object_id=message.pk,
        patient_id=message.thread.patient_id,
    )
