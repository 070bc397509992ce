"""`ketacare worker`'s loop: an error in a pass does not end the worker, a long queue does not
starve the watch pass (risk-flag escalation), the first watch pass runs at once, and SIGTERM
lets a watch pass under way finish."""

from __future__ import annotations

import io
import signal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django_tasks import task

from ketacare.core import watch
from ketacare.measures import tasks as measure_tasks
from ketacare.measures.management.commands import worker as worker_cmd

EVENTS: list[str] = []
CLOCK = [5.0]  # fake monotonic seconds: a machine booted 5 s ago


class Stop(BaseException):
    """Ends the endless loop from the fake sleep."""


def recording_watcher(now: Any) -> int:
    EVENTS.append("watch")
    return 0


@task()
def slow_job(n: int) -> int:
    EVENTS.append(f"job{n}")
    CLOCK[0] += 20  # each job takes 20 s; the watch pass is due every 30 s
    return n


@pytest.fixture
def loop(monkeypatch: Any, settings: Any) -> Any:
    EVENTS.clear()
    CLOCK[0] = 5.0
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.KETACARE_WATCH_SECONDS = 30
    monkeypatch.setattr(watch, "WATCHERS", [f"{__name__}.recording_watcher"])
    monkeypatch.setattr(measure_tasks, "ensure_schedule_enqueued", lambda: False)
    monkeypatch.setattr(worker_cmd, "monotonic", lambda: CLOCK[0])
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        EVENTS.append("sleep")
        if EVENTS.count("sleep") >= 2:
            raise Stop

    monkeypatch.setattr(worker_cmd, "sleep", fake_sleep)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield sleeps
    for number, handler in handlers.items():
        signal.signal(number, handler)


def run_worker() -> str:
    out = io.StringIO()
    with pytest.raises(Stop):
        call_command("worker", verbosity=0, stdout=out)
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_first_watch_pass_runs_at_once_even_on_a_freshly_booted_machine(loop: Any) -> None:
    run_worker()
    assert EVENTS[0] == "watch"


@pytest.mark.django_db(transaction=True)
def test_a_long_queue_does_not_hold_back_the_watch_pass(loop: Any) -> None:
    for n in range(5):
        slow_job.enqueue(n)
    run_worker()
    work = [e for e in EVENTS if e != "sleep"]
    # Jobs take 20 s each and the watch pass is due every 30 s: it runs after every second job,
    # not once the whole queue (100 s) is done.
    assert work == ["watch", "job0", "job1", "watch", "job2", "job3", "watch", "job4"]


@pytest.mark.django_db(transaction=True)
def test_an_error_in_a_pass_is_logged_and_the_worker_carries_on(
    loop: Any, monkeypatch: Any, caplog: Any
) -> None:
    calls: list[int] = []

    def database_restarting() -> bool:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return False

    monkeypatch.setattr(measure_tasks, "ensure_schedule_enqueued", database_restarting)
    slow_job.enqueue(1)
    run_worker()
    assert len(calls) >= 2  # tried again after the failure
    assert "job1" in EVENTS  # and then worked the queue
    assert loop[0] >= worker_cmd.ERROR_PAUSE  # paused after the failure
    assert "Worker pass failed" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_sigterm_during_the_watch_pass_lets_it_finish_then_stops(
    loop: Any, monkeypatch: Any
) -> None:
    def watcher_interrupted(now: Any) -> int:
        signal.raise_signal(signal.SIGTERM)  # the handler runs here, mid-pass
        EVENTS.append("watch finished")
        return 0

    monkeypatch.setattr(watch, "WATCHERS", [f"{__name__}.watcher_interrupted_ref"])
    globals()["watcher_interrupted_ref"] = watcher_interrupted
    slow_job.enqueue(1)
    call_command("worker", verbosity=0, stdout=io.StringIO())  # returns: no Stop, no SystemExit
    assert EVENTS == ["watch finished"]  # the pass finished; no new task was started


@pytest.mark.django_db(transaction=True)
def test_a_long_poll_interval_does_not_delay_the_watch_pass(loop: Any) -> None:
    out = io.StringIO()
    with pytest.raises(Stop):
        call_command("worker", "--interval", "300", verbosity=0, stdout=out)
    assert loop[0] <= 30  # slept until the next watch pass at most, not 5 minutes
