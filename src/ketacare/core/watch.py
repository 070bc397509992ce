"""The watch pass: short, frequent checks the worker makes every KETACARE_WATCH_SECONDS.

The measurement schedule runs every KETACARE_SCHEDULE_MINUTES; some things cannot wait that long
(an unacknowledged vitals alert, a risk flag nobody has seen). Each watcher here is a function
`watcher(now) -> int` (how many things it acted on) that must be safe to run on two workers at
once and after a restart: it claims work with a conditional update or a row lock and keeps its
state in the database, never in memory.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("ketacare.schedule")

# Dotted paths of the watchers, run in this order on every pass.
WATCHERS: list[str] = [
    "ketacare.safety.escalation.escalate_due",  # risk-flag escalation (#7) first
    "ketacare.notify.sweep.sweep_notifications",  # stuck and lost messages back to delivery
    "ketacare.treatments.overdue.raise_overdue_vitals",
    "ketacare.treatments.escalation.escalate_unacknowledged",
    "ketacare.safety.plan_actions.remind_due_reviews",
]


def watch_interval_seconds() -> float:
    return float(getattr(settings, "KETACARE_WATCH_SECONDS", 30))


def _load(path: str) -> Callable[[datetime], int]:
    module_name, _, attr = path.rpartition(".")
    return getattr(import_module(module_name), attr)


def run_watch_pass(now: datetime | None = None) -> dict[str, int]:
    """Run every watcher once. One failing watcher is logged and does not stop the others."""
    now = now or timezone.now()
    done: dict[str, int] = {}
    for path in WATCHERS:
        try:
            done[path] = _load(path)(now)
        except Exception:
            logger.exception("Watcher %s failed; the next pass retries it.", path)
            done[path] = -1
    return done
