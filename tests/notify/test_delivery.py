"""Notifications: written down before they are sent, claimed by one sender, retried with
backoff, given up visibly; text messages never name the patient."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from ketacare.measures.selfreport_actions import sms_text
from ketacare.notify.delivery import (
    backoff,
    deliver,
    due_for_retry,
    queue_notification,
    release_stale,
)
from ketacare.notify.models import NotificationLog
from ketacare.notify.send import send_sms
from tests.notify.backends import FailingSmsBackend, RecordingSmsBackend


def sms(**kwargs: Any) -> NotificationLog:
    return queue_notification(
        channel="sms", to="555-010-0100", body="hello", purpose="test", **kwargs
    )


def test_sms_text_names_the_clinic_and_the_link_but_never_the_patient() -> None:
    text = sms_text("Alpha Clinic", "https://clinic.example/r/abc/")
    assert text == (
        "Your care team at Alpha Clinic asks you to fill in a short questionnaire: "
        "https://clinic.example/r/abc/"
    )
    assert sms_text("Alpha Clinic", "u", reminder=True).startswith("Reminder: your care team")


def test_the_default_sms_backend_writes_to_the_log(settings: Any, caplog: Any) -> None:
    settings.KETACARE_SMS_BACKEND = "ketacare.notify.sms.ConsoleSmsBackend"
    with caplog.at_level(logging.INFO, logger="ketacare.sms"):
        send_sms("555-010-0100", "a message")
    assert "SMS to 555-010-0100: a message" in caplog.text


def test_email_is_sent_and_the_body_forgotten(db: Any) -> None:
    log = queue_notification(
        channel="email", to="a@example.com", subject="Hi", body="link", purpose="test"
    )
    delivered = deliver(log.pk)
    assert delivered is not None and delivered.status == "sent"
    assert mail.outbox[0].to == ["a@example.com"] and mail.outbox[0].body == "link"
    log.refresh_from_db()
    assert (log.status, log.attempts, log.body) == ("sent", 1, "")
    assert log.sent_at is not None


def test_a_message_is_delivered_once_however_often_it_is_handed_over(db: Any) -> None:
    log = sms()
    assert deliver(log.pk) is not None
    assert deliver(log.pk) is None
    assert RecordingSmsBackend.sent == [("555-010-0100", "hello")]


def test_failures_back_off_exponentially_then_give_up_visibly(db: Any, settings: Any) -> None:
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.FailingSmsBackend"
    log = sms()
    waits = []
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(log.max_attempts):
            failed = deliver(log.pk)
            assert failed is not None and failed.status == "failed"
            assert deliver(log.pk) is None  # not due yet: nobody may send it
            if failed.next_attempt_at:
                waits.append(failed.next_attempt_at - timezone.now())
                traveller.move_to(failed.next_attempt_at)
    assert waits == [timedelta(minutes=m) for m in (1, 4, 16, 64)]
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (1, 4, 16)]
    log.refresh_from_db()
    assert (log.status, log.attempts, log.next_attempt_at, log.body) == ("failed", 5, None, "")
    assert log.gave_up and "ConnectionError" in log.error
    assert FailingSmsBackend.calls == 5
    assert due_for_retry(timezone.now() + timedelta(days=1)) == []


def test_lost_and_stuck_messages_are_handed_back(db: Any) -> None:
    lost = sms()
    stuck = sms()
    NotificationLog.objects.filter(pk=stuck.pk).update(
        status="sending", attempts=1, last_attempt_at=timezone.now()
    )
    now = timezone.now()
    assert due_for_retry(now) == []
    later = now + timedelta(minutes=20)
    assert release_stale(later) == 1
    assert due_for_retry(later) == [lost.pk, stuck.pk]
    assert deliver(stuck.pk, later) is not None
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("sent", 2)


def test_unknown_channel_is_refused(db: Any) -> None:
    with pytest.raises(ValueError, match="unknown channel"):
        queue_notification(channel="fax", to="1", body="x", purpose="test")


def test_a_message_interrupted_on_its_last_attempt_is_given_up_visibly(db: Any) -> None:
    """It was left "failed, next try now" but never retried (no attempts left): neither sent,
    nor retried, nor shown as given up."""
    stuck = sms()
    NotificationLog.objects.filter(pk=stuck.pk).update(
        status="sending", attempts=stuck.max_attempts, last_attempt_at=timezone.now()
    )
    later = timezone.now() + timedelta(minutes=20)
    assert release_stale(later) == 1
    stuck.refresh_from_db()
    assert stuck.gave_up and stuck.next_attempt_at is None
    assert "last attempt" in stuck.error and stuck.body == ""
    assert due_for_retry(later + timedelta(days=1)) == []
    assert deliver(stuck.pk, later + timedelta(days=1)) is None
    assert RecordingSmsBackend.sent == []


def test_a_send_that_hung_past_its_release_does_not_overwrite_the_takeover(
    db: Any, monkeypatch: Any
) -> None:
    """Worker A's send hangs 20 minutes; the sweep releases the message and worker B sends it.
    A's late failure used to mark the sent message failed and schedule a third send."""
    from ketacare.notify import delivery

    log = sms()
    start = timezone.now()
    later = start + timedelta(minutes=20)
    hung: list[int] = []

    def send_sms(to: str, body: str) -> None:
        if not hung:  # worker A's attempt: meanwhile the sweep and worker B run
            hung.append(1)
            assert release_stale(later) == 1
            assert deliver(log.pk, later) is not None
            raise TimeoutError("gateway timed out")
        RecordingSmsBackend.sent.append((to, body))

    monkeypatch.setattr(delivery, "send_sms", send_sms)
    deliver(log.pk, start)  # worker A: hangs, then fails
    log.refresh_from_db()
    assert (log.status, log.attempts, log.next_attempt_at) == ("sent", 2, None)
    assert RecordingSmsBackend.sent == [("555-010-0100", "hello")]
    assert due_for_retry(later + timedelta(hours=2)) == []


def test_a_gateway_that_never_answers_fails_the_attempt_instead_of_holding_the_worker(
    db: Any, settings: Any, monkeypatch: Any
) -> None:
    from ketacare.notify import send
    from tests.notify.backends import HangingSmsBackend

    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.HangingSmsBackend"
    monkeypatch.setattr(send, "SMS_TIMEOUT", 0.2)
    HangingSmsBackend.release.clear()
    log = sms()
    try:
        failed = deliver(log.pk)
    finally:
        HangingSmsBackend.release.set()
    assert failed is not None and failed.status == "failed"
    assert failed.next_attempt_at is not None  # retried
    assert "did not answer within 0.2 s" in failed.error


def test_a_gateway_error_is_raised_to_the_caller(settings: Any) -> None:
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.FailingSmsBackend"
    with pytest.raises(ConnectionError, match="gateway unreachable"):
        send_sms("555-010-0100", "a message")
