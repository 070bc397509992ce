"""GET /fhir/AdverseEvent[/{id}]: side effects at the chair, scoped to the token's clinic and
audited (`fhir.adverse_event.read` / `.searched`) like the other clinical resources."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ketacare.fhir.adverse_event import (
    ADVERSE_EVENT_PARAMS,
    adverse_event_row,
    adverse_event_to_fhir,
    parse_adverse_event_id,
    run_adverse_event_search,
)
from ketacare.fhir.http import fhir_endpoint
from ketacare.fhir.views_clinical import (
    _clinic,
    _single,
    answer_read,
    clinical_search,
    found_or_404,
)


@fhir_endpoint("GET")
def adverse_event_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        ADVERSE_EVENT_PARAMS,
        _single(run_adverse_event_search, adverse_event_to_fhir),
        "fhir:adverse_event_instance",
        "fhir.adverse_event.searched",
        "side_effect",
    )


@fhir_endpoint("GET")
def adverse_event_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_adverse_event_id(resource_id), _clinic(request)
    found = adverse_event_row(clinic, pk) if pk is not None and clinic is not None else None
    effect = found_or_404(request, found, resource_id, "side_effect")
    return answer_read(
        request,
        adverse_event_to_fhir(effect),
        action="fhir.adverse_event.read",
        object_type="side_effect",
        object_id=effect.pk,
        patient_id=effect.session.patient_id,
    )
