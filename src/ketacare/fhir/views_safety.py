"""FHIR endpoints for suicide-risk safety: Flag (risk flags) and RiskAssessment (C-SSRS).

Like the clinical endpoints: everything runs inside the token's clinic; an id of another clinic
answers the same audited 404 as an unknown one; `?patient=` of another clinic gives an empty
searchset; reads and searches need `patients.view` and are audited.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ketacare.fhir.flag import (
    FLAG_PARAMS,
    RISK_PARAMS,
    flag_row,
    flag_to_fhir,
    parse_flag_id,
    parse_risk_id,
    risk_assessment_to_fhir,
    risk_row,
    run_flag_search,
    run_risk_search,
)
from ketacare.fhir.http import fhir_endpoint
from ketacare.fhir.views_clinical import _single, answer_read, clinical_search, found_or_404


@fhir_endpoint("GET")
def flag_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        FLAG_PARAMS,
        _single(run_flag_search, flag_to_fhir),
        "fhir:flag_instance",
        "fhir.flag.searched",
        "risk_flag",
    )


@fhir_endpoint("GET")
def flag_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_flag_id(resource_id), getattr(request, "clinic", None)
    found = flag_row(clinic, pk) if pk is not None and clinic is not None else None
    flag = found_or_404(request, found, resource_id, "risk_flag")
    return answer_read(
        request,
        flag_to_fhir(flag),
        action="fhir.flag.read",
        object_type="risk_flag",
        object_id=flag.pk,
        patient_id=flag.patient_id,
    )


@fhir_endpoint("GET")
def risk_assessment_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        RISK_PARAMS,
        _single(run_risk_search, risk_assessment_to_fhir),
        "fhir:risk_assessment_instance",
        "fhir.risk_assessment.searched",
        "assessment",
    )


@fhir_endpoint("GET")
def risk_assessment_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_risk_id(resource_id), getattr(request, "clinic", None)
    found = risk_row(clinic, pk) if pk is not None and clinic is not None else None
    assessment = found_or_404(request, found, resource_id, "assessment")
    return answer_read(
        request,
        risk_assessment_to_fhir(assessment),
        action="fhir.risk_assessment.read",
        object_type="assessment",
        object_id=assessment.pk,
        patient_id=assessment.patient_id,
    )
