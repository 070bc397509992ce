"""Risk answer → flag on the staff banner: 200 patients submit PHQ-9 item 9 = 2 at once.

Run: DATABASE_URL=postgres://…/<your db> .venv/bin/python bench/risk_flag_latency.py
     [--patients 200] [--workers N] [--threads N] [--data-dir DIR] [--spread SECONDS]
Target (issue #7): p99 < 1 s from the start of the patient's submission to the flag being on
the staff banner endpoint, notifications enqueued.

1. Data, in the database named by DATABASE_URL (PostgreSQL or SQLite; a new clinic per run,
   so nothing already there is touched): a clinic with a prescriber on call all week and a
   nurse, `--patients` patients, each with a one-time PHQ-9 self-report link.
2. Server: `ketacare serve` (gunicorn gthread) on a free loopback port, stopped at the end,
   with the workers and threads it uses in production unless told (2 × cores + 1 workers,
   at most 9, 2 threads each).
3. The nurse signs in; one thread polls `GET /safety/banner/?ids=1` back to back (passive
   header, as safety.js does) and notes when each flag id first appears.
4. Each patient has a thread and its own connection: it opens its link (untimed), waits at a
   barrier with all the others, then POSTs all nine answers with item 9 = 2 (with `--spread S`,
   each first waits a random moment within S seconds: arrivals over a window, not one
   instant; the latency still counts from its own POST). The flag is
   raised in that request's transaction and the notifications are queued (NotificationLog rows
   and their delivery tasks) before it answers.
5. Latency per patient = first banner response holding its flag − start of its POST. Also
   reported: the submission's own response time. At the end every flag is checked for its
   escalation row, its notified events and its queued messages.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Client, ketacare, running_server, server_env

PASSWORD = "bench-risk-password-9"  # noqa: S105  (a throwaway bench user)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def prepare(patients: int) -> tuple[str, list[tuple[str, str]]]:
    """Create the clinic, staff and links in-process. Returns (nurse email, [(patient, token)])."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ketacare.settings")
    django.setup()
    from datetime import date
    from datetime import time as clock

    from ketacare.accounts.audit import Actor
    from ketacare.accounts.models import Clinic, Membership, Role, User
    from ketacare.measures.selfreport_actions import do_issue_link
    from ketacare.patients.actions import do_register_patient
    from ketacare.safety.escalation_models import OnCallSlot

    stamp = str(int(time.time()))
    actor = Actor(label="bench-risk")
    clinic = Clinic.objects.create(
        name=f"Risk Bench {stamp}", slug=f"risk-bench-{stamp}", mrn_prefix="RSK"
    )
    nurse = User.objects.create_user(f"nurse-{stamp}@bench.test", PASSWORD, full_name="Nurse")
    doctor = User.objects.create_user(f"doc-{stamp}@bench.test", PASSWORD, full_name="Doc")
    Membership.objects.create(user=nurse, clinic=clinic, role=Role.NURSE)
    Membership.objects.create(user=doctor, clinic=clinic, role=Role.PRESCRIBER)
    for day in range(7):
        OnCallSlot.objects.create(
            clinic=clinic, weekday=day, starts=clock(0, 0), ends=clock(0, 0), user=doctor
        )
    links = []
    for i in range(patients):
        patient = do_register_patient(
            actor,
            clinic,
            {
                "legal_given_name": f"P{i}",
                "legal_family_name": f"Bench{i:04d}",
                "birth_date": date(1980, 1, 1),
                "sex_at_birth": "female",
            },
        )
        issued = do_issue_link(actor, patient, ["phq9"], context="follow_up", channel="in_clinic")
        links.append((str(patient.pk), issued.token))
    return nurse.email, links


def sign_in(client: Client, email: str) -> None:
    client.get("/accounts/login/")
    done = client.post_form("/accounts/login/", {"username": email, "password": PASSWORD})
    if done.status not in (302, 303):
        raise RuntimeError(f"sign-in failed ({done.status})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=min(2 * (os.cpu_count() or 1) + 1, 9))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", default="")
    parser.add_argument(
        "--warmup", type=int, default=10, help="Submissions made one at a time first (untimed)."
    )
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="Seconds over which the submissions start, each at a random moment (seeded); "
        "0 (the default): all at the same instant.",
    )
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url:
        sys.exit("Set DATABASE_URL to the database the benchmark may fill (a new clinic).")
    data_dir = Path(args.data_dir or Path(tempfile.gettempdir()) / "ketacare-bench-risk")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(database_url, data_dir)
    os.environ.update({k: env[k] for k in ("KETACARE_DATA_DIR", "DATABASE_URL")})
    ketacare(["migrate", "-v0"], env)
    nurse_email, links = prepare(args.patients + args.warmup)
    warmup, links = links[: args.warmup], links[args.warmup :]
    print(f"{len(links)} patients with a PHQ-9 link; starting the server…", flush=True)

    with running_server(
        env, data_dir / "server.log", workers=args.workers, threads=args.threads
    ) as port:
        nurse = Client(port, headers={"X-KetaCare-Passive": "1"}, timeout=300)
        sign_in(nurse, nurse_email)
        first_seen: dict[int, float] = {}
        stop = threading.Event()
        polls: list[float] = []

        def watch() -> None:
            while not stop.is_set():
                started = time.perf_counter()
                try:
                    response = nurse.get("/safety/banner/?ids=1")
                except OSError:  # a server too busy to answer in time: poll again
                    nurse.close()
                    continue
                seen = time.perf_counter()
                polls.append(seen - started)
                if response.status == 200:
                    for flag_id in response.json()["ids"]:
                        first_seen.setdefault(flag_id, seen)

        answers = {f"phq9-{i}": "1" for i in range(1, 9)} | {"phq9-9": "2"}
        warm_times = []
        for _, token in warmup:  # every server thread imports and connects before timing
            client = Client(port, timeout=120)
            client.get(f"/r/{token}/")
            t0 = time.perf_counter()
            client.post_form(f"/r/{token}/", {"scale": "phq9", "action": "next", **answers})
            warm_times.append(time.perf_counter() - t0)
            client.close()
        if warm_times:
            print(f"one at a time: {' '.join(f'{t * 1000:.0f}' for t in warm_times)} ms")
        patients = [Client(port, timeout=600) for _ in links]
        for client, (_, token) in zip(patients, links, strict=True):
            client.get(f"/r/{token}/")  # the page, and its CSRF cookie (untimed)
        barrier = threading.Barrier(len(links) + 1)
        chance = random.Random(7)  # the same arrivals on every run
        delays = [chance.uniform(0, args.spread) for _ in links]
        started_at: dict[str, float] = {}
        answered: dict[str, float] = {}
        failures: list[str] = []

        def submit(client: Client, patient_id: str, token: str, delay: float) -> None:
            barrier.wait()
            if delay:
                time.sleep(delay)
            started_at[patient_id] = time.perf_counter()
            try:
                response = client.post_form(
                    f"/r/{token}/", {"scale": "phq9", "action": "next", **answers}
                )
            except OSError as problem:  # no answer within the client's timeout
                failures.append(f"{patient_id}: {type(problem).__name__}")
                return
            answered[patient_id] = time.perf_counter()
            if response.status not in (302, 303):
                failures.append(f"{patient_id}: {response.status}")

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        threads = [
            threading.Thread(target=submit, args=(c, pid, tok, delay))
            for c, (pid, tok), delay in zip(patients, links, delays, strict=True)
        ]
        for t in threads:
            t.start()
        barrier.wait()
        for t in threads:
            t.join()
        deadline = time.perf_counter() + 120
        while len(first_seen) < len(links) and time.perf_counter() < deadline:
            time.sleep(0.05)
        stop.set()
        watcher.join(timeout=30)

    from django.db import connections

    from ketacare.notify.models import NotificationLog
    from ketacare.safety.escalation_models import EscalationEvent, FlagEscalation
    from ketacare.safety.models import RiskFlag

    connections.close_all()
    flags = {
        str(patient_id): flag_id
        for flag_id, patient_id in RiskFlag.objects.filter(
            patient_id__in=[pid for pid, _ in links]
        ).values_list("pk", "patient_id")
    }
    latencies = [
        first_seen[flags[pid]] - started_at[pid]
        for pid, _ in links
        if pid in flags and flags[pid] in first_seen
    ]
    responses = [answered[pid] - started_at[pid] for pid in answered]
    ids = list(flags.values())
    escalations = FlagEscalation.objects.filter(flag_id__in=ids, step__gte=1).count()
    notified = EscalationEvent.objects.filter(flag_id__in=ids, kind="notified").count()
    queued = NotificationLog.objects.filter(reference__in=[f"riskflag:{i}" for i in ids]).count()

    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    print(f"database: {database_url.split('@')[-1]}; gunicorn {args.workers}×{args.threads}")
    if args.spread:
        rate = len(links) / args.spread
        print(f"arrivals: at random over {args.spread:g} s (≈ {rate:.0f} submissions/s)")
    else:
        print("arrivals: all at the same instant")
    print(f"submissions: {len(answered)} ({len(failures)} failed) {failures[:3]}")
    print(f"flags raised: {len(flags)}; on the banner: {len(latencies)}")
    print(f"escalations started: {escalations}; notified events: {notified}; messages: {queued}")
    if responses:
        print(
            f"submission response: p50 {ms(statistics.median(responses))}, "
            f"p95 {ms(percentile(responses, 95))}, p99 {ms(percentile(responses, 99))}, "
            f"max {ms(max(responses))}"
        )
    if polls:
        print(f"banner poll: {len(polls)} polls, p50 {ms(statistics.median(polls))}")
    if not latencies:
        print("no flag reached the banner")
        return 1
    p99 = percentile(latencies, 99)
    print(
        f"submission → banner: p50 {ms(statistics.median(latencies))}, "
        f"p95 {ms(percentile(latencies, 95))}, p99 {ms(p99)}, max {ms(max(latencies))} "
        f"(target p99 < 1000 ms: {'met' if p99 < 1.0 else 'NOT met'})"
    )
    complete = len(latencies) == len(links) and not failures and escalations == len(links)
    return 0 if complete and p99 < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
