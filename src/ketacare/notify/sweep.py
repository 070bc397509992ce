"""The notification sweep: a watcher of the worker's watch pass (`core.watch`).

Every KETACARE_WATCH_SECONDS it releases messages stuck in "sending" (their worker died) and hands
back to delivery the messages due again whose task is not waiting in the queue (an enqueue that
failed, a worker that died before claiming). Before, this ran only at the end of the schedule
pass: every 15 minutes, and never when anything earlier in that pass failed, which left a
risk-flag text "sending" for good.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.utils import timezone

from ketacare.notify.delivery import due_for_retry, release_stale

logger = logging.getLogger("ketacare.notify")


def _waiting(task_path: str) -> set[int]:
    """Message ids with a delivery task still waiting (ready or deferred) in the database queue."""
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    waiting: set[int] = set()
    rows = DBTaskResult.objects.filter(task_path=task_path, status=TaskResultStatus.READY)
    for args_kwargs in rows.values_list("args_kwargs", flat=True).iterator():
        args = (args_kwargs or {}).get("args") or []
        if args and isinstance(args[0], int):
            waiting.add(args[0])
    return waiting


def sweep_notifications(now: datetime | None = None) -> int:
    """Release stuck messages and re-hand due ones; how many it acted on (a watcher)."""
    from ketacare.measures.tasks import send_notification

    now = now or timezone.now()
    acted = release_stale(now)
    due = due_for_retry(now)
    if not due:
        return acted
    waiting = _waiting(send_notification.module_path)
    for log_id in due:
        if log_id in waiting:
            continue
        try:
            send_notification.enqueue(log_id)
        except Exception:  # the next pass tries again
            logger.exception("Could not hand notification %s back to delivery", log_id)
            continue
        acted += 1
    return acted
