"""`ketacare worker`: run background tasks from the database queue, and keep the schedule going.

Runs django-tasks' database worker loop and, before each pass, makes sure one `run_schedule`
is waiting in the queue (every KETACARE_SCHEDULE_MINUTES), and runs the watch pass
(`core.watch`, every KETACARE_WATCH_SECONDS). Everything lives in the database,
so stopping and starting the worker, or running several, loses and duplicates nothing.

The worker must outlive its problems: an error in a pass (the database restarting, one bad
task) is logged and the loop carries on after a pause. A long queue never delays the watch
pass (risk-flag escalation) by more than one task: the queue is worked between watch passes.
SIGTERM/SIGINT finish the task or watch pass under way, then stop; a second one stops at once.
"""

from __future__ import annotations

import logging
import math
from argparse import ArgumentParser
from time import monotonic, sleep
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

logger = logging.getLogger("ketacare.schedule")

# `--once`: how many more batch passes to make when ready tasks remain after a pass, and the pause
# between them (seconds).
ONCE_RETRIES = 5
ONCE_RETRY_PAUSE = 0.2
# After a failed pass the worker waits this long (doubling while passes keep failing, up to the
# maximum) before trying again, so a database outage is not a busy loop of tracebacks.
ERROR_PAUSE = 1.0
ERROR_PAUSE_MAX = 60.0


class PassWorker(Worker):
    """django-tasks' database worker that hands back control once `until` (monotonic seconds)
    has passed, after the task under way: the watch pass runs between tasks, not after the
    whole queue."""

    until: float = math.inf

    def run_task(self, db_task_result: Any) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            if monotonic() >= self.until:
                self.max_tasks = self._run_tasks  # return after this task

    def run_until(self, until: float) -> bool:
        """Run ready tasks until the queue is empty or `until`; True when it stopped early."""
        self.until, self.max_tasks = until, None
        try:
            self.run()
        finally:
            stopped_early, self.until, self.max_tasks = self.max_tasks is not None, math.inf, None
        return stopped_early


class Command(BaseCommand):
    help = (
        "Run background tasks (reminders, self-report links, message delivery) from the "
        "database queue, and enqueue the measurement schedule every KETACARE_SCHEDULE_MINUTES."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=2.0,
            help="Seconds to wait when the queue is empty (default: 2; capped by the watch pass).",
        )
        parser.add_argument(
            "--once",
            action="store_true",
            help="Run every task that is ready now, then exit (for cron or a quick check).",
        )
        parser.add_argument(
            "--worker-id",
            default="",
            help="A name for this worker in the task records (default: random).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from django_tasks import task_backends
        from django_tasks.utils import get_random_id
        from django_tasks_db.backend import DatabaseBackend

        if not isinstance(task_backends["default"], DatabaseBackend):
            raise CommandError(
                "The worker needs the database task backend (TASKS in settings): the "
                "configured default backend runs tasks elsewhere."
            )
        if options["interval"] < 0:
            raise CommandError("--interval must be zero or more seconds.")
        self._configure_logging(options["verbosity"])
        worker = PassWorker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=(options["worker_id"] or get_random_id())[:64],
        )
        if options["once"]:
            self.last_watch = -math.inf
            self._pass(worker, once=True)
            return
        worker.configure_signals()
        from ketacare.core.watch import watch_interval_seconds
        from ketacare.measures.tasks import schedule_interval

        self.stdout.write(
            f"Worker started: schedule every {schedule_interval()}, "
            f"queue polled every {options['interval']} s. Ctrl+C stops it."
        )
        self.last_watch = -math.inf  # the watch pass runs at once on start (monotonic seconds)
        failures = 0
        while worker.running:
            try:
                more = self._pass(worker, once=False)
                failures = 0
            except Exception:
                failures += 1
                logger.exception("Worker pass failed (%s in a row); trying again.", failures)
                more = False
            if not worker.running:
                break
            close_old_connections()
            if failures:
                pause = max(options["interval"], ERROR_PAUSE) * 2 ** min(failures - 1, 10)
                sleep(min(pause, ERROR_PAUSE_MAX))
            elif not more:
                # Never past the next watch pass: a long --interval must not delay escalation.
                next_watch = self.last_watch + watch_interval_seconds() - monotonic()
                sleep(max(min(options["interval"], next_watch), 0))
        try:
            self._leave_schedule_queued()
        except Exception:
            logger.exception("Could not leave the next schedule run queued; the next worker will.")

    def _pass(self, worker: PassWorker, *, once: bool) -> bool:
        """One pass: keep the schedule queued, the watch pass when due, then the queue until the
        next watch pass is due. True when ready tasks were left for the next pass."""
        from ketacare.core.watch import run_watch_pass, watch_interval_seconds
        from ketacare.measures.tasks import ensure_schedule_enqueued

        self._guarded(worker, ensure_schedule_enqueued)
        if once or monotonic() - self.last_watch >= watch_interval_seconds():
            self._guarded(worker, run_watch_pass)  # alerts and flags that cannot wait
            self.last_watch = monotonic()
        if once:
            worker.run()  # batch mode: runs what is ready, then returns
            self._finish_ready(worker)
            self._leave_schedule_queued()
            return False
        return worker.run_until(self.last_watch + watch_interval_seconds())

    @staticmethod
    def _guarded(worker: PassWorker, step: Any) -> None:
        """Run `step` as django-tasks runs a task: a first SIGTERM lets it finish."""
        if not worker.running:
            return
        worker.running_task = True
        try:
            step()
        finally:
            worker.running_task = False

    @staticmethod
    def _leave_schedule_queued() -> None:
        from ketacare.measures.tasks import ensure_schedule_enqueued

        ensure_schedule_enqueued()  # leave the next run waiting for the next worker

    def _finish_ready(self, worker: Any) -> None:
        """--once promises that nothing ready is left behind. The batch loop also stops when the
        queue is briefly locked by another writer (SQLite), so run again while tasks are ready."""
        from django_tasks_db.models import DBTaskResult

        for _ in range(ONCE_RETRIES):
            if not worker.running or not DBTaskResult.objects.ready().exists():
                return
            sleep(ONCE_RETRY_PAUSE)
            worker.run()

    def _configure_logging(self, verbosity: int) -> None:
        # Verbosity 1: each task run and each schedule pass; 2: also every empty poll.
        levels = {
            "django_tasks": logging.INFO if verbosity else logging.WARNING,
            "ketacare.schedule": logging.INFO if verbosity else logging.WARNING,
            "django_tasks_db": logging.DEBUG if verbosity > 1 else logging.WARNING,
        }
        for name, level in levels.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler(self.stdout))
