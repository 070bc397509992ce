"""GET /fhir/AdverseEvent[/{id}]: side effects at the chair, clinic-scoped and audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.adverseevent import AdverseEvent

from ketacare.accounts.audit import AuditEntry
from ketacare.treatments.side_effects import do_record_side_effect
from tests.fhir._clinical import ids, read, search
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def _effects(world: Any) -> tuple[Any, Any]:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    first = do_record_side_effect(
        actor(world.nurse_a),
        session,
        {
            "code": "nausea",
            "severity": "moderate",
            "intervention_drug": "Ondansetron",
            "intervention_dose": "4 mg",
        },
    )
    second = do_record_side_effect(
        actor(world.nurse_a), session, {"code": "resp_depression", "severity": "mild"}
    )
    return first, second


def test_a_side_effect_reads_as_an_adverse_event(world: Any, nurse: Client) -> None:
    first, second = _effects(world)
    body = read(nurse, AdverseEvent, f"AdverseEvent/side-effect-{first.pk}")
    assert body["actuality"] == "actual"
    assert body["event"] == {"text": "Nausea"}
    assert body["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert body["encounter"]["identifier"]["value"] == str(first.session_id)
    assert body["severity"]["coding"][0]["code"] == "moderate"
    assert body["seriousness"]["coding"][0]["code"] == "non-serious"
    assert body["recorder"] == {"display": "Nina Nurse"}
    assert body["extension"][0]["valueString"].startswith("Ondansetron 4 mg at ")
    assert "Ketamine" in body["suspectEntity"][0]["instance"]["display"]
    serious = read(nurse, AdverseEvent, f"AdverseEvent/side-effect-{second.pk}")
    assert serious["seriousness"]["coding"][0]["code"] == "serious"
    assert "extension" not in serious
    entry = AuditEntry.objects.get(action="fhir.adverse_event.read", object_id=str(first.pk))
    assert entry.patient_id == str(world.patient_a.pk)


def test_search_by_patient_with_clinic_isolation(
    world: Any, nurse: Client, clinician_b: Client
) -> None:
    first, second = _effects(world)
    bundle = search(nurse, AdverseEvent, f"AdverseEvent?patient={world.patient_a.pk}")
    assert sorted(ids(bundle)) == sorted([f"side-effect-{first.pk}", f"side-effect-{second.pk}"])
    assert search(nurse, AdverseEvent, f"AdverseEvent?patient={world.patient_b.pk}")["total"] == 0
    for query in (f"?patient={world.patient_a.pk}", ""):
        empty = search(clinician_b, AdverseEvent, f"AdverseEvent{query}")
        assert empty["total"] == 0 and "entry" not in empty
    unknown = read(nurse, AdverseEvent, "AdverseEvent/side-effect-999999", expect=404)
    foreign = read(clinician_b, AdverseEvent, f"AdverseEvent/side-effect-{first.pk}", expect=404)
    assert foreign == unknown
    search(nurse, AdverseEvent, "AdverseEvent?code=nausea", expect=400)
    assert AuditEntry.objects.filter(
        action="fhir.adverse_event.searched", actor_id=world.nurse_a.pk
    ).exists()
    assert AuditEntry.objects.filter(
        action="patients.access.refused", actor_id=world.clinician_b.pk
    ).exists()


def test_the_capability_statement_lists_adverse_event(client: Client, db: Any) -> None:
    body = client.get("/fhir/metadata").json()
    kinds = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert [i["code"] for i in kinds["AdverseEvent"]["interaction"]] == ["read", "search-type"]
    assert kinds["AdverseEvent"]["searchParam"][0]["name"] == "patient"
