"""Generating and saving a 6-session treatment series in a clinic with 30,000 appointments.

Run: .venv/bin/python bench/scheduling_series.py [--db sqlite|postgres] [--requests N]
Target (issue 5): generate + save a 6-session series, p95 < 100 ms.

Data (kept between runs, topped up only when missing): `ketacare benchdata --patients 3000`
in its own database (`$TMPDIR/ketacare-bench-scheduling-sqlite/bench.sqlite3`, or the
PostgreSQL database `ketacare_bench_scheduling`), then 12 IV chairs (3 also esketamine
certified), opening hours Mon–Sat 07:00–20:00, and 30,000 appointments bulk-created over
about three years around today (3-hour slots, ~60 % of chair slots taken, past ones
mostly completed), plus one day with exactly 60 appointments for `schedule_day_view.py`.
One patient has a signed IV-ketamine evaluation and an active plan (6 induction sessions).

One sample: load the clinic calendar, propose the 6 sessions from the plan (a free IV chair
for each, conflicts per row), and book them in one transaction (locks, re-check, insert,
audit) — what the series page does on "Propose" and "Book all". The booked appointments are
deleted afterwards, untimed. In-process (no HTTP): the figure is the scheduling work itself.
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
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PG_BASE = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/")
PG_DB = "ketacare_bench_scheduling"
APPOINTMENTS = 30_000
CHAIRS = 12
DAY_VIEW_OFFSET_DAYS = 9  # the day with exactly 60 appointments: today + this (moved off Sundays)
PRESCRIBER = "prescriber@bench-sched.demo"


def configure(db: str) -> None:
    data_dir = Path(tempfile.gettempdir()) / f"ketacare-bench-scheduling-{db}"
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


def prepare(patients: int = 3000) -> None:
    run = [sys.executable, "-m", "ketacare"]
    subprocess.run([*run, "migrate", "-v0"], check=True, cwd=ROOT)  # noqa: S603
    subprocess.run(  # noqa: S603
        [*run, "benchdata", "--patients", str(patients)], check=True, cwd=ROOT
    )


def day_view_day() -> date:
    from ketacare.accounts.models import Clinic
    from ketacare.measures.scheduling import clinic_today

    day = clinic_today(Clinic.objects.get(slug="bench")) + timedelta(days=DAY_VIEW_OFFSET_DAYS)
    return day + timedelta(days=1) if day.weekday() == 6 else day


def seed() -> dict[str, Any]:
    """Chairs, hours, 30,000 appointments, the 60-appointment day, the series patient."""
    from datetime import datetime
    from datetime import time as clock

    from django.db import connection, transaction

    from ketacare.accounts.audit import Actor
    from ketacare.accounts.models import Clinic, Membership, Role, User
    from ketacare.measures.scheduling import clinic_today, clinic_zone
    from ketacare.scheduling.models import Appointment, ClinicHours, Resource, StaffHours

    clinic = Clinic.objects.get(slug="bench")
    zone = clinic_zone(clinic)
    nurse = User.objects.get(email="nurse@bench.demo")
    prescriber = User.objects.filter(email=PRESCRIBER).first() or User.objects.create_user(
        PRESCRIBER, "bench-password-not-secret-1", full_name="Bench Prescriber"
    )
    Membership.objects.get_or_create(
        user=prescriber, clinic=clinic, defaults={"role": Role.PRESCRIBER}
    )
    rng = random.Random(5)
    with transaction.atomic():
        if not Resource.objects.filter(clinic=clinic).exists():
            for n in range(1, CHAIRS + 1):
                Resource.objects.create(
                    clinic=clinic,
                    name=f"Chair {n}",
                    has_iv_pump=True,
                    has_monitor=True,
                    esketamine_certified=n > CHAIRS - 3,
                    sort_order=n,
                )
            for weekday in range(6):
                ClinicHours.objects.create(
                    clinic=clinic, weekday=weekday, opens=clock(7), closes=clock(20)
                )
                StaffHours.objects.create(
                    clinic=clinic, user=prescriber, weekday=weekday, starts=clock(7), ends=clock(20)
                )
        chairs = list(Resource.objects.filter(clinic=clinic).order_by("sort_order"))
        special = day_view_day()
        if not Appointment.objects.filter(clinic=clinic).exists():
            today = clinic_today(clinic)
            patient_ids = list(clinic.patients.order_by("mrn").values_list("pk", flat=True)[:2500])
            starts = [clock(7), clock(10, 10), clock(13, 20), clock(16, 30)]
            rows: list[Appointment] = []
            day = today - timedelta(days=900)
            while len(rows) < APPOINTMENTS - 60:
                if day.weekday() != 6 and day != special:
                    for chair in chairs:
                        for begin in starts:
                            if rng.random() > 0.6 or len(rows) >= APPOINTMENTS - 60:
                                continue
                            at = datetime.combine(day, begin, tzinfo=zone)
                            past = day < today
                            status = (
                                rng.choice(["completed"] * 8 + ["no_show", "cancelled"])
                                if past
                                else rng.choice(["booked"] * 9 + ["cancelled"])
                            )
                            rows.append(
                                Appointment(
                                    clinic=clinic,
                                    patient_id=rng.choice(patient_ids),
                                    type="treatment" if rng.random() < 0.8 else "follow_up",
                                    starts_at=at,
                                    ends_at=at + timedelta(minutes=175),
                                    resource=chair,
                                    status=status,
                                    created_by=nurse,
                                )
                            )
                day += timedelta(days=1)
            # The day view's day: 5 appointments on each of the 12 chairs.
            for chair in chairs:
                at = datetime.combine(special, clock(8), tzinfo=zone)
                for _ in range(5):
                    minutes = rng.choice([45, 60, 90, 120])
                    rows.append(
                        Appointment(
                            clinic=clinic,
                            patient_id=rng.choice(patient_ids),
                            type=rng.choice(["treatment", "follow_up", "integration"]),
                            starts_at=at,
                            ends_at=at + timedelta(minutes=minutes),
                            resource=chair,
                            created_by=nurse,
                        )
                    )
                    at += timedelta(minutes=minutes + 15)
            Appointment.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    patient = series_patient(clinic, prescriber)
    actor = Actor(user_id=nurse.pk, label=nurse.email, role="nurse", clinic_id=clinic.pk)
    return {"clinic": clinic, "patient": patient, "actor": actor, "nurse": nurse}


def series_patient(clinic: Any, prescriber: Any) -> Any:
    """A patient with a signed IV-ketamine evaluation and an active plan (made once)."""
    from ketacare.accounts.audit import Actor
    from ketacare.evaluations import actions as evaluations
    from ketacare.plans import actions as plans
    from ketacare.plans.models import PlanStatus, TreatmentPlan

    plan = TreatmentPlan.objects.filter(clinic=clinic, status=PlanStatus.ACTIVE).first()
    if plan is not None:
        return plan.patient
    patient = clinic.patients.order_by("-mrn").first()
    who = Actor(
        user_id=prescriber.pk, label=prescriber.email, role="prescriber", clinic_id=clinic.pk
    )
    evaluation = evaluations.do_start_evaluation(who, patient, "iv_racemic", "ptsd")
    evaluations.do_update_evaluation(
        who,
        evaluation,
        {
            "pregnant": "no",
            "breastfeeding": "no",
            "planning_pregnancy": "no",
            "systolic_mmhg": 120,
            "diastolic_mmhg": 80,
            "heart_rate_bpm": 70,
            "spo2_pct": 98,
            "audit_c_score": 1,
        },
    )
    evaluations.do_sign_decision(who, evaluation, {})
    plan = plans.do_create_plan(who, patient, "iv_ketamine_depression", {})
    plans.do_sign_plan(who, plan)
    return patient


def one_series(data: dict[str, Any], start_on: date) -> tuple[float, int]:
    from datetime import time as clock

    from ketacare.plans.models import TreatmentPlan
    from ketacare.scheduling import booking, planner
    from ketacare.scheduling.calendar import ClinicCalendar

    clinic, patient = data["clinic"], data["patient"]
    began = time.perf_counter()
    plan = TreatmentPlan.objects.get(clinic=clinic, patient=patient, status="active")
    calendar = ClinicCalendar.load(clinic)
    defaults = planner.plan_defaults(plan)
    rows = planner.propose(
        calendar, patient, plan, start_on, [clock(10)], defaults.duration_min, defaults
    )
    series = [booking.SeriesRow(r.number, r.starts_at, r.ends_at, r.resource) for r in rows]
    try:
        booked = booking.do_book_series(data["actor"], clinic, patient, plan, series)
    except booking.ConflictError:  # every chair full at a proposed time: refused, as it should
        return (time.perf_counter() - began) * 1000, 0
    elapsed = (time.perf_counter() - began) * 1000
    from ketacare.scheduling.models import Appointment

    Appointment.objects.filter(pk__in=[a.pk for a in booked]).delete()  # untimed
    return elapsed, len(booked)


def report(name: str, timings: list[float], target: float | None) -> float:
    timings = sorted(timings)
    p95 = timings[max(int(len(timings) * 0.95) - 1, 0)]
    verdict = "" if target is None else ("  OK" if p95 < target else f"  MISSES {target:.0f} ms")
    print(
        f"{name:<40} median {statistics.median(timings):7.1f} ms   p95 {p95:7.1f} ms"
        f"   max {timings[-1]:7.1f} ms{verdict}"
    )
    return p95


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    configure(args.db)
    prepare()
    import django

    django.setup()
    from ketacare.accounts.models import Clinic
    from ketacare.measures.scheduling import clinic_today
    from ketacare.scheduling.models import Appointment

    data = seed()
    count = Appointment.objects.filter(clinic=data["clinic"]).count()
    print(f"== {args.db}: {count:,} appointments, {CHAIRS} chairs; 6-session IV series ==")
    today = clinic_today(Clinic.objects.get(slug="bench"))
    starts = [today + timedelta(days=14 + (i % 21)) for i in range(args.requests + 5)]
    for start in starts[:5]:
        one_series(data, start)  # warm-up
    timings, refused = [], []
    for start in starts[5:]:
        elapsed, booked = one_series(data, start)
        (timings if booked == 6 else refused).append(elapsed)
    report("generate + save a 6-session series", timings, 100)
    if refused:
        report(f"  refused with a conflict ({len(refused)} samples)", refused, None)


if __name__ == "__main__":
    main()
