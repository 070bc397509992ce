"""FHIR: integration sessions as Encounter, habits as Observation, goals as Goal."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.goal import Goal
from fhir.resources.R4B.observation import Observation

from ketacare.accounts.audit import AuditEntry
from ketacare.aftercare.habit_actions import do_log_habits, do_set_goal
from ketacare.aftercare.integration import do_save_note
from ketacare.aftercare.models import HabitSource
from tests.aftercare.helpers import actor, dosed_session
from tests.fhir._clinical import ids, read, search

pytestmark = pytest.mark.django_db


@pytest.fixture
def nurse(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.nurse_a))


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def note(world: Any, **extra: Any) -> Any:
    values = {
        "kind": "integration",
        "held_on": date(2026, 3, 4),
        "themes": "Safety",
        "risk": "none",
        "treatment_sessions": [],
        **extra,
    }
    return do_save_note(actor(world.therapist_a), world.patient_a, values)


def test_integration_session_reads_as_an_encounter(world: Any, nurse: Client) -> None:
    session = dosed_session(world, world.patient_a)
    n = note(world, treatment_sessions=[session.pk])
    body = read(nurse, Encounter, f"Encounter/int-{n.pk}")
    assert body["status"] == "finished" and body["class"]["code"] == "AMB"
    assert body["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert body["period"] == {"start": "2026-03-04"}
    assert body["participant"][0]["individual"]["display"] == "Theo Therapist"
    assert body["extension"] == [
        {"url": "urn:ketacare:fhir:treatment-session", "valueString": str(session.pk)}
    ]
    assert body["meta"]["tag"][0]["code"] == "draft"
    assert "Safety" not in str(body)  # the therapy note's text stays in the chart
    assert AuditEntry.objects.filter(action="fhir.encounter.read").exists()
    # One Encounter search returns both kinds of visit: the dosing session (tx-, not yet
    # finished, newer) and the integration session (int-, always finished).
    pid = world.patient_a.pk
    bundle = search(nurse, Encounter, f"Encounter?patient={pid}")
    assert ids(bundle) == [f"tx-{session.pk}", f"int-{n.pk}"]
    finished = search(nurse, Encounter, f"Encounter?patient={pid}&status=finished")
    assert ids(finished) == [f"int-{n.pk}"]
    tx_status = read(nurse, Encounter, f"Encounter/tx-{session.pk}")["status"]
    assert tx_status != "finished"
    open_now = search(nurse, Encounter, f"Encounter?patient={pid}&status={tx_status}")
    assert ids(open_now) == [f"tx-{session.pk}"]
    assert AuditEntry.objects.filter(action="fhir.encounter.searched").exists()


def test_habits_are_observations_with_loinc_codes(world: Any, nurse: Client) -> None:
    day = timezone.localdate() - timedelta(days=1)
    log = do_log_habits(
        actor(world.nurse_a),
        world.patient_a,
        {
            "day": day,
            "bed_time": time(23, 0),
            "wake_time": time(6, 30),
            "active_minutes": 45,
            "activity_kind": "walk",
            "drinks": Decimal("2"),
        },
        source=HabitSource.PATIENT,
    )
    sleep = read(nurse, Observation, f"Observation/habit-sleep-{log.pk}")
    assert sleep["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "93832-4",
        "display": "Sleep duration",
    }
    assert sleep["valueQuantity"]["value"] == 7.5 and sleep["valueQuantity"]["code"] == "h"
    assert sleep["effectiveDateTime"] == day.isoformat()
    assert sleep["performer"] == [{"reference": f"Patient/{world.patient_a.pk}"}]
    active = read(nurse, Observation, f"Observation/habit-activity-{log.pk}")
    assert active["code"]["coding"][0]["code"] == "55411-3"
    assert active["valueQuantity"] == {
        "value": 45,
        "unit": "min",
        "system": "http://unitsofmeasure.org",
        "code": "min",
    }
    alcohol = read(nurse, Observation, f"Observation/habit-alcohol-{log.pk}")
    assert alcohol["code"]["coding"][0]["system"] == "urn:ketacare:habit"
    assert alcohol["valueQuantity"]["value"] == 2
    found = search(nurse, Observation, f"Observation?patient={world.patient_a.pk}&code=55411-3")
    assert ids(found) == [f"habit-activity-{log.pk}"]
    dated = search(
        nurse, Observation, f"Observation?patient={world.patient_a.pk}&date={day.isoformat()}"
    )
    assert {f"habit-sleep-{log.pk}", f"habit-alcohol-{log.pk}"} <= set(ids(dated))
    none = search(nurse, Observation, f"Observation?patient={world.patient_a.pk}&date=2001-01-01")
    assert not [i for i in ids(none) if i.startswith("habit-")]


def test_a_habit_not_logged_has_no_observation(world: Any, nurse: Client) -> None:
    log = do_log_habits(
        actor(world.nurse_a), world.patient_a, {"day": timezone.localdate(), "active_minutes": 20}
    )
    read(nurse, Observation, f"Observation/habit-sleep-{log.pk}", expect=404)


def test_goal_reads_as_a_goal(world: Any, nurse: Client) -> None:
    goal = do_set_goal(
        actor(world.therapist_a),
        world.patient_a,
        {"kind": "drinks_week_max", "target": 7, "starts_on": date(2026, 3, 1), "note": "ok"},
    )
    body = read(nurse, Goal, f"Goal/goal-{goal.pk}")
    assert body["lifecycleStatus"] == "active"
    assert body["description"]["text"] == "Standard drinks a week, at most: 7"
    assert body["target"][0]["detailRange"]["high"]["value"] == 7
    assert body["expressedBy"] == {"display": "Theo Therapist"}
    assert ids(search(nurse, Goal, f"Goal?patient={world.patient_a.pk}")) == [f"goal-{goal.pk}"]


def test_other_clinic_gets_404_and_empty_searches(world: Any, clinician_b: Client) -> None:
    n = note(world)
    goal = do_set_goal(
        actor(world.therapist_a),
        world.patient_a,
        {"kind": "active_min_week", "target": 150, "starts_on": date(2026, 3, 1)},
    )
    log = do_log_habits(
        actor(world.nurse_a), world.patient_a, {"day": timezone.localdate(), "drinks": Decimal(1)}
    )
    refused = AuditEntry.objects.filter(action="patients.access.refused").count()
    read(clinician_b, Encounter, f"Encounter/int-{n.pk}", expect=404)
    read(clinician_b, Goal, f"Goal/goal-{goal.pk}", expect=404)
    read(clinician_b, Observation, f"Observation/habit-alcohol-{log.pk}", expect=404)
    assert AuditEntry.objects.filter(action="patients.access.refused").count() == refused + 3
    pid = world.patient_a.pk
    assert ids(search(clinician_b, Encounter, f"Encounter?patient={pid}")) == []
    assert ids(search(clinician_b, Goal, f"Goal?patient={pid}")) == []
    assert ids(search(clinician_b, Observation, f"Observation?patient={pid}")) == []


def test_capability_statement_lists_encounter_and_goal(world: Any, nurse: Client) -> None:
    body = Client().get("/fhir/metadata").json()
    kinds = {r["type"] for r in body["rest"][0]["resource"]}
    assert {"Encounter", "Goal", "Observation"} <= kinds
