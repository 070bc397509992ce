"""The JSON API: bearer tokens, clinic scope, validation errors that name the field."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.patients.models import Patient

NEW = {
    "legal_given_name": "Rosalind",
    "legal_family_name": "Franklin",
    "birth_date": "1980-07-25",
    "sex_at_birth": "female",
    "phone": "555-010-0111",
}


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=body, content_type="application/json")


def test_openapi_schema_and_docs_page_are_served(client: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "KetaCare API"
    assert "/api/v1/patients/search" in schema["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_calls_without_a_valid_token_get_401(db: Any, api_client: Any, client: Any) -> None:
    assert client.get("/api/v1/me").status_code == 401
    response = api_client("kc_deadbeef_not-a-real-token").get("/api/v1/me")
    assert response.status_code == 401
    assert "token" in response.json()["error"]
    assert AuditEntry.objects.filter(action="api.auth.failed", actor_label="kc_deadbeef").exists()


def test_nurse_registers_reads_and_searches_a_patient(
    world: Any, token_for: Any, api_client: Any
) -> None:
    client = api_client(token_for(world.nurse_a))
    created = _post(client, "/api/v1/patients", NEW)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["mrn"].startswith("ALP") and body["legal_family_name"] == "Franklin"
    read = client.get(f"/api/v1/patients/{body['id']}")
    assert read.status_code == 200 and read.json()["phone"] == "555-010-0111"
    found = _post(client, "/api/v1/patients/search", {"q": "frank"}).json()
    assert found["count"] == 1 and found["results"][0]["id"] == body["id"]
    assert AuditEntry.objects.filter(action="patients.chart.viewed", patient_id=body["id"]).exists()


def test_validation_errors_name_the_field_and_store_nothing(
    world: Any, token_for: Any, api_client: Any
) -> None:
    client = api_client(token_for(world.nurse_a))
    before = Patient.objects.count()
    cases = {
        "birth_date": {**NEW, "birth_date": "2999-01-01"},
        "phone": {**NEW, "phone": "not a phone"},
        "sex_at_birth": {**NEW, "sex_at_birth": "robot"},
        "legal_family_name": {k: v for k, v in NEW.items() if k != "legal_family_name"},
    }
    for field, body in cases.items():
        response = _post(client, "/api/v1/patients", body)
        assert response.status_code == 422, (field, response.content)
        assert response.json()["errors"][0]["field"] == field, response.json()
    not_json = client.post("/api/v1/patients", data="{", content_type="application/json")
    assert not_json.status_code in (400, 422)
    assert Patient.objects.count() == before


def test_patch_changes_only_given_fields(world: Any, token_for: Any, api_client: Any) -> None:
    client = api_client(token_for(world.nurse_a))
    url = f"/api/v1/patients/{world.patient_a.pk}"
    response = client.patch(url, data={"pronouns": "she/her"}, content_type="application/json")
    assert response.status_code == 200
    world.patient_a.refresh_from_db()
    assert world.patient_a.pronouns == "she/her" and world.patient_a.phone == "555-010-0100"
    bad = client.patch(url, data={"birth_date": "3000-01-01"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "birth_date"


def test_clinical_sub_records_follow_the_role_matrix(
    world: Any, token_for: Any, api_client: Any
) -> None:
    nurse = api_client(token_for(world.nurse_a))
    prescriber = api_client(token_for(world.prescriber_a))
    base = f"/api/v1/patients/{world.patient_a.pk}"
    assert _post(nurse, f"{base}/diagnoses", {"icd10_code": "F33.2"}).status_code == 403
    dx = _post(prescriber, f"{base}/diagnoses", {"icd10_code": "F43.10"})
    assert dx.status_code == 201 and dx.json()["display"].startswith("Post-traumatic")
    bad = _post(prescriber, f"{base}/diagnoses", {"icd10_code": "F43.1"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "icd10_code"
    assert _post(nurse, f"{base}/allergies", {"substance": "Latex"}).status_code == 201
    weight = _post(nurse, f"{base}/measurements", {"weight_kg": "72.4", "height_cm": "180"})
    assert weight.status_code == 201 and weight.json()["bmi"] == "22.3"
    heavy = _post(nurse, f"{base}/measurements", {"weight_kg": "500"})
    assert heavy.status_code == 422 and heavy.json()["errors"][0]["field"] == "weight_kg"
    therapist = api_client(token_for(world.therapist_a))
    assert _post(therapist, "/api/v1/patients", NEW).status_code == 403


def test_audit_log_over_the_api_is_for_admins_and_directors(
    world: Any, token_for: Any, api_client: Any
) -> None:
    assert api_client(token_for(world.nurse_a)).get("/api/v1/audit").status_code == 403
    response = api_client(token_for(world.director_a)).get("/api/v1/audit?action=patients")
    assert response.status_code == 200
    assert all(r["action"].startswith("patients") for r in response.json()["results"])
