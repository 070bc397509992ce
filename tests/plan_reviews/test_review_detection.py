"""Review points and the stop rule become tasks on the prescriber's work list: once each,
at the right time, with the data behind them, and an email to the prescriber."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections

from ketacare.accounts.models import AuditEntry
from ketacare.measures import tasks
from ketacare.notify.models import NotificationLog
from ketacare.plans.models import ReviewTask
from ketacare.plans.reviews import detect_plan_reviews
from tests.plan_reviews.review_helpers import MONDAY, at, iv_plan, score, sessions
from tests.reminders.reminder_helpers import plan_for

# Session 4 (every 2 days from Monday 1 June) ends Sunday 7 June at 11:00.
SESSION_4_END = at(MONDAY + timedelta(days=6), 11)
STOP_TIME = SESSION_4_END + timedelta(hours=24)


@pytest.fixture
def plan(world: Any) -> Any:
    plan = iv_plan(world.prescriber_a, world.patient_a)
    score(world.patient_a, "madrs", 30, at(MONDAY - timedelta(days=2)), context="intake_baseline")
    return plan


def detect(when: Any, capture: Any) -> dict[str, int]:
    with time_machine.travel(when, tick=False), capture(execute=True):
        return detect_plan_reviews()


def test_a_review_point_becomes_one_task_with_its_evidence_and_one_email(
    plan: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sessions(plan, 1)
    score(world.patient_a, "madrs", 21, at(MONDAY, 14))
    # 4 h after the end of session 1 (11:00) is 15:00.
    assert detect(at(MONDAY, 14), django_capture_on_commit_callbacks)["reviews_created"] == 0
    assert detect(at(MONDAY, 15), django_capture_on_commit_callbacks)["reviews_created"] == 1
    assert detect(at(MONDAY, 16), django_capture_on_commit_callbacks)["reviews_created"] == 0
    task = ReviewTask.objects.get()
    assert (task.code, task.kind, task.status) == ("early_signal", "review_point", "open")
    assert task.assigned_to == world.prescriber_a and task.clinic == world.clinic_a
    assert task.due_at == at(MONDAY, 15)
    data = task.data
    assert data["sessions_completed"] == 1 and data["scale"] == "madrs"
    assert data["baseline"]["total"] == 30 and data["at_time_point"]["total"] == 21
    assert data["latest"]["total"] == 21 and data["improvement_pct"] == 30.0
    assert "4-h response" in data["what"]
    [message] = mail.outbox
    assert message.to == [world.prescriber_a.email]
    assert f"/reviews/{task.pk}/" in message.body and "Lovelace" not in message.body
    assert NotificationLog.objects.get().purpose == "plans.review"
    assert AuditEntry.objects.filter(action="plans.review.created").count() == 1


def test_the_schedule_runs_the_review_pass(
    plan: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sessions(plan, 1)
    with (
        time_machine.travel(at(MONDAY, 16), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.schedule_pass()["reviews_created"] == 1
        assert tasks.schedule_pass()["reviews_created"] == 0


def test_the_stop_rule_fires_below_20_percent_improvement_24h_after_infusion_4(
    plan: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sessions(plan, 4)
    score(world.patient_a, "madrs", 25, STOP_TIME - timedelta(hours=1))  # 16.7 %
    detect(STOP_TIME - timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert not ReviewTask.objects.filter(code__in=["stop_rule", "non_response_check"]).exists()
    detect(STOP_TIME, django_capture_on_commit_callbacks)
    stop = ReviewTask.objects.get(code="stop_rule")
    assert stop.kind == "stop_rule" and stop.due_at == STOP_TIME
    assert stop.data["fires"] is True and stop.data["improvement_pct"] == 16.7
    assert stop.data["threshold_pct"] == 20.0 and stop.data["sessions_completed"] == 4
    assert ReviewTask.objects.filter(code="non_response_check").exists()
    # One email per task: early signal, non-response check and the stop rule.
    assert len(mail.outbox) == ReviewTask.objects.count() == 3


def test_the_stop_rule_does_not_fire_at_20_percent_improvement(
    plan: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sessions(plan, 4)
    score(world.patient_a, "madrs", 24, STOP_TIME - timedelta(hours=1))  # exactly 20 %
    detect(STOP_TIME + timedelta(hours=1), django_capture_on_commit_callbacks)
    detect(STOP_TIME + timedelta(hours=2), django_capture_on_commit_callbacks)
    assert not ReviewTask.objects.filter(code="stop_rule").exists()
    review = ReviewTask.objects.get(code="non_response_check")
    assert review.data["improvement_pct"] == 20.0


def test_with_no_score_after_the_time_point_the_stop_task_says_so(
    plan: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sessions(plan, 4)
    score(world.patient_a, "madrs", 10, SESSION_4_END - timedelta(hours=3))  # before infusion 4
    detect(STOP_TIME, django_capture_on_commit_callbacks)
    stop = ReviewTask.objects.get(code="stop_rule")
    assert stop.data["fires"] is None and stop.data["at_time_point"] is None
    assert any("could not be checked" in note for note in stop.data["notes"])


def test_phq9_is_used_when_the_protocols_scale_was_not_recorded(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    plan = iv_plan(world.prescriber_a, world.patient_a)
    score(world.patient_a, "phq9", 20, at(MONDAY - timedelta(days=1)))
    sessions(plan, 4)
    score(world.patient_a, "phq9", 18, STOP_TIME - timedelta(hours=2))
    detect(STOP_TIME, django_capture_on_commit_callbacks)
    stop = ReviewTask.objects.get(code="stop_rule")
    assert stop.data["scale"] == "phq9" and stop.data["fires"] is True
    assert "MADRS has no baseline: PHQ-9 is used instead." in stop.data["notes"]


def test_week_points_and_the_esketamine_judgement_at_week_4(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    plan = plan_for(
        world.patient_a, world.prescriber_a, "esketamine_trd_us", "esketamine_nasal", "induction"
    )
    plan.starts_on = MONDAY
    plan.save()
    week_4 = at(MONDAY + timedelta(weeks=4), 0)
    detect(week_4 - timedelta(minutes=1), django_capture_on_commit_callbacks)
    assert not ReviewTask.objects.exists()
    detect(week_4, django_capture_on_commit_callbacks)
    task = ReviewTask.objects.get()
    assert task.code == "end_of_induction" and task.due_at == week_4
    assert "therapeutic benefit" in task.data["stop_rule"]["criterion"]
    assert task.data["scale"] == "phq9" and task.data["sessions_completed"] == 0


def test_nothing_is_created_for_plans_that_are_not_active(
    plan: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sessions(plan, 6)
    plan.status = "on_hold"
    plan.save()
    detect(STOP_TIME + timedelta(days=10), django_capture_on_commit_callbacks)
    assert not ReviewTask.objects.exists()


def test_cancelled_and_no_show_sessions_do_not_count(
    plan: Any, django_capture_on_commit_callbacks: Any
) -> None:
    booked = sessions(plan, 4)
    booked[1].status = "no_show"
    booked[1].save()
    detect(STOP_TIME + timedelta(days=3), django_capture_on_commit_callbacks)
    assert set(ReviewTask.objects.values_list("code", flat=True)) == {"early_signal"}


def test_a_second_creation_of_the_same_task_is_a_no_op(
    plan: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from ketacare.plans.actions import plan_protocol
    from ketacare.plans.reviews import _create_task, points_of

    sessions(plan, 1)
    point = points_of(plan_protocol(plan))[0]
    with django_capture_on_commit_callbacks(execute=True):
        first = _create_task(plan, point, at(MONDAY, 15), {}, at(MONDAY, 15))
        second = _create_task(plan, point, at(MONDAY, 15), {}, at(MONDAY, 15))
    assert first is not None and second is None
    assert ReviewTask.objects.count() == 1 and len(mail.outbox) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_on_postgresql_create_each_task_once(world: Any) -> None:
    plan = iv_plan(world.prescriber_a, world.patient_a)
    score(world.patient_a, "madrs", 30, at(MONDAY - timedelta(days=2)), context="intake_baseline")
    sessions(plan, 6)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(detect_plan_reviews(STOP_TIME + timedelta(days=10)))
        except BaseException as problem:  # surfaced by the assertion below
            errors.append(problem)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    codes = list(ReviewTask.objects.values_list("code", flat=True))
    assert sorted(codes) == ["early_signal", "end_of_induction", "non_response_check", "stop_rule"]
    assert sum(r["reviews_created"] for r in results) == 4
    assert NotificationLog.objects.filter(purpose="plans.review").count() == 4


def test_the_review_baseline_uses_the_clinics_baseline_window(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The review's baseline window is the clinic's (`baseline_lookback_days` of its response
    rules), as the chart's course uses: a MADRS ten days before the first dose is the baseline
    under the default 28 days and is not under a 7-day window."""
    from ketacare.accounts.audit import Actor
    from ketacare.measures.response_settings import do_set_response_rules

    do_set_response_rules(
        Actor(user_id=world.admin_a.pk, label="admin"),
        world.clinic_a,
        {"baseline_lookback_days": 7},
        reason="intake is booked within a week of the first dose",
    )
    plan = iv_plan(world.prescriber_a, world.patient_a)
    score(world.patient_a, "madrs", 30, at(MONDAY - timedelta(days=10)), context="intake_baseline")
    score(world.patient_a, "phq9", 18, at(MONDAY - timedelta(days=3)), context="intake_baseline")
    sessions(plan, 1)
    score(world.patient_a, "madrs", 21, at(MONDAY, 14))
    detect(at(MONDAY, 15), django_capture_on_commit_callbacks)
    data = ReviewTask.objects.get().data
    assert "MADRS has no baseline: PHQ-9 is used instead." in data["notes"]
    assert data["scale"] == "phq9" and data["baseline"]["total"] == 18
