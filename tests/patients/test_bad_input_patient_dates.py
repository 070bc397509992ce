"""A date before the patient was born (a wrong year: 1900 for 2000) is refused on the chart and
over the API, naming the field in words, with everything typed kept and nothing stored."""

from __future__ import annotations

import json
from typing import Any

from ketacare.patients.models import BodyMeasurement, Diagnosis


def test_a_measurement_dated_before_birth_is_refused(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    before = BodyMeasurement.objects.filter(patient=world.patient_a).count()
    refused = client.post(
        f"/patients/{world.patient_a.pk}/measurements/",
        {"weight_kg": "70", "measured_at": "1900-01-01T10:00", "note": "scale <b>B</b>"},
    )
    body = refused.content.decode()
    assert refused.status_code == 400
    assert "cannot be before the patient&#x27;s date of birth (12 Apr 1985)" in body
    assert "measured_at:" not in body
    assert 'value="1900-01-01T10:00"' in body and "scale &lt;b&gt;B&lt;/b&gt;" in body
    assert BodyMeasurement.objects.filter(patient=world.patient_a).count() == before


def test_a_diagnosis_onset_before_birth_is_refused(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    refused = client.post(
        f"/patients/{world.patient_a.pk}/diagnoses/",
        {"icd10_code": "F33.2", "status": "active", "onset_date": "1200-01-01", "note": "kept"},
    )
    body = refused.content.decode()
    assert refused.status_code == 400
    assert "Onset cannot be before the patient&#x27;s date of birth" in body
    assert 'value="1200-01-01"' in body and "kept" in body
    assert not Diagnosis.objects.filter(patient=world.patient_a).exists()
    ok = client.post(
        f"/patients/{world.patient_a.pk}/diagnoses/",
        {"icd10_code": "F33.2", "status": "active", "onset_date": "1985-04-12"},
    )
    assert ok.status_code == 302


def test_the_api_refuses_the_same_dates(world: Any, token_for: Any, api_client: Any) -> None:
    api = api_client(token_for(world.prescriber_a))
    base = f"/api/v1/patients/{world.patient_a.pk}"

    def post(path: str, body: dict[str, Any]) -> Any:
        return api.post(base + path, json.dumps(body), content_type="application/json")

    onset = post("/diagnoses", {"icd10_code": "F33.2", "onset_date": "1200-01-01"})
    assert onset.status_code == 422
    assert onset.json()["errors"][0]["field"] == "onset_date"
    weighed = post("/measurements", {"weight_kg": "70", "measured_at": "1900-01-01T10:00:00Z"})
    assert weighed.status_code == 422
    assert weighed.json()["errors"][0]["field"] == "measured_at"
    assert not Diagnosis.objects.filter(patient=world.patient_a).exists()
    assert BodyMeasurement.objects.filter(patient=world.patient_a).count() == 1
