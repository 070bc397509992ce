"""Follow-up: booster may be due (list + chart), relapse review tasks from the schedule pass."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.aftercare.followup import detect_followup
from ketacare.aftercare.models import FollowUpTask, TaskStatus
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.models import EpisodeOfCare
from ketacare.measures.tasks import schedule_pass
from ketacare.patients.models import Patient
from tests.aftercare.helpers import actor

pytestmark = pytest.mark.django_db


def phq9(world: Any, patient: Patient, total: int, days_ago: int, episode: Any) -> None:
    answers = {f"phq9-{i}": 0 for i in range(1, 10)}
    left = total
    for i in range(1, 9):
        answers[f"phq9-{i}"] = min(3, left)
        left -= answers[f"phq9-{i}"]
    do_record_assessment(
        actor(world.nurse_a),
        patient,
        "phq9",
        answers,
        episode=episode,
        administered_at=timezone.now() - timedelta(days=days_ago),
    )


def course(world: Any, totals: list[int], patient: Patient | None = None) -> EpisodeOfCare:
    patient = patient or world.patient_a
    episode = EpisodeOfCare.objects.create(
        patient=patient,
        title="IV ketamine for TRD",
        started_on=timezone.localdate() - timedelta(days=60),
    )
    for i, total in enumerate(totals):
        phq9(world, patient, total, days_ago=50 - i * 7, episode=episode)
    return episode


def test_booster_may_be_due_is_listed_and_on_the_chart(world: Any, as_user: Any) -> None:
    course(world, [20, 9, 4, 10])  # responder, best 4, latest 10: +30 % of baseline
    client = as_user(world.prescriber_a)
    page = client.get("/aftercare/followup/").content.decode()
    boosters = page.split('data-testid="boosters"')[1].split('data-testid="tasks"')[0]
    assert "Lovelace" in boosters and "+30.0% of baseline" in boosters
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="chart-booster"' in chart and "best 4" in chart
    assert AuditEntry.objects.filter(action="aftercare.followup.listed").exists()
    # Clinic B does not see clinic A's patient.
    assert "Lovelace" not in as_user(world.clinician_b).get("/aftercare/followup/").content.decode()


def test_booster_threshold_is_the_clinic_setting(world: Any, as_user: Any) -> None:
    course(world, [20, 9, 4, 8])  # +20 %
    client = as_user(world.prescriber_a)
    boosters = client.get("/aftercare/followup/").content.decode().split('data-testid="tasks"')[0]
    assert "Lovelace" not in boosters
    as_user(world.admin_a).post(
        "/aftercare/settings/",
        {
            "integration_gap_days": "7",
            "booster_rise_pct": "20",
            "alcohol_limit_drinks": "0",
            "alcohol_window_days": "1",
        },
    )
    boosters = client.get("/aftercare/followup/").content.decode().split('data-testid="tasks"')[0]
    assert "Lovelace" in boosters


def test_relapse_opens_one_review_task_per_relapse(world: Any, as_user: Any) -> None:
    episode = course(world, [20, 8, 15])  # response, then back above half the baseline
    totals = schedule_pass()
    assert totals.get("relapse_tasks_opened") == 1
    task = FollowUpTask.objects.get()
    assert task.episode == episode and task.kind == "relapse" and task.status == TaskStatus.OPEN
    assert task.data["baseline"] == 20 and task.data["scores"][-1][1] == 15
    assert detect_followup() == {}  # idempotent
    assert FollowUpTask.objects.count() == 1
    assert AuditEntry.objects.filter(action="aftercare.task.opened").count() == 1
    chart = as_user(world.prescriber_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="chart-task"' in chart


def test_no_task_without_relapse(world: Any) -> None:
    course(world, [20, 8, 6])
    course(world, [20, 18, 19], patient=world.patient_b)  # never responded
    detect_followup()
    assert not FollowUpTask.objects.exists()


def test_prescriber_assigns_and_closes_with_a_note(world: Any, as_user: Any) -> None:
    course(world, [20, 8, 15])
    detect_followup()
    task = FollowUpTask.objects.get()
    url = f"/aftercare/tasks/{task.pk}/"
    client = as_user(world.prescriber_a)
    page = client.get(url).content.decode()
    assert "baseline" in page and "15" in page
    client.post(url, {"assigned_to": str(world.prescriber_a.pk), "action": "assign"})
    task.refresh_from_db()
    assert task.assigned_to == world.prescriber_a and task.status == TaskStatus.OPEN
    body = client.post(url, {"assigned_to": "", "action": "done"}).content.decode()
    assert 'data-field="done_note"' in body
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    client.post(
        url,
        {"assigned_to": str(world.prescriber_a.pk), "action": "done", "done_note": "Re-induction"},
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.done_note == "Re-induction"
    assert task.done_by == world.prescriber_a
    assert AuditEntry.objects.filter(action="aftercare.task.updated").count() == 2


def test_task_permissions_and_isolation(world: Any, as_user: Any) -> None:
    course(world, [20, 8, 15])
    detect_followup()
    task = FollowUpTask.objects.get()
    url = f"/aftercare/tasks/{task.pk}/"
    nurse = as_user(world.nurse_a)
    assert nurse.get(url).status_code == 200
    assert nurse.post(url, {"action": "done", "done_note": "x"}).status_code == 403
    assert as_user(world.clinician_b).get(url).status_code == 404
    assert (
        as_user(world.clinician_b).post(url, {"action": "done", "done_note": "x"}).status_code
        == 404
    )
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_visit_due_when_the_plan_interval_has_passed_and_nothing_is_booked(
    world: Any, as_user: Any
) -> None:
    from ketacare.plans.models import TreatmentPlan
    from ketacare.scheduling.models import Appointment
    from tests.aftercare.helpers import dosed_session

    session = dosed_session(world, world.patient_a)
    TreatmentPlan.objects.filter(pk=session.plan_id).update(frequency_count=1, frequency_per_days=7)
    client = as_user(world.prescriber_a)
    visits = client.get("/aftercare/followup/").content.decode().split('data-testid="visits"')[1]
    assert "Lovelace" not in visits  # last session today: not due yet
    Appointment.objects.filter(pk=session.appointment_id).update(
        starts_at=timezone.now() - timedelta(days=10)
    )
    visits = client.get("/aftercare/followup/").content.decode().split('data-testid="visits"')[1]
    assert "Lovelace" in visits and "every 7 days" in visits


def test_a_booster_row_says_when_the_patient_is_in_a_crisis_or_has_a_flag(
    world: Any, as_user: Any
) -> None:
    """A booster is not the next step for a patient in a suicide-risk crisis: the row says so
    and links to the crisis record (an unresolved flag: to the chart)."""
    from ketacare.safety.actions import do_raise_flag
    from ketacare.safety.crisis_models import CrisisRecord

    course(world, [20, 9, 4, 10])
    client = as_user(world.prescriber_a)
    page = client.get("/aftercare/followup/").content.decode()
    assert 'data-testid="booster-crisis"' not in page and 'data-testid="booster-flag"' not in page
    do_raise_flag(
        actor(world.nurse_a), world.patient_a, level="moderate", source="manual", reason="Worried"
    )
    page = client.get("/aftercare/followup/").content.decode()
    assert 'data-testid="booster-flag"' in page and "Unresolved risk flag" in page
    do_raise_flag(
        actor(world.nurse_a), world.patient_a, level="high", source="manual", reason="Plan"
    )
    assert CrisisRecord.objects.filter(patient=world.patient_a, status="open").exists()
    page = client.get("/aftercare/followup/").content.decode()
    assert 'data-testid="booster-crisis"' in page and 'data-testid="booster-flag"' not in page
    assert f"/patients/{world.patient_a.pk}/crisis/" in page
