"""“Weekly during maintenance”: due every 7 days (or N) while the active plan is in a
maintenance-kind phase, counted from the day it entered maintenance, and only then."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine

from ketacare.measures.models import DueAssessment, DueStatus
from ketacare.measures.scheduling import generate_due_items
from ketacare.plans import actions as plan_actions
from ketacare.plans.models import PlanStatus
from tests.measures.calendar_helpers import RuleKind, at, only_rule, plan, revise
from tests.plans.plan_helpers import active, actor

START = date(2026, 3, 2)  # a Monday
ENTERED = date(2026, 3, 20)  # the day the plan moved to maintenance


def due(patient: Any, status: str | None = None) -> list[date]:
    rows = DueAssessment.objects.filter(patient=patient)
    if status:
        rows = rows.filter(status=status)
    return list(rows.order_by("due_on").values_list("due_on", flat=True))


def run_daily(clinic: Any, first: date, last: date) -> None:
    day = first
    while day <= last:
        generate_due_items(clinic, day)
        day += timedelta(days=1)


def test_nothing_is_due_in_induction_then_weekly_from_entering_maintenance(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.MAINTENANCE, interval_days=7)
    treatment = plan(world.patient_a, world.prescriber_a, "induction", starts_on=START)
    revise(treatment, world.prescriber_a, at(START, 8))  # signed, in induction
    run_daily(world.clinic_a, START, ENTERED - timedelta(days=1))
    assert due(world.patient_a) == []
    revise(treatment, world.prescriber_a, at(ENTERED, 16), phase="maintenance")
    run_daily(world.clinic_a, ENTERED, date(2026, 4, 10))
    run_daily(world.clinic_a, date(2026, 4, 10), date(2026, 4, 10))  # again: no duplicates
    assert due(world.patient_a) == [date(2026, 3, 27), date(2026, 4, 3), date(2026, 4, 10)]
    item = DueAssessment.objects.filter(patient=world.patient_a).first()
    assert item is not None and item.reason == "Weekly during maintenance (since 2026-03-20)"


def test_leaving_maintenance_withdraws_what_is_open_and_stops_the_schedule(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.MAINTENANCE, interval_days=7)
    treatment = plan(world.patient_a, world.prescriber_a, "induction", starts_on=START)
    revise(treatment, world.prescriber_a, at(START, 8))
    revise(treatment, world.prescriber_a, at(ENTERED, 16), phase="maintenance")
    run_daily(world.clinic_a, ENTERED, date(2026, 3, 27))
    assert due(world.patient_a, DueStatus.OPEN) == [date(2026, 3, 27)]
    revise(treatment, world.prescriber_a, at(date(2026, 3, 30), 10), phase="taper")
    run_daily(world.clinic_a, date(2026, 3, 30), date(2026, 4, 20))
    assert due(world.patient_a, DueStatus.OPEN) == []
    assert due(world.patient_a, DueStatus.CANCELLED) == [date(2026, 3, 27)]


def test_a_plan_on_hold_is_not_measured_weekly(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.MAINTENANCE)
    plan(world.patient_a, world.prescriber_a, "maintenance", starts_on=START, status="on_hold")
    run_daily(world.clinic_a, START, START + timedelta(days=21))
    assert due(world.patient_a) == []


def test_signed_straight_into_maintenance_counts_from_the_plan_start(world: Any) -> None:
    rule = only_rule(world.clinic_a, "gad7", RuleKind.MAINTENANCE, interval_days=14)
    treatment = plan(world.patient_a, world.prescriber_a, "maintenance", starts_on=START)
    revise(treatment, world.prescriber_a, at(START - timedelta(days=3), 8))
    generate_due_items(world.clinic_a, START + timedelta(days=28))
    assert due(world.patient_a) == [START + timedelta(days=14), START + timedelta(days=28)]
    assert DueAssessment.objects.filter(rule=rule, reason__startswith="Every 14 days").count() == 2


def test_a_plan_without_revisions_counts_from_its_start(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.MAINTENANCE, interval_days=7)
    plan(world.patient_a, world.prescriber_a, "maintenance", starts_on=START)
    generate_due_items(world.clinic_a, START + timedelta(days=7))
    assert due(world.patient_a) == [START + timedelta(days=7)]


def test_moving_between_two_maintenance_phases_keeps_the_anchor(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.MAINTENANCE, interval_days=7)
    treatment = plan(
        world.patient_a, world.prescriber_a, "induction", code="esketamine_trd_us", starts_on=START
    )
    revise(treatment, world.prescriber_a, at(START, 8))
    revise(treatment, world.prescriber_a, at(ENTERED, 9), phase="maintenance_weekly")
    revise(treatment, world.prescriber_a, at(date(2026, 4, 30), 9), phase="maintenance_ongoing")
    generate_due_items(world.clinic_a, date(2026, 5, 8))
    # Weekly from 20 March, not from 30 April (catch-up window: the last 14 days).
    assert due(world.patient_a) == [date(2026, 4, 24), date(2026, 5, 1), date(2026, 5, 8)]


def test_the_phase_change_made_by_the_plans_app_starts_the_schedule(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.MAINTENANCE, interval_days=7)
    with time_machine.travel(at(START, 9), tick=False):
        treatment = active(world.prescriber_a, world.patient_a)
        assert treatment.status == PlanStatus.ACTIVE and treatment.phase == "induction"
        generate_due_items(world.clinic_a, START)
    with time_machine.travel(at(ENTERED, 15), tick=False):
        plan_actions.do_set_phase(
            actor(world.prescriber_a), treatment, "maintenance", reason="responder after 6"
        )
    generate_due_items(world.clinic_a, ENTERED + timedelta(days=7))
    assert due(world.patient_a) == [ENTERED + timedelta(days=7)]


def test_another_clinics_plans_do_not_count(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.MAINTENANCE, interval_days=7)
    plan(world.patient_b, world.clinician_b, "maintenance", starts_on=START)
    generate_due_items(world.clinic_a, START + timedelta(days=7))
    assert not DueAssessment.objects.exists()
