"""POST /fhir/Patient: create in the token's clinic; every bad request stores nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.patient import Patient as FhirPatient

from ketacare.accounts.actions import do_revoke_token
from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import ApiToken
from ketacare.patients.models import Patient
from tests.conftest import SYSTEM

FHIR_JSON = "application/fhir+json"


def new_patient(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": "Curie", "given": ["Marie"]}],
        "birthDate": "1967-11-07",
        "gender": "female",
        "telecom": [{"system": "phone", "value": "555-201-0001"}],
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def post(client: Client, body: Any, content_type: str = FHIR_JSON, **headers: str) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/fhir/Patient", data=data, content_type=content_type, headers=headers)


def outcome_of(response: Any) -> OperationOutcome:
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    return OperationOutcome.model_validate(response.json())


@pytest.fixture
def intake(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.intake_a))


def test_intake_token_creates_a_patient_in_its_own_clinic(world: Any, intake: Client) -> None:
    response = post(intake, new_patient())
    assert response.status_code == 201
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    resource = FhirPatient.model_validate(response.json())
    stored = Patient.objects.get(pk=resource.id)
    assert response["Location"] == f"/fhir/Patient/{stored.pk}"
    assert stored.clinic == world.clinic_a
    assert stored.created_by == world.intake_a
    assert (stored.legal_given_name, stored.legal_family_name) == ("Marie", "Curie")
    [mrn] = resource.identifier
    assert mrn.value == stored.mrn and stored.mrn.startswith("ALP")
    assert mrn.system == "urn:ketacare:clinic:alpha-clinic:mrn"
    assert mrn.type.coding[0].code == "MR"
    entry = AuditEntry.objects.get(action="patients.patient.created", patient_id=str(stored.pk))
    assert entry.actor_id == world.intake_a.pk
    assert entry.clinic_id == world.clinic_a.pk


def test_every_element_we_store_survives_create_and_read(world: Any, intake: Client) -> None:
    body = new_patient(
        name=[
            {"use": "official", "family": "Núñez", "given": ["José", "María"]},
            {"use": "usual", "given": ["Pepe"]},
        ],
        gender="other",
        extension=[
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-genderIdentity",
                "valueCodeableConcept": {"text": "non-binary"},
            },
            {
                "url": "http://hl7.org/fhir/StructureDefinition/individual-pronouns",
                "extension": [{"url": "value", "valueCodeableConcept": {"text": "they/them"}}],
            },
        ],
        telecom=[
            {"system": "email", "value": "pepe@example.org", "rank": 2},
            {"system": "sms", "value": "555-201-0002", "rank": 1},
        ],
        address=[
            {
                "use": "home",
                "line": ["1 Main St", "Apt 2"],
                "city": "Springfield",
                "state": "IL",
                "postalCode": "62701",
                "country": "US",
            }
        ],
        contact=[
            {
                "relationship": [
                    {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/v2-0131",
                                "code": "C",
                            }
                        ],
                        "text": "sister",
                    }
                ],
                "name": {"text": "Ana Núñez"},
                "telecom": [{"system": "phone", "value": "555-201-0003"}],
            }
        ],
    )
    created = post(intake, body)
    assert created.status_code == 201, created.content
    stored = Patient.objects.get(pk=created.json()["id"])
    assert stored.legal_given_name == "José María"
    assert stored.preferred_name == "Pepe"
    assert stored.sex_at_birth == "intersex"
    assert (stored.gender_identity, stored.pronouns) == ("non-binary", "they/them")
    assert (stored.phone, stored.email, stored.preferred_contact) == (
        "555-201-0002",
        "pepe@example.org",
        "sms",
    )
    assert stored.address_line == "1 Main St, Apt 2" and stored.region == "IL"
    assert (stored.emergency_contact_name, stored.emergency_contact_relationship) == (
        "Ana Núñez",
        "sister",
    )

    read = intake.get(created["Location"]).json()
    FhirPatient.model_validate(read)
    assert read["gender"] == "other"
    assert [n["use"] for n in read["name"]] == ["official", "usual"]
    assert (read["telecom"][0]["system"], read["telecom"][0]["rank"]) == ("sms", 1)
    assert read["contact"][0]["relationship"][0]["coding"][0]["code"] == "C"
    assert read["contact"][0]["relationship"][0]["text"] == "sister"
    urls = {e["url"] for e in read["extension"]}
    assert "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex" not in urls
    # Reading it back and posting it again gives the same record (apart from MRN and id).
    # (The same name and birth date: the header says it is another person.)
    again = post(
        intake,
        {k: v for k, v in read.items() if k not in ("id", "meta")},
        **{"X-KetaCare-Confirm-Duplicate": "true"},
    )
    twin = Patient.objects.get(pk=again.json()["id"])
    fields = [
        "legal_given_name",
        "preferred_name",
        "sex_at_birth",
        "gender_identity",
        "pronouns",
        "phone",
        "email",
        "preferred_contact",
        "address_line",
        "city",
        "region",
        "postal_code",
        "country",
        "emergency_contact_name",
        "emergency_contact_relationship",
        "emergency_contact_phone",
    ]
    assert [getattr(twin, f) for f in fields] == [getattr(stored, f) for f in fields]


def test_birthsex_extension_decides_sex_at_birth(world: Any, intake: Client) -> None:
    body = new_patient(
        gender="male",
        extension=[
            {
                "url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex",
                "valueCode": "F",
            }
        ],
    )
    response = post(intake, body)
    assert response.status_code == 201
    assert Patient.objects.get(pk=response.json()["id"]).sex_at_birth == "female"
    assert response.json()["gender"] == "female"


def test_plain_application_json_is_accepted(world: Any, intake: Client) -> None:
    assert post(intake, new_patient(), content_type="application/json").status_code == 201


def test_a_clinic_b_token_creates_in_clinic_b_whatever_the_body_says(
    world: Any, token_for: Any, api_client: Any
) -> None:
    client = api_client(token_for(world.clinician_b))
    body = new_patient(
        identifier=[{"system": "urn:ketacare:clinic:alpha-clinic:mrn", "value": "ALP999999"}]
    )
    response = post(client, body)
    assert response.status_code == 201
    stored = Patient.objects.get(pk=response.json()["id"])
    assert stored.clinic == world.clinic_b
    assert stored.mrn.startswith("BET")


# --- bad requests: each leaves the database as it was ------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "expression", "words"),
    [
        ("{not json", 400, None, "not valid JSON"),
        ("[1, 2]", 400, None, "JSON object"),
        (new_patient(resourceType="Observation"), 400, "Patient.resourceType", "Patient"),
        (new_patient(resourceType=None), 400, "Patient.resourceType", "Patient"),
        (new_patient(name="Marie Curie"), 400, "Patient.name", "list"),
        (new_patient(favouriteColour="blue"), 400, "Patient.favouriteColour", "not permitted"),
        (new_patient(birthDate="1967-13-45"), 400, "Patient.birthDate", ""),
        (new_patient(gender="woman"), 400, "Patient.gender", "female"),
        (new_patient(birthDate=None), 422, "Patient.birthDate", "required"),
        (new_patient(birthDate="1967"), 422, "Patient.birthDate", "full date"),
        (new_patient(name=None), 422, "Patient.name", "official name"),
        (
            new_patient(name=[{"use": "official", "given": ["Marie"]}]),
            422,
            "Patient.name[0].family",
            "family name",
        ),
        (new_patient(gender=None), 422, "Patient.gender", "required"),
        (
            new_patient(telecom=[{"system": "phone", "value": "call me"}]),
            422,
            "Patient.telecom[0].value",
            "phone number",
        ),
        (new_patient(telecom=None), 422, "Patient.telecom", "phone number is needed"),
        (
            new_patient(address=[{"city": "Paris", "country": "FRA"}]),
            422,
            "Patient.address[0].country",
            "2 characters",
        ),
    ],
    ids=[
        "invalid-json",
        "not-an-object",
        "wrong-resource-type",
        "no-resource-type",
        "name-not-a-list",
        "unknown-element",
        "impossible-date",
        "unknown-gender-code",
        "missing-birthdate",
        "partial-birthdate",
        "missing-name",
        "missing-family",
        "missing-gender",
        "bad-phone",
        "no-contact",
        "bad-country",
    ],
)
def test_bad_body_is_refused_and_nothing_is_stored(
    world: Any, intake: Client, body: Any, status: int, expression: str | None, words: str
) -> None:
    before = Patient.objects.count()
    response = post(intake, body)
    assert response.status_code == status, response.content
    issue = outcome_of(response).issue[0]
    assert issue.severity == "error"
    if expression:
        assert issue.expression == [expression]
    assert words in issue.diagnostics
    assert Patient.objects.count() == before


def test_future_birthdate_is_422_naming_birthdate(world: Any, intake: Client) -> None:
    before = Patient.objects.count()
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = post(intake, new_patient(birthDate=tomorrow))
    assert response.status_code == 422
    issue = outcome_of(response).issue[0]
    assert issue.expression == ["Patient.birthDate"]
    assert issue.diagnostics == "Patient.birthDate: Date of birth cannot be in the future."
    assert Patient.objects.count() == before


def test_other_content_types_are_415(world: Any, intake: Client) -> None:
    before = Patient.objects.count()
    response = post(intake, "<Patient/>", content_type="application/fhir+xml")
    assert response.status_code == 415
    assert outcome_of(response).issue[0].code == "not-supported"
    form = intake.post("/fhir/Patient", data={"resourceType": "Patient"})
    assert form.status_code == 415
    assert Patient.objects.count() == before


def test_no_token_is_401_with_a_bearer_challenge(world: Any) -> None:
    before = Patient.objects.count()
    response = post(Client(), new_patient())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert outcome_of(response).issue[0].code == "login"
    assert Patient.objects.count() == before


def test_a_signed_in_browser_session_is_not_a_token(world: Any, as_user: Any) -> None:
    before = Patient.objects.count()
    response = post(as_user(world.intake_a), new_patient())
    assert response.status_code == 401
    assert Patient.objects.count() == before


def test_revoked_token_is_401_and_the_attempt_is_audited(
    world: Any, token_for: Any, api_client: Any
) -> None:
    raw = token_for(world.intake_a)
    do_revoke_token(SYSTEM, ApiToken.objects.get(user=world.intake_a))
    before = Patient.objects.count()
    response = post(api_client(raw), new_patient())
    assert response.status_code == 401
    assert outcome_of(response).issue[0].code == "login"
    assert Patient.objects.count() == before
    failure = AuditEntry.objects.filter(action="api.auth.failed").order_by("-seq").first()
    assert failure is not None and failure.outcome == "denied"
    assert failure.detail == {"path": "/fhir/Patient"}


@pytest.mark.parametrize("persona", ["therapist_a", "admin_a", "director_a"])
def test_roles_without_create_permission_get_403(
    world: Any, token_for: Any, api_client: Any, persona: str
) -> None:
    user = getattr(world, persona)
    before = Patient.objects.count()
    response = post(api_client(token_for(user)), new_patient())
    assert response.status_code == 403
    assert outcome_of(response).issue[0].code == "forbidden"
    assert Patient.objects.count() == before
    denied = AuditEntry.objects.filter(action="accounts.permission.denied").order_by("-seq")
    assert denied.first() is not None and denied.first().actor_id == user.pk


@pytest.mark.parametrize("persona", ["prescriber_a", "nurse_a", "intake_a"])
def test_roles_with_create_permission_can_create(
    world: Any, token_for: Any, api_client: Any, persona: str
) -> None:
    response = post(api_client(token_for(getattr(world, persona))), new_patient())
    assert response.status_code == 201


# --- conditional create -------------------------------------------------------------------


def test_if_none_exist_returns_the_match_instead_of_creating(world: Any, intake: Client) -> None:
    patient = world.patient_a
    before = Patient.objects.count()
    condition = f"identifier=urn:ketacare:clinic:alpha-clinic:mrn|{patient.mrn}"
    response = post(intake, new_patient(), **{"If-None-Exist": condition})
    assert response.status_code == 200
    assert response.json()["id"] == str(patient.pk)
    assert Patient.objects.count() == before


def test_if_none_exist_without_a_match_creates(world: Any, intake: Client) -> None:
    response = post(intake, new_patient(), **{"If-None-Exist": "name=curie&birthdate=1967-11-07"})
    assert response.status_code == 201
    again = post(intake, new_patient(), **{"If-None-Exist": "name=curie&birthdate=1967-11-07"})
    assert again.status_code == 200
    assert again.json()["id"] == response.json()["id"]


def test_if_none_exist_never_matches_another_clinics_patient(
    world: Any, token_for: Any, api_client: Any
) -> None:
    client = api_client(token_for(world.clinician_b))
    response = post(client, new_patient(), **{"If-None-Exist": f"identifier={world.patient_a.mrn}"})
    assert response.status_code == 201
    assert Patient.objects.get(pk=response.json()["id"]).clinic == world.clinic_b


def test_if_none_exist_with_several_matches_is_412(world: Any, intake: Client) -> None:
    post(intake, new_patient())
    post(intake, new_patient(), **{"X-KetaCare-Confirm-Duplicate": "true"})
    before = Patient.objects.count()
    response = post(intake, new_patient(), **{"If-None-Exist": "name=curie"})
    assert response.status_code == 412
    assert Patient.objects.count() == before


def test_if_none_exist_with_an_unknown_parameter_is_400(world: Any, intake: Client) -> None:
    before = Patient.objects.count()
    response = post(intake, new_patient(), **{"If-None-Exist": "family=curie"})
    assert response.status_code == 400
    assert "family" in outcome_of(response).issue[0].diagnostics
    assert Patient.objects.count() == before
