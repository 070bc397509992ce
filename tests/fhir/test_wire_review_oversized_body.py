"""A body over the server's upload limit (DATA_UPLOAD_MAX_MEMORY_SIZE) answers 413 with an
OperationOutcome, as every other FHIR error does, never Django's HTML 400 page; nothing is
stored."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.fhir.device_helpers import observation, post

pytestmark = pytest.mark.django_db


def _padded(session: TreatmentSession, size: int) -> dict[str, Any]:
    return observation(
        session, "8867-4", 80, unit="/min", text={"status": "generated", "div": "x" * size}
    )


def test_an_oversized_observation_answers_413_operation_outcome(
    settings: Any, session: TreatmentSession, nurse: Client
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    before = VitalReading.objects.filter(session=session).count()
    response = post(nurse, _padded(session, 40_000))
    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["code"] == "too-costly"
    assert "20000" in body["issue"][0]["diagnostics"]
    assert VitalReading.objects.filter(session=session).count() == before


def test_an_oversized_bundle_answers_413_operation_outcome(
    settings: Any, session: TreatmentSession, nurse: Client
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    before = VitalReading.objects.filter(session=session).count()
    entry = {
        "resource": _padded(session, 40_000),
        "request": {"method": "POST", "url": "Observation"},
    }
    bundle = {"resourceType": "Bundle", "type": "batch", "entry": [entry]}
    response = nurse.post("/fhir/", data=json.dumps(bundle), content_type="application/fhir+json")
    assert response.status_code == 413, response.content
    OperationOutcome.model_validate(response.json())
    assert VitalReading.objects.filter(session=session).count() == before


def test_an_oversized_form_search_answers_413_operation_outcome(
    settings: Any, nurse: Client
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20_000
    response = nurse.post(
        "/fhir/Patient/_search",
        data="name=" + "a" * 40_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413, response.content
    OperationOutcome.model_validate(response.json())
