"""POST QuestionnaireResponse with If-None-Exist: KetaCare has no conditional create for
responses (CapabilityStatement: conditionalCreate false). The header was ignored, so a
client resending with it stored, scored and flagged the same answers twice; it answers 400
naming the header and stores nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.measures.models import Assessment

pytestmark = pytest.mark.django_db


def gad7(patient: Any) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://ketacare.org/fhir/Questionnaire/gad7",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient.pk}"},
        "authored": "2026-01-05T10:00:00-05:00",
        "item": [{"linkId": f"gad7-{i}", "answer": [{"valueInteger": 1}]} for i in range(1, 8)],
    }


def test_a_conditional_create_of_a_response_is_refused_not_stored_twice(
    world: Any, nurse: Client
) -> None:
    before = Assessment.objects.count()
    for _ in range(2):
        response = nurse.post(
            "/fhir/QuestionnaireResponse",
            data=json.dumps(gad7(world.patient_a)),
            content_type="application/fhir+json",
            headers={"If-None-Exist": "identifier=urn:ehr:forms|f-1"},
        )
        assert response.status_code == 400, response.content
        body = response.json()
        OperationOutcome.model_validate(body)
        assert body["issue"][0]["expression"] == ["If-None-Exist"]
    assert Assessment.objects.count() == before


def test_the_capability_statement_still_says_no_conditional_create(client: Client) -> None:
    resources = client.get("/fhir/metadata").json()["rest"][0]["resource"]
    qr = next(r for r in resources if r["type"] == "QuestionnaireResponse")
    assert qr["conditionalCreate"] is False
