"""Measurement-based care pages under load: the chart (assessment section) of a patient with
1,000 assessments, the trajectories page, and the clinic "due and overdue" list for a clinic
of 20,000 patients.

Run: .venv/bin/python bench/measures_pages.py [--db sqlite|postgres] [--requests N]
Targets (issue 3): chart assessment section p95 < 100 ms; due list p95 < 200 ms on PostgreSQL.

The pages are rendered in-process through Django's full request stack (middleware, session,
audit entry per request) against a real database file or server, so the figures are page
render time without network or gunicorn overhead.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/")
PG_DB = "ketacare_bench_measures"


def configure(db: str) -> None:
    data_dir = Path(tempfile.gettempdir()) / f"ketacare-bench-measures-{db}"
    data_dir.mkdir(exist_ok=True)
    os.environ["KETACARE_DATA_DIR"] = str(data_dir)
    if db == "postgres":
        import psycopg

        with psycopg.connect(PG_BASE.rstrip("/") + "/postgres", autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [PG_DB]
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{PG_DB}"')
        os.environ["DATABASE_URL"] = PG_BASE.rstrip("/") + "/" + PG_DB
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "ketacare.settings"
    os.environ["KETACARE_ALLOWED_HOSTS"] = "testserver"  # the in-process test client


def prepare(patients: int) -> None:
    run = [sys.executable, "-m", "ketacare"]
    subprocess.run([*run, "migrate", "-v0"], check=True, cwd=ROOT)  # noqa: S603
    subprocess.run(  # noqa: S603
        [*run, "benchdata", "--patients", str(patients)], check=True, cwd=ROOT
    )


def seed_measures() -> tuple[object, object]:
    """1,000 PHQ-9s for one patient; 1–3 open due items for every patient (a third overdue)."""
    from django.db import transaction
    from django.utils import timezone

    from ketacare.accounts.models import Clinic
    from ketacare.clinical import scales
    from ketacare.measures.models import Assessment, DueAssessment, EpisodeOfCare

    clinic = Clinic.objects.get(slug="bench")
    heavy = clinic.patients.order_by("mrn").first()
    assert heavy is not None
    rng = random.Random(3)
    with transaction.atomic():
        if not Assessment.objects.filter(patient=heavy).exists():
            start = timezone.now() - timedelta(days=1000)
            episode = EpisodeOfCare.objects.create(
                patient=heavy, title="Bench episode", started_on=start.date()
            )
            rows = []
            scale = scales.get_scale("phq9")
            for i in range(1000):
                answers = {f"phq9-{n}": rng.randint(0, 3) for n in range(1, 9)}
                answers["phq9-9"] = 0
                result = scale.score(answers)
                rows.append(
                    Assessment(
                        patient=heavy,
                        episode=episode,
                        scale_code="phq9",
                        scale_version="1",
                        answers=answers,
                        total=result.total,
                        band=result.band or "",
                        explanation=list(result.explanation),
                        administered_at=start + timedelta(days=i),
                    )
                )
            Assessment.objects.bulk_create(rows, batch_size=500)
        if not DueAssessment.objects.filter(clinic=clinic).exists():
            today = timezone.localdate()
            items = []
            for patient in clinic.patients.only("pk").iterator(chunk_size=5000):
                for scale_code in rng.sample(["phq9", "gad7", "pcl5"], rng.randint(1, 3)):
                    due = today - timedelta(days=rng.randint(0, 9))
                    items.append(
                        DueAssessment(
                            patient=patient,
                            clinic=clinic,
                            scale_code=scale_code,
                            due_on=due,
                            overdue_on=due + timedelta(days=3),
                            reason="bench",
                        )
                    )
            DueAssessment.objects.bulk_create(items, batch_size=5000)
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    return clinic, heavy


def measure(client: object, url: str, n: int) -> list[float]:
    timings = []
    for _ in range(5):
        client.get(url)  # type: ignore[attr-defined]
    for _ in range(n):
        start = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return timings


def report(name: str, timings: list[float], target: float | None) -> None:
    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1]
    verdict = "" if target is None else ("  OK" if p95 < target else f"  MISSES {target:.0f} ms")
    print(
        f"{name:<38} median {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms"
        f"   max {timings[-1]:7.1f} ms{verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    configure(args.db)
    prepare(args.patients)
    import django

    django.setup()
    from django.test import Client

    from ketacare.accounts.models import User

    _, heavy = seed_measures()
    client = Client()
    client.force_login(User.objects.get(email="nurse@bench.demo"))
    print(f"== {args.db}: {args.patients} patients, one with 1,000 assessments ==")
    report(
        "chart (with assessment section)",
        measure(client, f"/patients/{heavy.pk}/", args.requests),
        100,
    )  # type: ignore[attr-defined]
    report(
        "trajectories page (1,000 points)",
        measure(client, f"/patients/{heavy.pk}/assessments/trajectories/", args.requests),  # type: ignore[attr-defined]
        None,
    )
    report("due & overdue list (page 1)", measure(client, "/measures/due/", args.requests), 200)
    report(
        "due & overdue list (page 100)",
        measure(client, "/measures/due/?page=100", args.requests),
        200,
    )


if __name__ == "__main__":
    main()
