"""`ketacare worker`: run background tasks from the database queue, and keep the schedule going.

Runs django-tasks' database worker loop and, before each pass, makes sure one `run_schedule`
is waiting in the queue (every KETACARE_SCHEDULE_MINUTES), and runs the watch pass
(`core.watch`, every KETACARE_WATCH_SECONDS). Everything lives in the database,
so stopping and starting the worker, or running several, loses and duplicates nothing.
"""

from __future__ import annotations

import logging
import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections

# `--once`: how many more batch passes to make when ready tasks remain after a pass, and the pause
# between them (seconds).
ONCE_RETRIES = 5
ONCE_RETRY_PAUSE = 0.2


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
            help="Seconds to wait when the queue is empty (default: 2).",
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
        from django_tasks_db.management.commands.db_worker import Worker

        from ketacare.core.watch import run_watch_pass, watch_interval_seconds
        from ketacare.measures.tasks import ensure_schedule_enqueued, schedule_interval

        if not isinstance(task_backends["default"], DatabaseBackend):
            raise CommandError(
                "The worker needs the database task backend (TASKS in settings): the "
                "configured default backend runs tasks elsewhere."
            )
        if options["interval"] < 0:
            raise CommandError("--interval must be zero or more seconds.")
        self._configure_logging(options["verbosity"])
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=(options["worker_id"] or get_random_id())[:64],
        )
        if not options["once"]:
            worker.configure_signals()
            self.stdout.write(
                f"Worker started: schedule every {schedule_interval()}, "
                f"queue polled every {options['interval']} s. Ctrl+C stops it."
            )
        last_watch = 0.0
        while True:
            ensure_schedule_enqueued()
            if time.monotonic() - last_watch >= watch_interval_seconds() or options["once"]:
                run_watch_pass()  # alerts and flags that cannot wait for the schedule
                last_watch = time.monotonic()
            worker.run()  # batch mode: runs what is ready, then returns
            if options["once"]:
                self._finish_ready(worker)
            if options["once"] or not worker.running:
                ensure_schedule_enqueued()  # leave the next run waiting for the next worker
                return
            close_old_connections()
            time.sleep(options["interval"])

    def _finish_ready(self, worker: Any) -> None:
        """--once promises that nothing ready is left behind. The batch loop also stops when the
        queue is briefly locked by another writer (SQLite), so run again while tasks are ready."""
        from django_tasks_db.models import DBTaskResult

        for _ in range(ONCE_RETRIES):
            if not worker.running or not DBTaskResult.objects.ready().exists():
                return
            time.sleep(ONCE_RETRY_PAUSE)
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
