"""Appointment reminders: 48 h and 2 h, once each however often (or concurrently) the schedule
runs, never for a cancelled visit, the protocol's instructions, and failures visible and
retried."""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.template import Context, Template

from ketacare.accounts.models import AuditEntry
from ketacare.measures import tasks
from ketacare.notify.models import NotificationLog
from ketacare.scheduling.models import AppointmentReminder, ReminderLead
from ketacare.scheduling.reminders import (
    lead_due,
    pre_visit_instructions,
    send_appointment_reminders,
)
from tests.notify.backends import FailingSmsBackend, RecordingSmsBackend
from tests.reminders.reminder_helpers import START, appointment, plan_for

LINK = re.compile(r"http://testserver/a/([A-Za-z0-9_-]{43})/")


@pytest.fixture
def reachable(world: Any) -> Any:
    """patient_a with an email address and a phone."""
    world.patient_a.email = "ada@example.com"
    world.patient_a.save()
    return world.patient_a


def run(at: Any, capture: Any, times: int = 1) -> list[dict[str, int]]:
    """The reminder pass alone (the schedule also sends questionnaires, tested elsewhere)."""
    with time_machine.travel(at, tick=False), capture(execute=True):
        return [send_appointment_reminders() for _ in range(times)]


def test_the_schedule_runs_the_reminder_pass(
    reachable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appointment(reachable)
    with (
        time_machine.travel(START - timedelta(hours=47), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert tasks.schedule_pass()["reminders_sent"] == 1
        assert tasks.schedule_pass()["reminders_sent"] == 0
    assert NotificationLog.objects.filter(purpose="scheduling.reminder").count() == 2


def test_48h_and_2h_reminders_go_out_once_each_even_when_the_pass_runs_twice(
    reachable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    visit = appointment(reachable)
    first = run(START - timedelta(hours=47), django_capture_on_commit_callbacks, times=2)
    assert first[0]["reminders_sent"] == 1 and first[1]["reminders_sent"] == 0
    assert len(mail.outbox) == 1 and len(RecordingSmsBackend.sent) == 1
    # Between the windows nothing goes out.
    assert (
        run(START - timedelta(hours=20), django_capture_on_commit_callbacks)[0]["reminders_sent"]
        == 0
    )
    second = run(START - timedelta(minutes=90), django_capture_on_commit_callbacks, times=2)
    assert [r["reminders_sent"] for r in second] == [1, 0]
    rows = AppointmentReminder.objects.filter(appointment=visit)
    assert sorted(rows.values_list("lead_hours", "channel")) == [
        (2, "email"),
        (2, "sms"),
        (48, "email"),
        (48, "sms"),
    ]
    assert NotificationLog.objects.filter(status="sent").count() == 4
    assert len(mail.outbox) == 2 and len(RecordingSmsBackend.sent) == 2
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert "Alpha Clinic" in message.subject and "Wednesday, June 3 at 10:00 AM EDT" in message.body
    assert "Chair 3" in message.body and "988" in message.body


def test_no_reminder_for_a_cancelled_appointment(
    reachable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    appointment(reachable, status="cancelled")
    appointment(reachable, starts_at=START + timedelta(hours=1), status="no_show")
    result = run(START - timedelta(hours=47), django_capture_on_commit_callbacks)[0]
    assert result["reminders_sent"] == 0
    assert not AppointmentReminder.objects.exists() and not mail.outbox


def test_an_appointment_booked_3_hours_ahead_gets_only_the_2_hour_reminder(
    reachable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    visit = appointment(reachable)
    assert (
        run(START - timedelta(hours=3), django_capture_on_commit_callbacks)[0]["reminders_sent"]
        == 0
    )
    assert (
        run(START - timedelta(hours=2), django_capture_on_commit_callbacks)[0]["reminders_sent"]
        == 1
    )
    assert set(visit.reminders.values_list("lead_hours", flat=True)) == {2}


def test_lead_windows_do_not_overlap() -> None:
    leads = (48, 2)
    assert lead_due(leads, START, START - timedelta(hours=48)) == 48
    assert lead_due(leads, START, START - timedelta(hours=24, minutes=1)) == 48
    assert lead_due(leads, START, START - timedelta(hours=24)) is None
    assert lead_due(leads, START, START - timedelta(hours=3)) is None
    assert lead_due(leads, START, START - timedelta(hours=2)) == 2
    assert lead_due(leads, START, START - timedelta(minutes=1)) == 2
    assert lead_due(leads, START, START) is None
    assert lead_due((72, 48, 2), START, START - timedelta(hours=60)) == 72
    assert lead_due((72, 48, 2), START, START - timedelta(hours=47)) == 48


def test_a_clinics_lead_times_replace_the_defaults(
    reachable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ReminderLead.objects.create(clinic=reachable.clinic, hours=24)
    visit = appointment(reachable)
    run(START - timedelta(hours=47), django_capture_on_commit_callbacks)
    assert not visit.reminders.exists()
    run(START - timedelta(hours=23), django_capture_on_commit_callbacks)
    run(START - timedelta(hours=1), django_capture_on_commit_callbacks)
    assert set(visit.reminders.values_list("lead_hours", flat=True)) == {24}


def test_a_patient_with_no_email_and_no_phone_is_recorded_as_not_reminded(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world.patient_a.phone = ""
    world.patient_a.save()
    visit = appointment(world.patient_a)
    result = run(START - timedelta(hours=47), django_capture_on_commit_callbacks, times=2)
    assert result[0]["reminders_unreachable"] == 1 and result[1]["reminders_unreachable"] == 0
    row = visit.reminders.get()
    assert (row.lead_hours, row.channel, row.notification) == (48, "none", None)
    assert AuditEntry.objects.filter(action="scheduling.reminder.unreachable").count() == 1
    html = Template("{% load reminder_tags %}{% appointment_reminders a %}").render(
        Context({"a": visit})
    )
    assert "not sent" in html and "No email address or phone number" in html


def test_instructions_come_from_the_plans_protocol(world: Any) -> None:
    patient, prescriber = world.patient_a, world.prescriber_a
    esketamine = plan_for(patient, prescriber, "esketamine_trd_us", "esketamine_nasal", "induction")
    lines = pre_visit_instructions(appointment(patient, plan=esketamine))
    text = " ".join(lines)
    assert "Do not eat for at least 2 hours" in text
    assert "Do not drink anything for at least 30 minutes" in text
    assert "Arrange a ride home" in text
    assert "until the next day, after a restful sleep" in text
    assert "nasal steroid or decongestant" in text
    assert "at least 2 hours after your dose" in text

    esketamine.status = "stopped"
    esketamine.save()
    iv = plan_for(patient, prescriber, "iv_ketamine_depression", "iv_racemic", "induction")
    iv_text = " ".join(
        pre_visit_instructions(appointment(patient, START + timedelta(days=1), plan=iv))
    )
    assert "responsible adult" in iv_text and "Do not eat" not in iv_text

    generic = pre_visit_instructions(appointment(patient, START + timedelta(days=2)))
    assert generic[0].startswith("Arrange a ride home")
    evaluation = appointment(patient, START + timedelta(days=3), type="evaluation")
    assert pre_visit_instructions(evaluation) == ["Bring a list of the medicines you take."]
    assert (
        pre_visit_instructions(appointment(patient, START + timedelta(days=4), type="integration"))
        == []
    )


def test_the_esketamine_instructions_are_in_the_text_message(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    plan = plan_for(
        world.patient_a, world.prescriber_a, "esketamine_trd_us", "esketamine_nasal", "induction"
    )
    appointment(world.patient_a, plan=plan)
    run(START - timedelta(hours=47), django_capture_on_commit_callbacks)
    [(to, body)] = RecordingSmsBackend.sent
    assert to == world.patient_a.phone
    assert "Do not eat for at least 2 hours" in body and "Confirm or cancel: http" in body


def test_the_link_token_is_stored_only_as_a_hash_and_reissued_with_each_reminder(
    world: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    visit = appointment(world.patient_a)
    run(START - timedelta(hours=47), django_capture_on_commit_callbacks)
    first = LINK.search(RecordingSmsBackend.sent[0][1])
    assert first is not None
    visit.refresh_from_db()
    assert visit.link_token_hash == hashlib.sha256(first.group(1).encode()).hexdigest()
    assert NotificationLog.objects.get().body == ""  # the live link is not kept once sent
    run(START - timedelta(hours=1), django_capture_on_commit_callbacks)
    second = LINK.search(RecordingSmsBackend.sent[1][1])
    assert second is not None and second.group(1) != first.group(1)
    with time_machine.travel(START - timedelta(hours=1), tick=False):
        assert client.get(f"/a/{first.group(1)}/").status_code == 404
        assert client.get(f"/a/{second.group(1)}/").status_code == 200


def test_a_failed_send_is_visible_on_the_appointment_and_retried(
    world: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.FailingSmsBackend"
    visit = appointment(world.patient_a)
    tag = Template("{% load reminder_tags %}{% appointment_reminders a %}")
    with time_machine.travel(START - timedelta(hours=47), tick=False) as traveller:
        with django_capture_on_commit_callbacks(execute=True):
            tasks.schedule_pass()
        log = NotificationLog.objects.get(purpose="scheduling.reminder")
        assert (log.status, log.attempts, log.purpose) == ("failed", 1, "scheduling.reminder")
        html = tag.render(Context({"a": visit}))
        assert "Failed" in html and "ConnectionError: gateway unreachable" in html
        assert "1 of 5" in html
        settings.KETACARE_SMS_BACKEND = "tests.notify.backends.RecordingSmsBackend"
        traveller.shift(timedelta(minutes=2))
        with django_capture_on_commit_callbacks(execute=True):
            result = tasks.schedule_pass()
        assert result["messages_retried"] >= 1 and result["reminders_sent"] == 0
    log.refresh_from_db()
    assert (log.status, log.attempts) == ("sent", 2)
    assert FailingSmsBackend.calls >= 1
    assert [body for _, body in RecordingSmsBackend.sent if "reminder of your" in body]
    assert "Sent" in tag.render(Context({"a": visit}))


def test_a_reminder_is_not_sent_for_an_appointment_cancelled_after_it_was_listed(
    reachable: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Worker A lists the candidates, the patient cancels, then A tries to send."""
    from ketacare.scheduling.reminders import reminder_candidates, send_reminder

    visit = appointment(reachable)
    now = START - timedelta(hours=47)
    [(seen, lead)] = reminder_candidates(now)
    visit.status = "cancelled"
    visit.save()
    assert send_reminder(seen.pk, lead, now) == "skipped"
    assert not AppointmentReminder.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_on_postgresql_send_each_reminder_once(reachable: Any) -> None:
    for hours in range(5):
        appointment(reachable, starts_at=START + timedelta(hours=hours * 3), minutes=60)
    barrier = threading.Barrier(2)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []
    now = START - timedelta(hours=36)

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(send_appointment_reminders(now))
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
    assert sum(r["reminders_sent"] for r in results) == 5
    assert AppointmentReminder.objects.count() == 10  # email + text for each
    assert NotificationLog.objects.count() == 10
