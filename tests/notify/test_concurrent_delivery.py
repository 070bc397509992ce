"""Two workers handed the same messages at the same moment (PostgreSQL, real connections):
each message goes out once, including retries due at the same time."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from ketacare.notify.delivery import deliver, queue_notification
from ketacare.notify.models import NotificationLog
from tests.notify.backends import RecordingSmsBackend


@pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_message_once() -> None:
    ids = [
        queue_notification(channel="sms", to=f"555-010-01{n:02}", body="b", purpose="t").pk
        for n in range(10)
    ]
    # Half of them failed before and are due for a retry now.
    NotificationLog.objects.filter(pk__in=ids[5:]).update(
        status="failed", attempts=1, next_attempt_at=timezone.now() - timedelta(seconds=1)
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            for log_id in ids:
                deliver(log_id)
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
    assert sorted(to for to, _ in RecordingSmsBackend.sent) == [
        f"555-010-01{n:02}" for n in range(10)
    ]
    assert NotificationLog.objects.filter(status="sent").count() == 10
