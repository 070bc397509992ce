"""Two entries of one Bundle with the same idempotency key but different readings: the second
reading must not vanish behind a "200 OK" pointing at the first one's Observation. A batch
refuses that entry (422 naming it) and stores the first; a transaction stores nothing. An exact
repeat keeps answering 200 with the first entry's Observation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.fhir.models import ReceivedObservation
from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.fhir.device_helpers import GATEWAY, observation

pytestmark = pytest.mark.django_db


def entry(resource: dict[str, Any], key: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "POST", "url": "Observation"}
    if key is not None:
        request["ifNoneExist"] = f"identifier={GATEWAY}|{key}"
    return {"resource": resource, "request": request}


def send(client: Client, kind: str, *entries: dict[str, Any]) -> Any:
    body = {"resourceType": "Bundle", "type": kind, "entry": list(entries)}
    return client.post("/fhir/", data=json.dumps(body), content_type="application/fhir+json")


def device(session: TreatmentSession) -> Any:
    return VitalReading.objects.filter(session=session, source="device")


def test_a_batch_refuses_an_entry_reusing_a_key_for_another_reading(
    session: TreatmentSession, nurse: Client
) -> None:
    response = send(
        nurse,
        "batch",
        entry(observation(session, "8867-4", 80, unit="/min"), "dup"),
        entry(observation(session, "59408-5", 91, unit="%"), "dup"),
    )
    assert response.status_code == 200, response.content
    body = response.json()
    Bundle.model_validate(body)
    first, second = (e["response"] for e in body["entry"])
    assert first["status"] == "201 Created"
    assert second["status"].startswith("422")
    OperationOutcome.model_validate(second["outcome"])
    issue = second["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].request.ifNoneExist"]
    assert "Bundle.entry[0]" in issue["diagnostics"]
    stored = device(session).get()
    assert stored.heart_rate_bpm == 80 and stored.spo2_pct is None
    assert ReceivedObservation.objects.count() == 1


def test_a_transaction_reusing_a_key_for_another_reading_stores_nothing(
    session: TreatmentSession, nurse: Client
) -> None:
    hr = observation(session, "8867-4", 80, unit="/min", identifier="dup")
    spo2 = observation(session, "59408-5", 91, unit="%", identifier="dup")
    response = send(nurse, "transaction", entry(hr), entry(spo2))
    assert response.status_code == 422, response.content
    body = response.json()
    OperationOutcome.model_validate(body)
    assert body["issue"][0]["expression"] == ["Bundle.entry[1].resource.identifier[0]"]
    assert not device(session).exists()
    assert not ReceivedObservation.objects.exists()


def test_an_exact_repeat_inside_a_bundle_still_answers_the_first_observation(
    session: TreatmentSession, nurse: Client
) -> None:
    hr = observation(session, "8867-4", 80, unit="/min")
    response = send(nurse, "transaction", entry(hr, "same"), entry(hr, "same"))
    assert response.status_code == 200, response.content
    first, second = (e["response"] for e in response.json()["entry"])
    assert (first["status"], second["status"]) == ("201 Created", "200 OK")
    assert first["location"] == second["location"]
    assert device(session).count() == 1
