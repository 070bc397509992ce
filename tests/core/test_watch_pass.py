"""The worker's watch pass runs every registered watcher, and one failing watcher does not stop
the others (it is logged and retried on the next pass)."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pytest
from django.core.management import call_command

from ketacare.core import watch

CALLS: list[str] = []


def counting_watcher(now: datetime) -> int:
    CALLS.append("counted")
    return 3


def failing_watcher(now: datetime) -> int:
    raise RuntimeError("backend down")


@pytest.fixture
def watchers(monkeypatch: Any) -> list[str]:
    CALLS.clear()
    registered = [f"{__name__}.failing_watcher", f"{__name__}.counting_watcher"]
    monkeypatch.setattr(watch, "WATCHERS", registered)
    return registered


def test_a_failing_watcher_does_not_stop_the_next_one(watchers: list[str]) -> None:
    done = watch.run_watch_pass()
    assert done == {watchers[0]: -1, watchers[1]: 3}
    assert CALLS == ["counted"]


@pytest.mark.django_db(transaction=True)
def test_worker_once_runs_the_watch_pass(watchers: list[str], settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("worker", "--once", verbosity=0, stdout=io.StringIO())
    assert CALLS == ["counted"]
