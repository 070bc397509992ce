"""Three WSGI applications that each store one reading per `POST /post/` (see __init__).

- `bare`: no framework: gunicorn → this function → psycopg, one INSERT … RETURNING and COMMIT.
- `django_app`: a Django project of one view doing the same through the ORM in
  `transaction.atomic()`; FLOOR_MIDDLEWARE=standard adds Django's usual five middleware
  (security, sessions, common, CSRF, authentication), =none runs the view alone.

`GET /ok/` answers without touching the database (used to open the connections).
The database is DATABASE_URL (PostgreSQL); the table is created by `stack_floor.py`.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

import psycopg

DATABASE_URL = os.environ.get("DATABASE_URL", "")
INSERT = (
    "INSERT INTO bench_floor_reading (session_id, taken_at, systolic, diastolic, heart_rate) "
    "VALUES (%s, now(), %s, %s, %s) RETURNING id"
)
_local = threading.local()


def _connection() -> psycopg.Connection[Any]:
    conn = getattr(_local, "conn", None)
    if conn is None or conn.closed:
        conn = _local.conn = psycopg.connect(DATABASE_URL)
    return conn


def bare(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ["PATH_INFO"] == "/post/":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(size))
        conn = _connection()
        with conn.transaction():
            row = conn.execute(INSERT, (body["s"], body["sbp"], body["dbp"], body["hr"])).fetchone()
        out, status = json.dumps({"id": row[0] if row else None}).encode(), "201 Created"
    else:
        out, status = b'{"ok": true}', "200 OK"
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(out)))]
    start_response(status, headers)
    return [out]


def _django() -> Callable[..., Iterable[bytes]]:
    import dj_database_url
    from django.conf import settings

    standard = [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    settings.configure(
        SECRET_KEY="bench-floor-only-" + "x" * 40,
        DEBUG=False,
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "floor_app",
        ],
        MIDDLEWARE=standard if os.environ.get("FLOOR_MIDDLEWARE") == "standard" else [],
        ROOT_URLCONF="floor_app.urls",
        USE_TZ=True,
        DATABASES={"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    )
    from django.core.wsgi import get_wsgi_application

    return get_wsgi_application()


django_app = _django() if os.environ.get("FLOOR_APP") == "django" else None
