"""The watch pass (every KETACARE_WATCH_SECONDS) releases messages stuck in "sending" and hands
lost ones back to delivery, whatever the schedule pass does; never twice into the queue."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ketacare.core.watch import run_watch_pass
from ketacare.measures.tasks import send_notification
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import NotificationLog
from ketacare.notify.sweep import sweep_notifications
from tests.notify.backends import RecordingSmsBackend


def sms() -> NotificationLog:
    return queue_notification(
        channel="sms", to="555-010-0100", body="flag", purpose="safety.flag", reference="riskflag:1"
    )


def test_the_watch_pass_sends_a_message_whose_worker_died_mid_send(db: Any) -> None:
    stuck = sms()
    NotificationLog.objects.filter(pk=stuck.pk).update(
        status="sending", attempts=1, last_attempt_at=timezone.now() - timedelta(minutes=16)
    )
    done = run_watch_pass()
    assert done["ketacare.notify.sweep.sweep_notifications"] == 2  # released, handed back
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == ("sent", 2)
    assert RecordingSmsBackend.sent == [("555-010-0100", "flag")]


def test_the_watch_pass_hands_back_a_message_whose_task_was_lost(db: Any) -> None:
    lost = sms()
    NotificationLog.objects.filter(pk=lost.pk).update(
        created_at=timezone.now() - timedelta(minutes=6)
    )
    run_watch_pass()
    lost.refresh_from_db()
    assert lost.status == "sent"


@pytest.mark.django_db(transaction=True)
def test_a_message_whose_task_is_waiting_is_not_queued_again(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    waiting, lost = sms(), sms()
    NotificationLog.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    send_notification.enqueue(waiting.pk)  # its task is in the queue; the worker is busy
    assert sweep_notifications() == 1
    assert sweep_notifications() == 0  # both tasks are waiting now
    queued = sorted(
        r["args"][0] for r in DBTaskResult.objects.values_list("args_kwargs", flat=True)
    )
    assert queued == [waiting.pk, lost.pk]
