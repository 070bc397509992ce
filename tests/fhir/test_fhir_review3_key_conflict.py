"""A monitor message whose key (identifier or If-None-Exist) is already another reading's is
refused with 409 naming the key, nothing stored. It was answered 200 with the old reading, so
a gateway whose message counter restarted (a reboot) lost every new reading without a word.
A true resend (the same reading) still answers 200 with the stored Observation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.accounts.audit import AuditEntry
from ketacare.fhir.models import ReceivedObservation
from ketacare.treatments.models import SessionAlert, TreatmentSession, VitalReading
from tests.fhir.device_helpers import GATEWAY, observation, post
from tests.fhir.test_fhir_device_bundle import bundle, entry, send

pytestmark = pytest.mark.django_db


def _device(session: TreatmentSession) -> Any:
    return VitalReading.objects.filter(session=session, source="device")


def _issue(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    OperationOutcome.model_validate(response.json())
    issue: dict[str, Any] = response.json()["issue"][0]
    return issue


def test_a_key_reused_for_another_value_is_a_409_not_a_lost_reading(
    session: TreatmentSession, nurse: Client
) -> None:
    at = timezone.now() - timedelta(minutes=2)
    first = observation(session, "8867-4", 72, unit="/min", identifier="msg-1", at=at)
    assert post(nurse, first).status_code == 201
    assert post(nurse, first).status_code == 200  # the same message again: its reading
    # After a reboot the gateway's counter starts again at msg-1: a new, alarming reading.
    later = observation(
        session, "8867-4", 135, unit="/min", identifier="msg-1", at=at + timedelta(minutes=1)
    )
    issue = _issue(post(nurse, later), 409)
    assert issue["code"] == "duplicate"
    assert issue["expression"] == ["Observation.identifier[0]"]
    assert f"{GATEWAY}|msg-1" in issue["diagnostics"]
    assert "Observation/reading-" in issue["diagnostics"]
    assert _device(session).count() == 1
    assert not SessionAlert.objects.filter(session=session, code__startswith="hr").exists()
    # The header key names the header.
    header = {"If-None-Exist": f"identifier={GATEWAY}|msg-1"}
    other = observation(session, "59408-5", 96, unit="%", at=at)
    assert _issue(post(nurse, other, **header), 409)["expression"] == ["If-None-Exist"]
    assert _device(session).count() == 1 and ReceivedObservation.objects.count() == 1
    # Naming the stored reading in the refusal shows it: audited as a read, like the 200.
    named = AuditEntry.objects.filter(
        action="fhir.observation.read", detail__via="identifier-conflict"
    )
    assert named.count() == 2


def test_a_bundle_entry_reusing_a_stored_key_for_another_reading(
    session: TreatmentSession, nurse: Client
) -> None:
    at = timezone.now() - timedelta(minutes=3)
    hr = observation(session, "8867-4", 80, unit="/min", at=at)
    assert send(nurse, bundle("batch", entry(hr, "k-1"))).status_code == 200
    spo2 = observation(session, "59408-5", 88, unit="%", at=at + timedelta(minutes=1))
    new = observation(session, "8867-4", 81, unit="/min", at=at + timedelta(minutes=1))
    # batch: the conflicting entry is refused on its own, the others are answered.
    response = send(nurse, bundle("batch", entry(new), entry(spo2, "k-1"), entry(hr, "k-2")))
    assert response.status_code == 200, response.content
    Bundle.model_validate(response.json())
    results = [e["response"] for e in response.json()["entry"]]
    assert [r["status"] for r in results] == ["201 Created", "409 Conflict", "201 Created"]
    issue = results[1]["outcome"]["issue"][0]
    assert issue["expression"] == ["Bundle.entry[1].request.ifNoneExist"]
    assert _device(session).count() == 3
    # transaction: all or nothing.
    newer = observation(session, "8867-4", 82, unit="/min", at=at + timedelta(minutes=2))
    spo2["identifier"] = [{"system": GATEWAY, "value": "k-1"}]
    response = send(nurse, bundle("transaction", entry(newer), entry(spo2)))
    issue = _issue(response, 409)
    assert issue["expression"] == ["Bundle.entry[1].resource.identifier[0]"]
    assert _device(session).count() == 3
    named = AuditEntry.objects.filter(
        action="fhir.observation.read", detail__via="identifier-conflict"
    )
    assert named.count() == 2  # the batch's refused entry and the transaction's
