"""A QuestionnaireResponse `authored` before year 1 in UTC (0001-01-01T00:00:00+14:00) passed
every check and failed while storing (OverflowError, a 500 page); it is refused 422 at
`QuestionnaireResponse.authored`, nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.measures.models import Assessment

pytestmark = pytest.mark.django_db


def gad7(patient: Any, authored: str) -> dict[str, Any]:
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://ketacare.org/fhir/Questionnaire/gad7",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient.pk}"},
        "authored": authored,
        "item": [{"linkId": f"gad7-{i}", "answer": [{"valueInteger": 0}]} for i in range(1, 8)],
    }


def test_an_authored_time_before_year_one_in_utc_is_refused(world: Any, nurse: Client) -> None:
    before = Assessment.objects.count()
    response = nurse.post(
        "/fhir/QuestionnaireResponse",
        data=json.dumps(gad7(world.patient_a, "0001-01-01T00:00:00+14:00")),
        content_type="application/fhir+json",
    )
    assert response.status_code == 422, response.content
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["expression"] == ["QuestionnaireResponse.authored"]
    assert Assessment.objects.count() == before
