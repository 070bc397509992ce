"""`ketacare serve`: the production web server (gunicorn), not Django's runserver."""

from __future__ import annotations

import gc
import os
from typing import Any

from django.core.management.base import BaseCommand

# The access log shows the path only (%(U)s), never the query string, which may name a patient;
# ketacare.core.access_log also hides the token in patients' one-time questionnaire links.
ACCESS_LOG_FORMAT = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


class Command(BaseCommand):
    help = "Run the production web server (gunicorn) for KetaCare."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("KETACARE_HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=int, default=int(os.environ.get("KETACARE_PORT", "8000"))
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(
                os.environ.get("KETACARE_WORKERS", str(min(2 * (os.cpu_count() or 1) + 1, 9)))
            ),
            help="Worker processes (default: KETACARE_WORKERS or 2×cores+1, at most 9).",
        )
        parser.add_argument(
            "--threads", type=int, default=int(os.environ.get("KETACARE_THREADS", "2"))
        )
        parser.add_argument("--no-access-log", action="store_true", help="Do not log requests.")

    def handle(self, *args: Any, **options: Any) -> None:
        from gunicorn.app.base import BaseApplication

        from ketacare.wsgi import application

        config = {
            "bind": f"{options['host']}:{options['port']}",
            "workers": options["workers"],
            "threads": options["threads"],
            "worker_class": "gthread",
            "timeout": 60,
            "graceful_timeout": 20,
            "accesslog": None if options["no_access_log"] else "-",
            "access_log_format": ACCESS_LOG_FORMAT,
            "logger_class": "ketacare.core.access_log.RedactingLogger",
            "errorlog": "-",
            "forwarded_allow_ips": os.environ.get("KETACARE_FORWARDED_ALLOW_IPS", "127.0.0.1"),
        }

        class Server(BaseApplication):
            def load_config(self) -> None:
                for key, value in config.items():
                    self.cfg.set(key, value)

            def load(self) -> Any:
                return application

        _freeze_loaded_code()
        self.stdout.write(
            f"KetaCare serving on http://{config['bind']}/ ({config['workers']} workers)"
        )
        Server().run()


def _freeze_loaded_code() -> None:
    """Load every view module now, then move all these long-lived objects out of the garbage
    collector's reach (`gc.freeze`) before gunicorn forks its workers.

    Otherwise each full collection in a worker walks the whole of Django, the apps and their
    libraries (hundreds of thousands of objects) and pauses a request for tens of
    milliseconds every few dozen requests; the workers also keep sharing these pages with
    the parent instead of copying them when the collector touches them.
    """
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports the URLconf and every view module)
    gc.collect()
    gc.freeze()
