"""The JSON API's creates take an optional `Idempotency-Key` header: a retry with the same key
creates nothing and answers 200 with what the first call created (201). Registering a patient
whose legal name and date of birth match one of the clinic's answers 409 naming that MRN
unless `"confirm_duplicate": true`."""

from __future__ import annotations

import json
from typing import Any

from ketacare.patients.models import Allergy, BodyMeasurement, Diagnosis, Patient

NEW = {
    "legal_given_name": "Mary",
    "legal_family_name": "Shelley",
    "birth_date": "1990-08-30",
    "sex_at_birth": "female",
    "phone": "555-010-0199",
}


def _post(api: Any, path: str, body: dict[str, Any], key: str = "") -> Any:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(
        "/api/v1/patients" + path, json.dumps(body), content_type="application/json", **headers
    )


def test_a_retried_registration_with_the_same_key_creates_one_patient(
    world: Any, token_for: Any, api_client: Any
) -> None:
    api = api_client(token_for(world.intake_a))
    key = "3f1c6a52-1b1e-4c55-9a59-0d7f0c0b7e11"
    first = _post(api, "", NEW, key)
    again = _post(api, "", NEW, key)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["mrn"] == first.json()["mrn"]
    assert Patient.objects.filter(legal_family_name="Shelley").count() == 1


def test_retried_chart_additions_store_once(world: Any, token_for: Any, api_client: Any) -> None:
    api = api_client(token_for(world.prescriber_a))
    base = f"/{world.patient_a.pk}"
    for path, body in (
        ("/diagnoses", {"icd10_code": "F33.2"}),
        ("/allergies", {"substance": "Penicillin"}),
        ("/measurements", {"weight_kg": "71"}),
    ):
        key = f"retry-{path.strip('/')}"
        first, again = _post(api, base + path, body, key), _post(api, base + path, body, key)
        assert (first.status_code, again.status_code) == (201, 200), path
        assert again.json()["id"] == first.json()["id"]
    assert Diagnosis.objects.filter(patient=world.patient_a).count() == 1
    assert Allergy.objects.filter(patient=world.patient_a, is_active=True).count() == 1
    assert BodyMeasurement.objects.filter(patient=world.patient_a).count() == 2
    # Without a key every call creates, as before.
    _post(api, base + "/allergies", {"substance": "Latex"})
    _post(api, base + "/allergies", {"substance": "Latex"})
    assert Allergy.objects.filter(patient=world.patient_a, substance="Latex").count() == 2


def test_a_key_reused_for_another_create_or_malformed_is_refused(
    world: Any, token_for: Any, api_client: Any
) -> None:
    api = api_client(token_for(world.prescriber_a))
    base = f"/{world.patient_a.pk}"
    assert _post(api, base + "/allergies", {"substance": "Sulfa"}, "same-key-1").status_code == 201
    reused = _post(api, base + "/diagnoses", {"icd10_code": "F33.2"}, "same-key-1")
    assert reused.status_code == 422
    assert reused.json()["errors"][0]["field"] == "Idempotency-Key"
    assert "already used for a different request" in reused.json()["error"]
    bad = _post(api, base + "/diagnoses", {"icd10_code": "F33.2"}, "short")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Diagnosis.objects.filter(patient=world.patient_a).exists()


def test_a_same_name_and_birth_date_answers_409_naming_the_mrn(
    world: Any, token_for: Any, api_client: Any
) -> None:
    api = api_client(token_for(world.intake_a))
    twin = {
        **NEW,
        "legal_given_name": "Ada",
        "legal_family_name": "Lovelace",
        "birth_date": "1985-04-12",
    }
    refused = _post(api, "", twin)
    assert refused.status_code == 409
    assert refused.json()["errors"][0]["field"] == "confirm_duplicate"
    assert f"MRN {world.patient_a.mrn}" in refused.json()["error"]
    assert world.clinic_a.patients.filter(birth_date="1985-04-12").count() == 1
    anyway = _post(api, "", {**twin, "confirm_duplicate": True})
    assert anyway.status_code == 201
    assert world.clinic_a.patients.filter(birth_date="1985-04-12").count() == 2
