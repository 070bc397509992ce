"""GET /fhir/Patient/{id}: own clinic's patient as valid R4; anything else is a plain 404."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient

from ketacare.accounts.audit import AuditEntry
from tests.conftest import make_patient


def test_read_own_clinic_patient_returns_a_valid_r4_patient(
    world: Any, token_for: Any, api_client: Any
) -> None:
    patient = world.patient_a
    response = api_client(token_for(world.nurse_a)).get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    resource = FhirPatient.model_validate(response.json())
    assert resource.id == str(patient.pk)
    assert str(resource.birthDate) == "1985-04-12"
    assert resource.identifier[0].value == patient.mrn
    assert resource.name[0].use == "official" and resource.name[0].family == "Lovelace"
    assert resource.gender == "female"
    body = response.json()
    assert body["meta"]["lastUpdated"].endswith("Z")
    assert body["extension"] == [
        {
            "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
            "valueCode": "F",
        }
    ]
    assert body["telecom"] == [{"system": "phone", "value": "555-010-0100", "rank": 1}]


def test_a_read_is_audited(world: Any, token_for: Any, api_client: Any) -> None:
    patient = world.patient_a
    api_client(token_for(world.therapist_a)).get(f"/fhir/Patient/{patient.pk}")
    entry = AuditEntry.objects.filter(action="fhir.patient.read").order_by("-seq").first()
    assert entry is not None
    assert entry.patient_id == str(patient.pk)
    assert entry.actor_id == world.therapist_a.pk
    assert entry.actor_role == "therapist"
    assert entry.clinic_id == world.clinic_a.pk


@pytest.mark.parametrize(
    "persona",
    ["admin_a", "prescriber_a", "nurse_a", "therapist_a", "intake_a", "director_a"],
)
def test_every_clinic_role_can_read(
    world: Any, token_for: Any, api_client: Any, persona: str
) -> None:
    client = api_client(token_for(getattr(world, persona)))
    assert client.get(f"/fhir/Patient/{world.patient_a.pk}").status_code == 200


def test_preferred_name_address_and_emergency_contact_are_mapped(
    world: Any, token_for: Any, api_client: Any
) -> None:
    patient = make_patient(
        world.clinic_a,
        "Robert",
        "Smith",
        preferred_name="Bob",
        sex_at_birth="male",
        email="bob@example.org",
        preferred_contact="email",
        address_line="2 Elm St",
        city="Salem",
        region="OR",
        postal_code="97301",
        emergency_contact_name="Jane Smith",
        emergency_contact_relationship="spouse",
        emergency_contact_phone="555-010-0199",
    )
    body = api_client(token_for(world.nurse_a)).get(f"/fhir/Patient/{patient.pk}").json()
    FhirPatient.model_validate(body)
    assert body["name"][1] == {
        "use": "usual",
        "text": "Bob Smith",
        "family": "Smith",
        "given": ["Bob"],
    }
    assert body["telecom"][0] == {"system": "email", "value": "bob@example.org", "rank": 1}
    assert body["telecom"][1]["rank"] == 2
    assert body["address"] == [
        {
            "use": "home",
            "line": ["2 Elm St"],
            "city": "Salem",
            "state": "OR",
            "postalCode": "97301",
            "country": "US",
        }
    ]
    [contact] = body["contact"]
    assert contact["relationship"][0]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
            "code": "C",
            "display": "Emergency Contact",
        }
    ]
    assert contact["relationship"][0]["text"] == "spouse"
    assert contact["name"] == {"text": "Jane Smith"}
    assert body["extension"][0]["valueCode"] == "M"


@pytest.mark.parametrize(
    ("sex", "gender", "birthsex"),
    [
        ("female", "female", "F"),
        ("male", "male", "M"),
        ("unknown", "unknown", "UNK"),
        ("intersex", "other", None),
    ],
)
def test_sex_at_birth_maps_to_gender_and_birthsex(
    world: Any, token_for: Any, api_client: Any, sex: str, gender: str, birthsex: str | None
) -> None:
    patient = make_patient(world.clinic_a, "Sam", "Lee", sex_at_birth=sex)
    body = api_client(token_for(world.nurse_a)).get(f"/fhir/Patient/{patient.pk}").json()
    assert body["gender"] == gender
    codes = [e["valueCode"] for e in body.get("extension", []) if "valueCode" in e]
    assert codes == ([birthsex] if birthsex else [])


def test_clinic_b_token_gets_404_for_clinic_a_patient(
    world: Any, token_for: Any, api_client: Any
) -> None:
    patient = world.patient_a
    response = api_client(token_for(world.clinician_b)).get(f"/fhir/Patient/{patient.pk}")
    assert response.status_code == 404
    outcome = OperationOutcome.model_validate(response.json())
    assert outcome.issue[0].code == "not-found"
    text = response.content.decode()
    assert "Lovelace" not in text and patient.mrn not in text
    refused = AuditEntry.objects.filter(action="patients.access.refused").order_by("-seq").first()
    assert refused is not None
    assert refused.outcome == "denied"
    assert refused.actor_id == world.clinician_b.pk
    assert refused.object_id == str(patient.pk)
    assert not AuditEntry.objects.filter(action="fhir.patient.read").exists()


def test_another_clinics_patient_and_an_unknown_id_look_identical(
    world: Any, token_for: Any, api_client: Any
) -> None:
    client = api_client(token_for(world.clinician_b))
    foreign = client.get(f"/fhir/Patient/{world.patient_a.pk}")
    missing = client.get(f"/fhir/Patient/{uuid.uuid4()}")
    malformed = client.get("/fhir/Patient/not-a-uuid")
    assert foreign.status_code == missing.status_code == malformed.status_code == 404
    assert foreign.content == missing.content == malformed.content
    assert foreign["Content-Type"] == missing["Content-Type"]


def test_read_without_a_token_is_401(world: Any) -> None:
    response = Client().get(f"/fhir/Patient/{world.patient_a.pk}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert OperationOutcome.model_validate(response.json()).issue[0].code == "login"
    assert "Lovelace" not in response.content.decode()


def test_a_made_up_token_is_401_and_audited(world: Any, api_client: Any) -> None:
    response = api_client("kc_deadbeef_not-a-real-token").get(f"/fhir/Patient/{world.patient_a.pk}")
    assert response.status_code == 401
    assert AuditEntry.objects.filter(action="api.auth.failed", outcome="denied").exists()


@pytest.mark.parametrize("method", ["put", "delete", "patch", "post"])
def test_update_and_delete_are_not_supported(
    world: Any, token_for: Any, api_client: Any, method: str
) -> None:
    client = api_client(token_for(world.prescriber_a))
    response = getattr(client, method)(
        f"/fhir/Patient/{world.patient_a.pk}", data="{}", content_type="application/fhir+json"
    )
    assert response.status_code == 405
    assert response["Allow"] == "GET"
    assert OperationOutcome.model_validate(response.json()).issue[0].code == "not-supported"
