"""The background schedule: one link per due item however often (or how concurrently) it
runs, reminders at most daily, failed sends recorded and retried, and `ketacare worker`."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures import tasks
from ketacare.measures.models import DueAssessment, EpisodeOfCare, SelfReportLink
from ketacare.measures.scheduling import clinic_today, generate_due_items
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.notify.models import NotificationLog
from tests.notify.backends import FailingSmsBackend, RecordingSmsBackend

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=NEW_YORK)


@pytest.fixture
def due_patient(world: Any) -> Any:
    """patient_a, reachable by SMS, with an episode starting MONDAY (PHQ-9, GAD-7, C-SSRS due)."""
    world.patient_a.preferred_contact = "sms"
    world.patient_a.save()
    EpisodeOfCare.objects.create(patient=world.patient_a, title="IV ketamine", started_on=MONDAY)
    return world.patient_a


def test_run_schedule_sends_one_link_for_the_due_items_even_when_run_twice(
    due_patient: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        time_machine.travel(at(MONDAY), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = tasks.run_schedule.enqueue().return_value
        second = tasks.run_schedule.enqueue().return_value
    assert first is not None and first["links_sent"] == 1
    assert second is not None and second.get("links_sent", 0) == 0
    link = SelfReportLink.objects.get()
    assert sorted(link.scale_codes) == ["cssrs_recent", "gad7", "phq9"]
    assert link.context == "intake_baseline" and link.channel == "sms"
    assert len(RecordingSmsBackend.sent) == 1
    assert DueAssessment.objects.filter(last_reminded_at__isnull=True).count() == 0


def test_two_workers_interleaved_claim_each_item_once(
    due_patient: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Worker A reads the candidates, worker B runs a whole pass, then A tries to send."""
    with (
        time_machine.travel(at(MONDAY), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        now = timezone.now()
        clinic = due_patient.clinic
        generate_due_items(clinic, MONDAY)
        seen_by_a = tasks.due_candidates(clinic, MONDAY, now)
        tasks.schedule_pass(now)  # worker B
        sent_by_a = [
            tasks.send_for_patient(p, items, MONDAY, now) for p, items in seen_by_a.items()
        ]
    assert sent_by_a == [False]
    assert SelfReportLink.objects.count() == 1 and len(RecordingSmsBackend.sent) == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_on_postgresql_send_one_link(due_patient: Any) -> None:
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(tasks.schedule_pass(at(MONDAY)))
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
    assert sum(r.get("links_sent", 0) for r in results) == 1
    assert SelfReportLink.objects.count() == 1
    assert NotificationLog.objects.filter(status="sent").count() == 1
    rows = DueAssessment.objects.values_list("patient_id", "scale_code", "due_on", "rule_id")
    assert len(rows) == len(set(rows)) == 3


def test_a_link_sent_by_staff_today_is_not_sent_again(
    due_patient: Any, world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(at(MONDAY), tick=False):
        generate_due_items(due_patient.clinic, MONDAY)
        staff = Actor(user_id=world.nurse_a.pk, label="nurse@a.test")
        do_issue_link(staff, due_patient, ["phq9"], context="follow_up", channel="in_clinic")
        with django_capture_on_commit_callbacks(execute=True):
            result = tasks.schedule_pass()
    assert result.get("links_sent", 0) == 0 and SelfReportLink.objects.count() == 1


def test_overdue_items_are_reminded_at_most_once_a_day(
    due_patient: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(at(MONDAY), tick=False):
            tasks.schedule_pass()
        # Baselines are overdue after their grace days (C-SSRS 1, PHQ-9 and GAD-7 3).
        with time_machine.travel(at(MONDAY + timedelta(days=1), 10), tick=False):
            assert tasks.schedule_pass().get("links_sent") == 1  # C-SSRS reminder
            assert tasks.schedule_pass().get("links_sent", 0) == 0
        with time_machine.travel(at(MONDAY + timedelta(days=1), 20), tick=False):
            assert tasks.schedule_pass().get("links_sent", 0) == 0
        with time_machine.travel(at(MONDAY + timedelta(days=2), 11), tick=False):
            assert tasks.schedule_pass().get("links_sent") == 1
    texts = [body for _, body in RecordingSmsBackend.sent]
    assert len(texts) == 3 and texts[1].startswith("Reminder: your care team at Alpha Clinic")
    assert SelfReportLink.objects.order_by("created_at")[1].scale_codes == ["cssrs_recent"]


def test_a_patient_without_contact_details_is_skipped(world: Any) -> None:
    world.patient_a.phone = ""
    world.patient_a.save()
    EpisodeOfCare.objects.create(patient=world.patient_a, title="IV", started_on=MONDAY)
    with time_machine.travel(at(MONDAY), tick=False):
        assert tasks.schedule_pass().get("links_sent", 0) == 0
    assert DueAssessment.objects.filter(last_reminded_at__isnull=True).count() == 3


def test_a_failed_send_is_recorded_and_retried(
    due_patient: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.FailingSmsBackend"
    with time_machine.travel(at(MONDAY), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            tasks.schedule_pass()
        log = NotificationLog.objects.get()
        assert (log.status, log.attempts) == ("failed", 1)
        assert log.error == "ConnectionError: gateway unreachable"
        assert log.next_attempt_at == timezone.now() + timedelta(minutes=1)
        assert log.body  # kept for the retry
        # Not yet due: the next pass leaves it alone.
        tasks.schedule_pass()
        assert FailingSmsBackend.calls == 1
        # The gateway is back; after the backoff the sweep delivers it.
        settings.KETACARE_SMS_BACKEND = "tests.notify.backends.RecordingSmsBackend"
        traveller.shift(timedelta(minutes=2))
        assert tasks.schedule_pass()["messages_retried"] == 1
    log.refresh_from_db()
    assert (log.status, log.attempts, log.error, log.body) == ("sent", 2, "", "")
    assert len(RecordingSmsBackend.sent) == 1


def test_email_is_used_when_the_patient_prefers_it(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world.patient_a.email = "ada@example.com"
    world.patient_a.preferred_contact = "email"
    world.patient_a.save()
    EpisodeOfCare.objects.create(patient=world.patient_a, title="IV", started_on=MONDAY)
    with (
        time_machine.travel(at(MONDAY), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        tasks.schedule_pass()
    [message] = mail.outbox
    assert message.to == ["ada@example.com"] and "988" in message.body


def test_worker_command_explains_itself(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_code:
        call_command("worker", "--help")
    assert exit_code.value.code == 0
    text = capsys.readouterr().out
    assert "usage:" in text and "--once" in text and "KETACARE_SCHEDULE_MINUTES" in text


def test_worker_refuses_a_backend_that_is_not_the_database(db: Any) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="database task backend"):
        call_command("worker", "--once")


@pytest.mark.django_db(transaction=True)
def test_worker_keeps_one_schedule_run_queued_in_the_database(
    due_patient: Any, settings: Any
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.KETACARE_SCHEDULE_MINUTES = 15
    path = "ketacare.measures.tasks.run_schedule"
    with time_machine.travel(at(MONDAY), tick=False) as traveller:
        call_command("worker", "--once", verbosity=0, stdout=io.StringIO())
        # The schedule ran (and queued the SMS, which the same pass delivered), and the next
        # run waits in the queue for 15 minutes from now.
        assert SelfReportLink.objects.count() == 1
        assert DBTaskResult.objects.filter(task_path=path, status="SUCCESSFUL").count() == 1
        waiting = DBTaskResult.objects.get(task_path=path, status="READY")
        assert waiting.run_after == timezone.now() + timedelta(minutes=15)
        assert NotificationLog.objects.get().status == "sent"
        # A restart finds the waiting run instead of adding one.
        call_command("worker", "--once", verbosity=0, stdout=io.StringIO())
        assert DBTaskResult.objects.filter(task_path=path, status="READY").count() == 1
        traveller.shift(timedelta(minutes=16))
        call_command("worker", "--once", verbosity=0, stdout=io.StringIO())
        assert DBTaskResult.objects.filter(task_path=path, status="SUCCESSFUL").count() == 2
    assert clinic_today(due_patient.clinic, at(MONDAY)) == MONDAY
    assert SelfReportLink.objects.count() == 1


def test_ketacare_lists_the_worker_command() -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "ketacare", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0 and "  worker" in result.stdout
