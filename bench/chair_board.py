"""The chair board with 40 active sessions, served by the production server (issue 6).

Run: .venv/bin/python bench/chair_board.py [--db sqlite|postgres] [--requests 300]
Target (issue 6): p95 < 100 ms.

1. Data: a data folder (`$TMPDIR/ketacare-bench-chairs/<db>`) and a database: SQLite there, or
   the PostgreSQL database `ketacare_bench_chairs` (created when missing, on the server of
   `--pg-url` or `DATABASE_URL`; your own database is never touched). `ketacare migrate`,
   `ketacare demo` (the demo clinics, with months of history and the live board), then 40
   active sessions at Riverside, each on its own patient with a plan, chair and readings every
   5 minutes, staged with the demo's own session builder (`demo/chairs_demo.py`), at every
   stage: dosing, monitoring, ready for discharge, some with open alerts.
2. Query count: the board fragment through Django's request stack in-process, printed with the
   number of sessions (it must not grow with them).
3. Server: `ketacare serve` (gunicorn, 2 workers x 2 threads) on a free loopback port; one
   keep-alive client signed in as the Riverside nurse; 30 warm-up rounds, then N rounds of
   `GET /chairs/` (the page) and `GET /chairs/live/` (what each tablet polls every 10 s), each
   response checked for 40 tiles. Prints median, p95, p99, max.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    Client,
    CpuContention,
    Result,
    format_table,
    ketacare,
    running_server,
    server_env,
)

SESSIONS = 40
TARGET_MS = 100.0
PG_DB = "ketacare_bench_chairs"


def database_url(db: str, data_dir: Path, pg_url: str | None) -> str:
    if db == "sqlite":
        return f"sqlite:///{data_dir / 'bench.sqlite3'}"
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(
        pg_url or os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/"
    )
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]).fetchone()
        if not found:
            conn.execute(f'CREATE DATABASE "{PG_DB}"')
    return urlunsplit(("postgres", parts.netloc, f"/{PG_DB}", "", ""))


def seed(env: dict[str, str]) -> None:
    """40 active sessions at the first demo clinic (replacing the ones staged before)."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    import random
    import uuid
    from datetime import timedelta

    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from ketacare.demo import chairs_demo as cd
    from ketacare.plans.actions import plan_protocol
    from ketacare.plans.models import TreatmentPlan
    from ketacare.scheduling.models import Appointment, AppointmentStatus, Resource
    from ketacare.treatments.models import ACTIVE_SESSION_STATUSES, TreatmentSession

    clinic = cd.live_demo_clinic()
    assert clinic is not None, "the demo did not load"
    staff = cd._staff(clinic)
    rng = random.Random(40)
    now = timezone.now()
    mark = "Bench: chair board session"
    with transaction.atomic():
        old = Appointment.objects.filter(clinic=clinic, notes=mark)
        cd.delete_sessions(TreatmentSession.objects.filter(appointment__in=old))
        old.delete()
        active = TreatmentSession.objects.filter(clinic=clinic, status__in=ACTIVE_SESSION_STATUSES)
        busy = set(active.values_list("patient_id", flat=True))
        need = SESSIONS - len(busy)
        plans = list(TreatmentPlan.objects.filter(clinic=clinic, signed_at__isnull=False))
        patients = list(clinic.patients.exclude(pk__in=busy).order_by("mrn"))[:need]
        chairs = list(Resource.objects.filter(clinic=clinic, kind="chair").order_by("sort_order"))
        bundles = []
        for i, patient in enumerate(patients):
            plan = next((p for p in plans if p.patient_id == patient.pk), None)
            if plan is None:  # a copy of another patient's plan, for this patient
                plan = plans[i % len(plans)]
                plan = TreatmentPlan.objects.get(pk=plan.pk)
                plan.pk = None
                plan.patient = patient
                plan.save()
            starts = now - timedelta(minutes=rng.randint(20, 170))
            appt = Appointment.objects.create(
                clinic=clinic,
                patient=patient,
                type="treatment",
                starts_at=starts,
                ends_at=starts + timedelta(hours=3),
                resource=chairs[i % len(chairs)],
                plan=plan,
                session_number=1,
                series=uuid.uuid4(),
                status=AppointmentStatus.CHECKED_IN,
                checked_in_at=starts,
                notes=mark,
            )
            bundles.append(
                cd.build_session(
                    appointment=appt,
                    plan=plan,
                    protocol=plan_protocol(plan),
                    calc=cd._dose(plan, patient),
                    base=cd._patient_vitals(rng),
                    staff=staff,
                    rng=rng,
                    until=now,
                    step_min=5,
                    calm=rng.random() < 0.7,
                    discharge=False,
                )
            )
        cd.save_bundles(bundles)
    count = TreatmentSession.objects.filter(clinic=clinic, status__in=ACTIVE_SESSION_STATUSES)
    print(f"seeded: {count.count()} active sessions at {clinic.name}")


def query_count() -> None:
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    from ketacare.accounts.models import User
    from ketacare.demo import chairs_demo as cd

    clinic = cd.live_demo_clinic()
    assert clinic is not None
    client = DjangoClient(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=f"nurse@{clinic.slug}.demo"))
    client.get("/chairs/live/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/chairs/live/")
    tiles = page.content.decode().count('data-testid="tile-')
    print(f"board fragment: {tiles} tiles, {len(queries)} queries")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-url", default=None)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    data_dir = Path(tempfile.gettempdir()) / "ketacare-bench-chairs" / args.db
    data_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(database_url(args.db, data_dir, args.pg_url), data_dir)
    ketacare(["migrate", "-v", "0"], env)
    ketacare(["demo", "--quiet"], env, timeout=1800)
    seed(env)
    query_count()
    with running_server(
        env, data_dir / "server.log", workers=args.workers, threads=args.threads
    ) as port:
        client = Client(port)
        client.get("/accounts/login/")
        signed = client.post_form(
            "/accounts/login/",
            {"username": "nurse@riverside.demo", "password": "ketacare-demo-2026"},
        )
        assert signed.status == 302, f"sign-in failed ({signed.status})"
        results: dict[str, list[float]] = {"chair board page": [], "board fragment (poll)": []}
        paths = {"chair board page": "/chairs/", "board fragment (poll)": "/chairs/live/"}
        contention = CpuContention()
        for round_no in range(args.warmup + args.requests):
            for name, path in paths.items():
                began = time.perf_counter()
                response = client.get(path)
                took = (time.perf_counter() - began) * 1000
                assert response.status == 200, (path, response.status)
                tiles = response.text.count('data-testid="tile-')
                assert tiles >= SESSIONS, (path, tiles)
                if round_no >= args.warmup:
                    results[name].append(took)
        client.close()
    rows = [Result(name, samples).summary() for name, samples in results.items()]
    print(
        f"== {args.db}: chair board, {SESSIONS} active sessions, gunicorn "
        f"{args.workers}x{args.threads} =="
    )
    print(format_table(rows, TARGET_MS))
    waited = contention.percent()
    if waited is not None:
        print(f"CPU wait during the measurement: {waited:.0f} % (other work on the machine)")


if __name__ == "__main__":
    main()
