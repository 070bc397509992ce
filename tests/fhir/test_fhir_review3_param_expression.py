"""A refused search parameter names itself in `issue.expression` ("http." + the parameter
name, R4's rule for HTTP parameters), on every search; a refused header names the header."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

pytestmark = pytest.mark.django_db


def _issue(response: Any, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    OperationOutcome.model_validate(body)
    issue: dict[str, Any] = body["issue"][0]
    return issue


@pytest.mark.parametrize(
    ("url", "expression"),
    [
        ("/fhir/Patient?foo=1", "http.foo"),
        ("/fhir/Patient?name:exact=Ada", "http.name:exact"),
        ("/fhir/Patient?birthdate=1985-13-01", "http.birthdate"),
        ("/fhir/Patient?_count=x", "http._count"),
        ("/fhir/Observation?foo=1", "http.foo"),
        ("/fhir/Observation?date=yesterday", "http.date"),
        ("/fhir/Observation?patient=Group/1", "http.patient"),
        ("/fhir/QuestionnaireResponse?authored=sa2026", "http.authored"),
        ("/fhir/Questionnaire?foo=1", "http.foo"),
        ("/fhir/Condition?patient=a,b", "http.patient"),
        ("/fhir/Flag?foo=1", "http.foo"),
        ("/fhir/Flag?status=gone", "http.status"),
        ("/fhir/RiskAssessment?subject=x", "http.subject"),
        ("/fhir/Encounter?status=walking", "http.status"),
        ("/fhir/MedicationAdministration?_offset=-1", "http._offset"),
        ("/fhir/Appointment?location=Room/1/2", "http.location"),
        ("/fhir/Location?foo=1", "http.foo"),
        ("/fhir/PlanDefinition?foo=1", "http.foo"),
        ("/fhir/AdverseEvent?foo=1", "http.foo"),
        ("/fhir/Communication?sent=2026-99", "http.sent"),
        ("/fhir/Goal?foo=1", "http.foo"),
    ],
)
def test_a_refused_search_parameter_is_named_in_expression(
    nurse: Client, url: str, expression: str
) -> None:
    issue = _issue(nurse.get(url))
    assert issue["code"] == "invalid"
    assert issue["expression"] == [expression]


def test_a_form_search_names_the_parameter_too(nurse: Client) -> None:
    response = nurse.post(
        "/fhir/Patient/_search", "nickname=Ada", content_type="application/x-www-form-urlencoded"
    )
    assert _issue(response)["expression"] == ["http.nickname"]


def test_a_bad_conditional_create_names_the_header(nurse: Client) -> None:
    body = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Curie", "given": ["Marie"]}],
        "birthDate": "1967-11-07",
        "gender": "female",
        "telecom": [{"system": "phone", "value": "555-201-0001"}],
    }
    for header in ("nickname=Marie", "birthdate=1967-02-30", ""):
        if not header:
            header = "_count=1"  # only result parameters: no search at all
        response = nurse.post(
            "/fhir/Patient",
            body,
            content_type="application/fhir+json",
            headers={"If-None-Exist": header},
        )
        issue = _issue(response)
        assert issue["expression"] == ["If-None-Exist"], header
        assert issue["diagnostics"].startswith("If-None-Exist")
    response = nurse.post(
        "/fhir/Patient",
        body,
        content_type="application/fhir+json",
        headers={"X-KetaCare-Confirm-Duplicate": "maybe"},
    )
    assert _issue(response)["expression"] == ["X-KetaCare-Confirm-Duplicate"]
