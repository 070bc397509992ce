"""GET /fhir/MedicationStatement[/{id}]: evaluation medications and antidepressant trials."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.medicationstatement import MedicationStatement

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.evaluations.actions import do_add_medication, do_add_trial, do_start_evaluation
from tests.fhir._clinical import ids, read, search

ACTOR = Actor(label="test")


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


@pytest.fixture
def history(world: Any) -> dict[str, Any]:
    evaluation = do_start_evaluation(ACTOR, world.patient_a, "esketamine_nasal", "trd")
    return {
        "sertraline": do_add_trial(
            ACTOR,
            evaluation,
            {
                "drug": "Sertraline",
                "dose_mg": Decimal("150"),
                "weeks_at_dose": Decimal("8"),
                "response": "partial",
                "improvement_pct": Decimal("30"),
                "dose_adequate": True,
                "reason_stopped": "ineffective",
            },
        ),
        "bupropion": do_add_trial(
            ACTOR, evaluation, {"drug": "Bupropion", "reason_stopped": "still_taking"}
        ),
        "spravato": do_add_medication(ACTOR, evaluation, {"name": "Spravato"}),
        "lithium": do_add_medication(
            ACTOR,
            evaluation,
            {"name": "Lithium", "drug_class": "mood_stabiliser", "daily_dose_mg": Decimal("600")},
        ),
    }


def test_a_trial_reads_as_a_stopped_statement(
    world: Any, nurse: Client, history: dict[str, Any]
) -> None:
    body = read(nurse, MedicationStatement, f"MedicationStatement/trial-{history['sertraline'].pk}")
    assert body["status"] == "stopped"
    assert body["statusReason"] == [{"text": "Ineffective"}]
    assert body["medicationCodeableConcept"] == {"text": "Sertraline"}
    assert body["dosage"] == [{"text": "150 mg/day for 8 weeks"}]
    note = body["note"][0]["text"]
    assert "Partial (25-49%)" in note and "improvement: 30%" in note
    assert "dose adequate: yes" in note and "current episode" in note
    assert body["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert "effectivePeriod" not in body
    active = read(
        nurse, MedicationStatement, f"MedicationStatement/trial-{history['bupropion'].pk}"
    )
    assert active["status"] == "active" and "statusReason" not in active
    entry = AuditEntry.objects.filter(action="fhir.medication_statement.read").first()
    assert entry is not None and entry.patient_id == str(world.patient_a.pk)


def test_a_current_medication_reads_as_active(
    world: Any, nurse: Client, history: dict[str, Any]
) -> None:
    lithium = read(nurse, MedicationStatement, f"MedicationStatement/med-{history['lithium'].pk}")
    assert lithium["status"] == "active"
    assert lithium["medicationCodeableConcept"] == {"text": "Lithium"}  # no invented code
    assert lithium["dosage"] == [{"text": "600 mg daily"}]
    spravato = read(nurse, MedicationStatement, f"MedicationStatement/med-{history['spravato'].pk}")
    assert spravato["medicationCodeableConcept"]["coding"] == [
        {
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
            "code": "2201625",
            "display": "esketamine Nasal Spray [Spravato]",
        }
    ]


def test_search_merges_both_kinds_and_pages(
    world: Any, nurse: Client, history: dict[str, Any]
) -> None:
    everything = search(
        nurse, MedicationStatement, f"MedicationStatement?patient={world.patient_a.pk}"
    )
    assert everything["total"] == 4
    assert sorted(ids(everything)) == sorted(
        [
            f"trial-{history['sertraline'].pk}",
            f"trial-{history['bupropion'].pk}",
            f"med-{history['spravato'].pk}",
            f"med-{history['lithium'].pk}",
        ]
    )
    pages = [
        ids(
            search(
                nurse,
                MedicationStatement,
                f"MedicationStatement?patient={world.patient_a.pk}&_count=3&_offset={at}",
            )
        )
        for at in (0, 3)
    ]
    assert pages[0] + pages[1] == ids(everything)
    assert len(pages[1]) == 1


def test_clinic_isolation(
    world: Any, nurse: Client, clinician_b: Client, history: dict[str, Any]
) -> None:
    unknown = read(nurse, MedicationStatement, "MedicationStatement/med-999999", expect=404)
    for resource_id in (f"med-{history['lithium'].pk}", f"trial-{history['sertraline'].pk}"):
        assert (
            read(clinician_b, MedicationStatement, f"MedicationStatement/{resource_id}", expect=404)
            == unknown
        )
    for query in (f"?patient={world.patient_a.pk}", ""):
        bundle = search(clinician_b, MedicationStatement, f"MedicationStatement{query}")
        assert bundle["total"] == 0 and "entry" not in bundle
    assert not AuditEntry.objects.filter(action="fhir.medication_statement.read").exists()
    search(nurse, MedicationStatement, "MedicationStatement?status=active", expect=400)
