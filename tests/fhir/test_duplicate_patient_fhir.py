"""POST /fhir/Patient for a person the clinic already has (same legal name and date of birth):
409 `duplicate` naming the existing Patient, nothing created, unless the request confirms a
different person with `X-KetaCare-Confirm-Duplicate: true`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.audit import AuditEntry
from ketacare.patients.models import Patient

FHIR_JSON = "application/fhir+json"
CONFIRM = "X-KetaCare-Confirm-Duplicate"


def ada(**changes: Any) -> dict[str, Any]:
    """The world's patient_a (Ada Lovelace, born 12 April 1985), as another system sends her."""
    body: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "LOVELACE", "given": ["ada"]}],
        "birthDate": "1985-04-12",
        "gender": "female",
        "telecom": [{"system": "phone", "value": "555-010-0199"}],
    }
    body.update(changes)
    return body


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(
        "/fhir/Patient", data=json.dumps(body), content_type=FHIR_JSON, headers=headers
    )


@pytest.fixture
def intake(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.intake_a))


def test_same_name_and_birth_date_is_409_naming_the_existing_patient(
    world: Any, intake: Client
) -> None:
    before = Patient.objects.count()
    response = post(intake, ada())
    assert response.status_code == 409
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    [issue] = body["issue"]
    assert issue["code"] == "duplicate"
    assert issue["expression"] == ["Patient.name"]
    assert f"Patient/{world.patient_a.pk}" in issue["diagnostics"]
    assert f"MRN {world.patient_a.mrn}" in issue["diagnostics"]
    assert CONFIRM in issue["diagnostics"]
    assert Patient.objects.count() == before
    # Naming another chart is audited as a read of it.
    assert AuditEntry.objects.filter(
        action="fhir.patient.read", patient_id=str(world.patient_a.pk)
    ).exists()


def test_accents_are_aside_as_on_the_staff_page(world: Any, intake: Client) -> None:
    Patient.objects.filter(pk=world.patient_a.pk).update(legal_family_name="Lövelace")
    assert post(intake, ada()).status_code == 409


def test_the_confirm_header_registers_a_different_person(world: Any, intake: Client) -> None:
    response = post(intake, ada(), **{CONFIRM: "true"})
    assert response.status_code == 201
    created = Patient.objects.get(pk=response.json()["id"])
    assert created.pk != world.patient_a.pk
    assert created.mrn != world.patient_a.mrn


def test_false_asks_as_if_the_header_were_absent(world: Any, intake: Client) -> None:
    assert post(intake, ada(), **{CONFIRM: "false"}).status_code == 409


def test_a_header_value_other_than_true_or_false_is_400_naming_it(
    world: Any, intake: Client
) -> None:
    before = Patient.objects.count()
    response = post(intake, ada(birthDate="1990-01-01"), **{CONFIRM: "yes please"})
    assert response.status_code == 400
    assert CONFIRM in response.json()["issue"][0]["diagnostics"]
    assert Patient.objects.count() == before


def test_another_birth_date_or_name_is_created_without_asking(world: Any, intake: Client) -> None:
    assert post(intake, ada(birthDate="1985-04-13")).status_code == 201
    other = ada(name=[{"use": "official", "family": "Lovelace", "given": ["Ava"]}])
    assert post(intake, other).status_code == 201


def test_another_clinics_patient_is_not_a_duplicate(
    world: Any, token_for: Any, api_client: Any
) -> None:
    response = post(api_client(token_for(world.clinician_b)), ada())
    assert response.status_code == 201
    assert Patient.objects.get(pk=response.json()["id"]).clinic == world.clinic_b


def test_a_conditional_create_matching_the_patient_returns_it(world: Any, intake: Client) -> None:
    condition = f"identifier=urn:ketacare:clinic:alpha-clinic:mrn|{world.patient_a.mrn}"
    response = post(intake, ada(), **{"If-None-Exist": condition})
    assert response.status_code == 200
    assert response.json()["id"] == str(world.patient_a.pk)


def test_a_conditional_create_missing_on_identifier_still_asks_about_the_name(
    world: Any, intake: Client
) -> None:
    before = Patient.objects.count()
    response = post(intake, ada(), **{"If-None-Exist": "identifier=urn:other|12345"})
    assert response.status_code == 409
    assert Patient.objects.count() == before


def test_metadata_documents_the_header(client: Client) -> None:
    statement = client.get("/fhir/metadata").json()
    [patient] = [r for r in statement["rest"][0]["resource"] if r["type"] == "Patient"]
    create = next(i for i in patient["interaction"] if i["code"] == "create")
    assert CONFIRM in create["documentation"]
