"""GET /fhir/Condition[/{id}]: chart diagnoses as problem-list Conditions (ICD-10-CM), read and
searched within one clinic, audited."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.condition import Condition
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.patients.actions import do_add_diagnosis, do_set_diagnosis_status
from ketacare.patients.models import Diagnosis, Patient
from tests.conftest import make_patient

ICD = "http://hl7.org/fhir/sid/icd-10-cm"


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def add(world: Any, patient: Patient, code: str, display: str, **extra: Any) -> Diagnosis:
    actor = Actor(user_id=world.prescriber_a.pk, label="test")
    return do_add_diagnosis(actor, patient, Diagnosis(icd10_code=code, display=display, **extra))


def read(client: Client, resource_id: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/Condition/{resource_id}")
    assert response.status_code == expect, response.content
    model = Condition if expect == 200 else OperationOutcome
    model.model_validate(response.json())
    return response.json()


def search(client: Client, query: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/Condition?{query}")
    assert response.status_code == expect, response.content
    body = response.json()
    if expect == 200:
        Bundle.model_validate(body)
        for entry in body.get("entry", []):
            Condition.model_validate(entry["resource"])
    else:
        OperationOutcome.model_validate(body)
    return body


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_a_diagnosis_reads_as_a_problem_list_condition(world: Any, nurse: Client) -> None:
    diagnosis = add(
        world,
        world.patient_a,
        "F33.2",
        "Major depressive disorder, recurrent severe without psychotic features",
        is_primary=True,
        treatment_resistant=True,
        onset_date=date(2019, 3, 1),
        note="Three adequate trials failed.",
    )
    condition = read(nurse, f"diagnosis-{diagnosis.pk}")
    assert condition["id"] == f"diagnosis-{diagnosis.pk}"
    assert condition["code"]["coding"][0]["system"] == ICD
    assert condition["code"]["coding"][0]["code"] == "F33.2"
    assert condition["category"][0]["coding"][0]["code"] == "problem-list-item"
    assert condition["clinicalStatus"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
        "code": "active",
        "display": "Active",
    }
    assert condition["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert condition["onsetDateTime"] == "2019-03-01"
    assert condition["recordedDate"].endswith("Z")
    assert condition["recorder"] == {"display": "Paula Prescriber"}
    assert condition["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert condition["extension"] == [
        {
            "url": "http://ketacare.org/fhir/StructureDefinition/treatment-resistant",
            "valueBoolean": True,
        }
    ]
    notes = [n["text"] for n in condition["note"]]
    assert notes[0] == "Primary diagnosis."
    assert notes[1].startswith("Treatment-resistant")
    assert notes[2] == "Three adequate trials failed."
    entry = AuditEntry.objects.get(action="fhir.condition.read")
    assert entry.patient_id == str(world.patient_a.pk)


@pytest.mark.parametrize("status", ["remission", "resolved"])
def test_status_maps_to_clinical_status(world: Any, nurse: Client, status: str) -> None:
    diagnosis = add(world, world.patient_a, "F41.1", "Generalized anxiety disorder")
    do_set_diagnosis_status(Actor(label="test"), diagnosis, status)
    condition = read(nurse, f"diagnosis-{diagnosis.pk}")
    assert condition["clinicalStatus"]["coding"][0]["code"] == status
    assert condition["extension"][0]["valueBoolean"] is False
    assert "note" not in condition and "onsetDateTime" not in condition


def test_another_clinic_gets_the_same_404_as_an_unknown_id(
    world: Any, nurse: Client, clinician_b: Client
) -> None:
    diagnosis = add(world, world.patient_a, "F41.1", "Generalized anxiety disorder")
    theirs = read(clinician_b, f"diagnosis-{diagnosis.pk}", expect=404)
    unknown = read(nurse, "diagnosis-999999", expect=404)
    assert theirs == unknown
    assert read(nurse, "F41.1", expect=404) == unknown
    assert "Lovelace" not in json.dumps(theirs)
    assert AuditEntry.objects.filter(action="patients.access.refused").count() == 3
    assert not AuditEntry.objects.filter(action="fhir.condition.read").exists()


@pytest.fixture
def problems(world: Any) -> dict[str, Diagnosis]:
    found = {
        "mdd": add(world, world.patient_a, "F33.2", "MDD recurrent severe", is_primary=True),
        "gad": add(world, world.patient_a, "F41.1", "Generalized anxiety disorder"),
        "ptsd": add(world, world.patient_a, "F43.10", "PTSD, unspecified"),
        "other": add(world, make_patient(world.clinic_a, "Sam", "Lee"), "F41.1", "GAD"),
    }
    do_set_diagnosis_status(Actor(label="test"), found["ptsd"], "resolved")
    return found


def names(bundle: dict[str, Any], problems: dict[str, Diagnosis]) -> list[str]:
    by_id = {f"diagnosis-{d.pk}": name for name, d in problems.items()}
    return [by_id[i] for i in ids(bundle)]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["mdd", "ptsd", "gad"]),
        ("&clinical-status=active", ["mdd", "gad"]),
        ("&clinical-status=resolved", ["ptsd"]),
        (
            "&clinical-status=http://terminology.hl7.org/CodeSystem/condition-clinical|resolved",
            ["ptsd"],
        ),
        ("&clinical-status=remission", []),
        ("&code=F41.1", ["gad"]),
        (f"&code={ICD}|f41.1", ["gad"]),
        ("&code=http://snomed.info/sct|F41.1", []),
        ("&code=F41.1,F43.10", ["ptsd", "gad"]),
        ("&code=F41.1&clinical-status=resolved", []),
    ],
)
def test_search_by_patient_status_and_code(
    world: Any, nurse: Client, problems: dict[str, Diagnosis], query: str, expected: list[str]
) -> None:
    bundle = search(nurse, f"patient=Patient/{world.patient_a.pk}{query}")
    assert names(bundle, problems) == expected
    assert bundle["total"] == len(expected)


def test_search_pages_and_is_audited(
    world: Any, nurse: Client, problems: dict[str, Diagnosis]
) -> None:
    first = search(nurse, f"patient={world.patient_a.pk}&_count=2")
    assert first["total"] == 3 and names(first, problems) == ["mdd", "ptsd"]
    following = next(lk["url"] for lk in first["link"] if lk["relation"] == "next")
    second = search(nurse, urlsplit(following).query)
    assert names(second, problems) == ["gad"]
    assert not any(lk["relation"] == "next" for lk in second["link"])
    assert first["entry"][0]["fullUrl"] == (
        f"http://testserver/fhir/Condition/diagnosis-{problems['mdd'].pk}"
    )
    entry = AuditEntry.objects.filter(action="fhir.condition.searched").first()
    assert entry is not None and entry.patient_id == str(world.patient_a.pk)
    assert entry.detail["params"] == ["patient"] and entry.detail["results"] == 3
    assert search(nurse, "")["total"] == 4  # the whole clinic


def test_another_clinics_patient_gives_an_empty_searchset(
    world: Any, clinician_b: Client, problems: dict[str, Diagnosis]
) -> None:
    for query in (f"patient={world.patient_a.pk}", "code=F41.1", "", "patient=123"):
        bundle = search(clinician_b, query)
        assert bundle["total"] == 0 and "entry" not in bundle, query


@pytest.mark.parametrize(
    ("query", "words"),
    [("onset-date=2020", "Unknown"), ("code:text=anx", "modifier"), ("patient=a,b", "OR")],
)
def test_bad_parameters_are_400(world: Any, nurse: Client, query: str, words: str) -> None:
    assert words in search(nurse, query, expect=400)["issue"][0]["diagnostics"]


def test_a_token_is_required(world: Any) -> None:
    assert Client().get("/fhir/Condition").status_code == 401
    assert Client().get("/fhir/Condition/diagnosis-1").status_code == 401
