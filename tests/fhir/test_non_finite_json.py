"""NaN, Infinity and numbers too large for a float are not JSON (RFC 8259 §6): every FHIR
endpoint refuses them with a 400 OperationOutcome naming where they are, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ketacare.patients.models import Patient
from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.fhir.device_helpers import observation

pytestmark = pytest.mark.django_db


def _post(client: Client, url: str, text: str) -> tuple[int, dict]:
    response = client.post(url, data=text, content_type="application/fhir+json")
    return response.status_code, response.json()


def test_a_bundle_entry_with_nan_is_named_and_nothing_is_stored(
    session: TreatmentSession, nurse: Client
) -> None:
    good = observation(session, "8867-4", 80, unit="/min")
    bad = observation(session, "8867-4", 12345, unit="/min")
    bundle = {
        "resourceType": "Bundle",
        "type": "batch",
        "entry": [
            {"resource": r, "request": {"method": "POST", "url": "Observation"}}
            for r in (good, bad)
        ],
    }
    status, body = _post(nurse, "/fhir/", json.dumps(bundle).replace("12345", "NaN"))
    assert status == 400 and body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["expression"] == ["Bundle.entry[1].resource.valueQuantity.value"]
    assert not VitalReading.objects.filter(session=session, source="device").exists()


@pytest.mark.parametrize("literal", ["Infinity", "-Infinity", "1e400", "NaN"])
def test_a_patient_with_a_non_finite_number_is_refused(nurse: Client, literal: str) -> None:
    patient = {
        "resourceType": "Patient",
        "name": [{"family": "Nguyen", "given": ["Lan"]}],
        "birthDate": "1980-01-01",
        "extension": [{"url": "http://example.org/x", "valueDecimal": 12345}],
    }
    before = Patient.objects.count()
    status, body = _post(nurse, "/fhir/Patient", json.dumps(patient).replace("12345", literal))
    assert status == 400, body
    assert body["issue"][0]["expression"] == ["Patient.extension[0].valueDecimal"]
    assert literal in body["issue"][0]["diagnostics"]
    assert Patient.objects.count() == before


def test_ordinary_decimals_still_pass_the_reader(session: TreatmentSession, nurse: Client) -> None:
    status, _ = _post(
        nurse, "/fhir/Observation", json.dumps(observation(session, "8310-5", 36.8, unit="Cel"))
    )
    assert status == 201
