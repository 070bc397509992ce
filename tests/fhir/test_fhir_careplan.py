"""GET /fhir/CarePlan[/{id}]: treatment plans as CarePlans, with their session schedule,
targets as contained Goals and one activity per booked appointment."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.plandefinition import PlanDefinition

from ketacare.accounts.audit import AuditEntry
from ketacare.plans import actions
from tests.fhir._clinical import ids, read, search
from tests.fhir._plans import appointment, at, chair, plan_row
from tests.plans.plan_helpers import active, actor

TARGETS = [{"scale": "madrs", "target": 10, "comparison": "lt"}]


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def test_a_signed_plan_reads_as_an_active_care_plan(world: Any, nurse: Client) -> None:
    plan = active(
        world.prescriber_a,
        world.patient_a,
        frequency_count=2,
        frequency_per_days=7,
        targets=TARGETS,
        goals="Return to work; MADRS under 10.",
        starts_on="2026-03-02",
    )
    body = read(nurse, CarePlan, f"CarePlan/{plan.pk}")
    assert (body["id"], body["status"], body["intent"]) == (str(plan.pk), "active", "plan")
    assert body["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert body["period"] == {"start": "2026-03-02"}
    assert body["author"] == {"display": "Paula Prescriber"}
    assert body["title"] == "IV racemic ketamine for depression (off-label), protocol version 1"
    assert body["description"] == "Return to work; MADRS under 10."
    canonical = "http://ketacare.org/fhir/PlanDefinition/iv-ketamine-depression-v1"
    assert body["instantiatesCanonical"] == [canonical]
    assert body["note"] == [{"text": "Current phase: Induction."}]
    # The planned schedule: twice weekly, 6 sessions (the induction's default count).
    detail = body["activity"][0]["detail"]
    assert detail["kind"] == "Appointment"
    assert detail["status"] == "in-progress"
    assert detail["scheduledTiming"]["repeat"] == {
        "frequency": 2,
        "period": 1,
        "periodUnit": "wk",
        "count": 6,
        "boundsPeriod": {"start": "2026-03-02"},
    }
    assert "0.5 mg/kg (actual body weight) over 40 min" in detail["description"]
    assert detail["instantiatesCanonical"] == [canonical]
    # Targets are contained Goals, referenced by #id (dom-3).
    assert body["goal"] == [{"reference": "#target-1"}]
    goal = body["contained"][0]
    assert goal["resourceType"] == "Goal" and goal["lifecycleStatus"] == "active"
    assert goal["target"][0]["detailQuantity"]["comparator"] == "<"
    assert goal["target"][0]["detailQuantity"]["value"] == 10
    entry = AuditEntry.objects.get(action="fhir.care_plan.read")
    assert entry.patient_id == str(world.patient_a.pk)


def test_the_canonical_finds_the_plan_definition(world: Any, nurse: Client) -> None:
    plan = active(world.prescriber_a, world.patient_a)
    canonical = read(nurse, CarePlan, f"CarePlan/{plan.pk}")["instantiatesCanonical"][0]
    bundle = search(nurse, PlanDefinition, f"PlanDefinition?url={canonical}")
    assert ids(bundle) == ["iv-ketamine-depression-v1"]


@pytest.mark.parametrize(
    ("ours", "theirs", "activity"),
    [
        ("draft", "draft", "not-started"),
        ("active", "active", "in-progress"),
        ("on_hold", "on-hold", "on-hold"),
        ("completed", "completed", "completed"),
        ("stopped", "revoked", "stopped"),
    ],
)
def test_plan_status_maps_to_care_plan_status(
    world: Any, nurse: Client, ours: str, theirs: str, activity: str
) -> None:
    plan = plan_row(world.prescriber_a, world.patient_a, status=ours, status_reason="Holiday")
    body = read(nurse, CarePlan, f"CarePlan/{plan.pk}")
    assert body["status"] == theirs
    assert body["activity"][0]["detail"]["status"] == activity
    reason_given = ours in ("on_hold", "stopped")
    assert any("Holiday" in note["text"] for note in body["note"]) is reason_given
    assert ("statusReason" in body["activity"][0]["detail"]) is reason_given
    assert ("end" in body.get("period", {})) is (ours in ("completed", "stopped"))


def test_a_stopped_plan_is_revoked_with_its_reason(world: Any, nurse: Client) -> None:
    plan = active(world.prescriber_a, world.patient_a)
    actions.do_set_status(actor(world.prescriber_a), plan, "stopped", "No response at session 4")
    body = read(nurse, CarePlan, f"CarePlan/{plan.pk}")
    assert body["status"] == "revoked"
    assert {"text": "Stopped: No response at session 4"} in body["note"]


def test_booked_appointments_are_activities(world: Any, nurse: Client) -> None:
    plan = plan_row(world.prescriber_a, world.patient_a, status="active")
    room = chair(world.clinic_a)
    second = appointment(world.patient_a, at(5), plan=plan, session_number=2, resource=room)
    first = appointment(world.patient_a, at(3), plan=plan, session_number=1, resource=room)
    appointment(world.patient_a, at(9), type="follow_up")  # not under the plan
    body = read(nurse, CarePlan, f"CarePlan/{plan.pk}")
    references = [a["reference"] for a in body["activity"][1:]]
    assert references == [
        {"reference": f"Appointment/{first.pk}", "display": "Treatment session 1, 2026-03-03"},
        {"reference": f"Appointment/{second.pk}", "display": "Treatment session 2, 2026-03-05"},
    ]
    # cpa-1: an activity has a reference or a detail, never both.
    assert all(("reference" in a) != ("detail" in a) for a in body["activity"])


def test_search_by_patient_and_status(world: Any, nurse: Client) -> None:
    old = plan_row(world.prescriber_a, world.patient_a, status="stopped")
    new = plan_row(world.prescriber_a, world.patient_a, status="active")
    other = plan_row(world.prescriber_a, world.patient_a, status="on_hold")
    everything = search(nurse, CarePlan, f"CarePlan?patient={world.patient_a.pk}")
    assert ids(everything) == [str(other.pk), str(new.pk), str(old.pk)]
    assert ids(search(nurse, CarePlan, "CarePlan?status=revoked")) == [str(old.pk)]
    assert ids(search(nurse, CarePlan, "CarePlan?status=on-hold")) == [str(other.pk)]
    assert ids(search(nurse, CarePlan, "CarePlan?status=stopped")) == []  # ours, not FHIR's
    both = f"CarePlan?patient=Patient/{world.patient_a.pk}&status=active"
    assert ids(search(nurse, CarePlan, both)) == [str(new.pk)]
    page = search(nurse, CarePlan, f"CarePlan?patient={world.patient_a.pk}&_count=1&_offset=1")
    assert ids(page) == [str(new.pk)] and page["total"] == 3
    entry = AuditEntry.objects.filter(action="fhir.care_plan.searched").first()
    assert entry is not None and entry.patient_id == str(world.patient_a.pk)


def test_another_clinics_plan_is_not_found(world: Any, nurse: Client, clinician_b: Client) -> None:
    plan = plan_row(world.prescriber_a, world.patient_a, status="active")
    unknown = read(nurse, CarePlan, "CarePlan/999999", expect=404)
    assert read(clinician_b, CarePlan, f"CarePlan/{plan.pk}", expect=404) == unknown
    assert read(nurse, CarePlan, "CarePlan/not-a-number", expect=404) == unknown
    for query in (f"?patient={world.patient_a.pk}", "", "?status=active"):
        empty = search(clinician_b, CarePlan, f"CarePlan{query}")
        assert empty["total"] == 0 and "entry" not in empty
    refused = AuditEntry.objects.filter(action="patients.access.refused", object_type="plan")
    assert refused.count() == 3


def test_bad_search_parameters_are_refused(world: Any, nurse: Client) -> None:
    body = search(nurse, CarePlan, "CarePlan?subject=x", expect=400)
    assert "Unknown search parameter 'subject'" in body["issue"][0]["diagnostics"]
    body = search(nurse, CarePlan, "CarePlan?status=active,draft", expect=400)
    assert "'status'" in body["issue"][0]["diagnostics"]
    body = search(nurse, CarePlan, "CarePlan?status:not=active", expect=400)
    assert "modifier" in body["issue"][0]["diagnostics"]


def test_search_reads_a_page_in_a_fixed_number_of_queries(
    world: Any, nurse: Client, django_assert_max_num_queries: Any
) -> None:
    room = chair(world.clinic_a)
    for n in range(5):
        plan = plan_row(world.prescriber_a, world.patient_a, status="completed", targets=TARGETS)
        appointment(world.patient_a, at(n + 1), plan=plan, resource=room)
    # Token (3), count, page, the appointments of the page, audit (5): none per plan.
    with django_assert_max_num_queries(11):
        bundle = search(nurse, CarePlan, "CarePlan")
    assert bundle["total"] == 5
