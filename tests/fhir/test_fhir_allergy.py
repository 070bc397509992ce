"""GET /fhir/AllergyIntolerance[/{id}]: chart allergies and "no known allergies"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.patients.actions import (
    do_add_allergy,
    do_mark_allergy_inactive,
    do_mark_no_known_allergies,
)
from ketacare.patients.models import Allergy
from tests.conftest import make_patient
from tests.fhir._clinical import ids, read, search

ACTOR = Actor(label="test")


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def add(world: Any, patient: Any, substance: str, **extra: Any) -> Allergy:
    actor = Actor(user_id=world.nurse_a.pk, label="test")
    return do_add_allergy(actor, patient, Allergy(substance=substance, **extra))


def test_an_allergy_reads_as_an_allergy_intolerance(world: Any, nurse: Client) -> None:
    allergy = add(
        world, world.patient_a, "Penicillin", category="medication", reaction="Hives",
        severity="severe",
    )  # fmt: skip
    body = read(nurse, AllergyIntolerance, f"AllergyIntolerance/allergy-{allergy.pk}")
    assert body["clinicalStatus"]["coding"][0]["code"] == "active"
    assert body["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert body["category"] == ["medication"]
    assert body["criticality"] == "high"
    assert body["code"] == {"text": "Penicillin"}
    assert body["reaction"] == [{"manifestation": [{"text": "Hives"}], "severity": "severe"}]
    assert body["patient"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert body["recorder"] == {"display": "Nina Nurse"}
    assert AuditEntry.objects.get(action="fhir.allergy_intolerance.read").patient_id == str(
        world.patient_a.pk
    )


@pytest.mark.parametrize(
    ("severity", "category", "criticality", "categories"),
    [
        ("mild", "food", "low", ["food"]),
        ("moderate", "environment", "low", ["environment"]),
        ("unknown", "other", "unable-to-assess", None),
    ],
)
def test_criticality_and_category(
    world: Any, nurse: Client, severity: str, category: str, criticality: str, categories: Any
) -> None:
    allergy = add(world, world.patient_a, "Latex", category=category, severity=severity)
    do_mark_allergy_inactive(ACTOR, allergy)
    body = read(nurse, AllergyIntolerance, f"AllergyIntolerance/allergy-{allergy.pk}")
    assert body["criticality"] == criticality
    assert body.get("category") == categories
    assert body["clinicalStatus"]["coding"][0]["code"] == "inactive"
    assert "reaction" not in body


def test_no_known_allergies_is_one_snomed_coded_resource(world: Any, nurse: Client) -> None:
    patient = world.patient_a
    do_mark_no_known_allergies(ACTOR, patient)
    bundle = search(nurse, AllergyIntolerance, f"AllergyIntolerance?patient={patient.pk}")
    assert ids(bundle) == [f"nka-{patient.pk}"]
    body = read(nurse, AllergyIntolerance, f"AllergyIntolerance/nka-{patient.pk}")
    assert body["code"]["coding"] == [
        {"system": "http://snomed.info/sct", "code": "716186003", "display": "No known allergy"}
    ]
    assert body["clinicalStatus"]["coding"][0]["code"] == "active"
    # recording an allergy clears the mark: the resource goes away
    allergy = add(world, patient, "Sulfa")
    assert ids(search(nurse, AllergyIntolerance, f"AllergyIntolerance?patient={patient.pk}")) == [
        f"allergy-{allergy.pk}"
    ]
    read(nurse, AllergyIntolerance, f"AllergyIntolerance/nka-{patient.pk}", expect=404)


def test_clinic_isolation_and_paging(world: Any, nurse: Client, clinician_b: Client) -> None:
    made = [add(world, world.patient_a, f"Substance {n}") for n in range(3)]
    other = make_patient(world.clinic_a, "Sam", "Lee")
    do_mark_no_known_allergies(ACTOR, other)
    first = search(
        nurse, AllergyIntolerance, f"AllergyIntolerance?patient={world.patient_a.pk}&_count=2"
    )
    assert first["total"] == 3
    assert ids(first) == [f"allergy-{made[2].pk}", f"allergy-{made[1].pk}"]
    second = search(
        nurse, AllergyIntolerance,
        f"AllergyIntolerance?patient={world.patient_a.pk}&_count=2&_offset=2",
    )  # fmt: skip
    assert ids(second) == [f"allergy-{made[0].pk}"]
    assert search(nurse, AllergyIntolerance, "AllergyIntolerance")["total"] == 4
    for query in (f"?patient={world.patient_a.pk}", "", f"?patient={other.pk}"):
        bundle = search(clinician_b, AllergyIntolerance, f"AllergyIntolerance{query}")
        assert bundle["total"] == 0 and "entry" not in bundle
    theirs = read(
        clinician_b, AllergyIntolerance, f"AllergyIntolerance/allergy-{made[0].pk}", expect=404
    )
    assert theirs == read(nurse, AllergyIntolerance, "AllergyIntolerance/allergy-99999", expect=404)
    read(clinician_b, AllergyIntolerance, f"AllergyIntolerance/nka-{other.pk}", expect=404)
    entry = AuditEntry.objects.filter(action="fhir.allergy_intolerance.searched").first()
    assert entry is not None and entry.detail["params"] == ["patient"]
    search(nurse, AllergyIntolerance, "AllergyIntolerance?substance=x", expect=400)
