"""The floor of our stack on this machine: what storing one row over HTTP costs before any of
KetaCare's own work, next to the targets of issues 6 and 7 that are measured on top of it.

Run: .venv/bin/python bench/stack_floor.py [--requests 300] [--burst 200] [--rounds 3]
     [--workers N] [--threads N]   (PostgreSQL server from DATABASE_URL, database ketacare_bench)

Three servers, each on gunicorn (gthread, `ketacare serve`'s defaults unless told), each
storing one vital-sign row per `POST /post/` and committing (bench/floor_app):
  bare              gunicorn → a WSGI function → psycopg (INSERT … RETURNING, COMMIT)
  django            a one-view Django project, the same row through the ORM in atomic()
  django+middleware the same with Django's five standard middleware
and, as in fhir_device_feed.py, a raw psycopg INSERT + COMMIT loop with no HTTP at all.

For each: (a) one keep-alive client posting one at a time, median and p95 — against issue
6's "one Observation by POST, median < 2 ms"; (b) `--burst` clients posting at one barrier,
p99 per round — against issue 7's "200 concurrent patients, p99 < 1 s". A KetaCare endpoint
does its own work on top of these (sign-in, validation, rules, audit, several statements),
so where a floor is already near a target, no KetaCare code can meet it on this machine.

Then two sketches of lean paths, lower bounds measured instead of estimated: `sketch.py`, a
pre-Django hot path for `POST /fhir/Observation`, one at a time; and `risk_sketch.py`, a
PHQ-9 submission with item 9 = 2 storing issue 7's rows in four statements behind Django's
middleware, one at a time and `--burst` at once.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # bench/ is not a package: found through sys.path above
    BENCH_DIR,
    HOST,
    CpuContention,
    _healthy,
    _stop,
    _tail,
    bench_pg_url,
    cpu_reference_ms,
    free_port,
    pg_create_bench_db,
)

TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bench_floor_reading (id bigserial PRIMARY KEY, "
    "session_id bigint NOT NULL, taken_at timestamptz NOT NULL, systolic integer, "
    "diastolic integer, heart_rate integer)"
)
SKETCH_TOKEN = "sketch-bench-token"  # noqa: S105  (a throwaway bearer token for the sketch)
SKETCH_SESSIONS = 40
SKETCH_DDL = [
    "CREATE TABLE sketch_token (id bigserial PRIMARY KEY, token_hash varchar(64) NOT NULL "
    "UNIQUE, user_id bigint NOT NULL, clinic_id bigint NOT NULL, revoked boolean NOT NULL)",
    "CREATE TABLE sketch_session (id bigint PRIMARY KEY, clinic_id bigint NOT NULL, "
    "patient_id varchar(64) NOT NULL, status varchar(20) NOT NULL)",
    # treatments_vitalreading's columns, keys and indexes
    "CREATE TABLE sketch_reading (id bigserial PRIMARY KEY, session_id bigint NOT NULL "
    "REFERENCES sketch_session DEFERRABLE INITIALLY DEFERRED, phase varchar(10) NOT NULL, "
    "taken_at timestamptz NOT NULL, recorded_at timestamptz NOT NULL, recorded_by_id bigint, "
    "systolic_mmhg smallint CHECK (systolic_mmhg >= 0), diastolic_mmhg smallint, "
    "heart_rate_bpm smallint, spo2_pct smallint, resp_rate_per_min smallint, "
    "temperature_c numeric(4, 1), moaas smallint, cadss6 smallint, source varchar(8) NOT NULL, "
    "corrects_id bigint REFERENCES sketch_reading DEFERRABLE INITIALLY DEFERRED, "
    "correction_reason text NOT NULL)",
    "CREATE INDEX ON sketch_reading (session_id, taken_at DESC)",
    "CREATE INDEX ON sketch_reading (session_id, taken_at DESC) WHERE moaas IS NOT NULL",
    "CREATE INDEX ON sketch_reading (session_id, taken_at DESC) WHERE cadss6 IS NOT NULL",
    "CREATE INDEX ON sketch_reading (session_id, taken_at DESC) WHERE phase = 'pre_dose'",
    "CREATE INDEX ON sketch_reading (corrects_id)",
    "CREATE INDEX ON sketch_reading (recorded_by_id)",
    # kc_fhir_receivedobservation
    "CREATE TABLE sketch_key (id bigserial PRIMARY KEY, clinic_id bigint NOT NULL, "
    "system varchar(255) NOT NULL, value varchar(255) NOT NULL, reading_id bigint NOT NULL "
    "UNIQUE REFERENCES sketch_reading DEFERRABLE INITIALLY DEFERRED, kind varchar(8) NOT NULL, "
    "received_at timestamptz NOT NULL, UNIQUE (clinic_id, system, value))",
    # accounts_auditchainhead and accounts_auditentry
    "CREATE TABLE sketch_audit_head (id integer PRIMARY KEY, last_seq bigint NOT NULL, "
    "last_hash varchar(64) NOT NULL)",
    "CREATE TABLE sketch_audit_entry (id bigserial PRIMARY KEY, seq bigint NOT NULL UNIQUE, "
    "at timestamptz NOT NULL, actor_id bigint, actor_label varchar(254) NOT NULL, "
    "actor_role varchar(20) NOT NULL, clinic_id bigint, action varchar(100) NOT NULL, "
    "object_type varchar(60) NOT NULL, object_id varchar(64) NOT NULL, "
    "patient_id varchar(64) NOT NULL, client_ip varchar(64) NOT NULL, "
    "outcome varchar(10) NOT NULL, detail jsonb NOT NULL, prev_hash varchar(64) NOT NULL, "
    "entry_hash varchar(64) NOT NULL)",
    "CREATE INDEX ON sketch_audit_entry (action)",
    "CREATE INDEX ON sketch_audit_entry (clinic_id, seq DESC)",
    "CREATE INDEX ON sketch_audit_entry (patient_id, seq DESC)",
]
SKETCH_TABLES = "sketch_key, sketch_reading, sketch_audit_entry, sketch_audit_head, " + (
    "sketch_session, sketch_token"
)
BODY = json.dumps({"s": 1, "sbp": 128, "dbp": 82, "hr": 74}).encode()
HEADERS = {"Content-Type": "application/json", "Host": f"{HOST}"}
SERVERS = {  # name: (gunicorn app, extra environment)
    "bare": ("floor_app.wsgi:bare", {}),
    "django": ("floor_app.wsgi:django_app", {"FLOOR_APP": "django"}),
    "django+middleware": (
        "floor_app.wsgi:django_app",
        {"FLOOR_APP": "django", "FLOOR_MIDDLEWARE": "standard"},
    ),
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


@contextmanager
def gunicorn(app: str, env: dict[str, str], workers: int, threads: int, log: Path) -> Iterator[int]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"{HOST}:{port}",
        "--worker-class",
        "gthread",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--chdir",
        str(BENCH_DIR),
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603  (our own command, fixed arguments)
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + 30
            while not _healthy(port, "/ok/"):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start:\n{_tail(log)}")
                time.sleep(0.1)
            yield port
        finally:
            _stop(proc)


def _post(
    conn: http.client.HTTPConnection,
    path: str = "/post/",
    body: bytes = BODY,
    headers: dict[str, str] = HEADERS,
    expect: int = 201,
) -> None:
    conn.request("POST", path, body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != expect:
        raise RuntimeError(f"POST {path} answered {response.status}")


def one_at_a_time(port: int, requests: int, warmup: int) -> list[float]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    timings = []
    for i in range(warmup + requests):
        started = time.perf_counter()
        _post(conn)
        if i >= warmup:
            timings.append((time.perf_counter() - started) * 1000)
    conn.close()
    return timings


def burst(port: int, clients: int, posts: list[dict[str, Any]] | None = None) -> list[float]:
    """`clients` connections, each opened first, then one POST each at a shared barrier
    (`posts`: each client's own `_post` arguments; default the floor's one-row POST)."""
    posts = posts or [{} for _ in range(clients)]
    conns = [http.client.HTTPConnection(HOST, port, timeout=120) for _ in range(clients)]
    for conn in conns:
        conn.request("GET", "/ok/")
        conn.getresponse().read()
    barrier = threading.Barrier(clients + 1)
    timings: list[float] = []

    def post(conn: http.client.HTTPConnection, kwargs: dict[str, Any]) -> None:
        barrier.wait()
        started = time.perf_counter()
        _post(conn, **kwargs)
        timings.append((time.perf_counter() - started) * 1000)

    threads = [
        threading.Thread(target=post, args=(conn, kwargs))
        for conn, kwargs in zip(conns, posts, strict=True)
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    for conn in conns:
        conn.close()
    return timings


def sketch_tables(url: str) -> list[tuple[int, str]]:
    """Create and fill the sketch's tables; returns its sessions as (id, patient id)."""
    import hashlib
    import uuid

    import psycopg

    sessions = [(1000 + i, uuid.uuid4().hex) for i in range(SKETCH_SESSIONS)]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {SKETCH_TABLES}")
        for statement in SKETCH_DDL:
            conn.execute(statement)
        token_hash = hashlib.sha256(SKETCH_TOKEN.encode()).hexdigest()
        conn.execute("INSERT INTO sketch_token VALUES (1, %s, 7, 3, false)", [token_hash])
        conn.execute("INSERT INTO sketch_audit_head VALUES (1, 0, '')")
        for pk, patient in sessions:
            conn.execute(
                "INSERT INTO sketch_session VALUES (%s, 3, %s, 'monitoring')", [pk, patient]
            )
            conn.execute(
                "INSERT INTO sketch_reading (session_id, phase, taken_at, recorded_at, "
                "systolic_mmhg, diastolic_mmhg, heart_rate_bpm, spo2_pct, source, "
                "correction_reason) VALUES (%s, 'pre_dose', now(), now(), 124, 78, 72, 98, "
                "'manual', '')",
                [pk],
            )
    return sessions


def sketch_posts(
    port: int, sessions: list[tuple[int, str]], requests: int, warmup: int
) -> list[float]:
    """One keep-alive client posting heart-rate Observations with their own identifiers."""
    from fhir_device_feed import observation

    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {
        "Content-Type": "application/fhir+json",
        "Authorization": f"Bearer {SKETCH_TOKEN}",
        "Host": HOST,
    }
    timings = []
    run = str(int(time.time()))
    for i in range(warmup + requests):
        body = json.dumps(observation(sessions[i % len(sessions)], "hr", i, f"{run}-{i}"))
        started = time.perf_counter()
        conn.request("POST", "/fhir/Observation", body=body.encode(), headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 201:
            raise RuntimeError(f"sketch answered {response.status}")
        if i >= warmup:
            timings.append((time.perf_counter() - started) * 1000)
    conn.close()
    return timings


RISK_FORM = "&".join(f"phq9-{i}=1" for i in range(1, 9)) + "&phq9-9=2"
RISK_HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Host": HOST}


def risk_links(url: str, count: int) -> list[str]:
    """Create the risk sketch's tables (and the audit tables it shares with the feed sketch)
    and `count` one-time PHQ-9 links of one clinic; returns their raw tokens."""
    import hashlib
    import uuid

    import psycopg
    from floor_app.risk_sketch import RISK_DDL, RISK_TABLES

    tokens = [f"risk-{uuid.uuid4().hex}" for _ in range(count)]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {RISK_TABLES}")
        for statement in RISK_DDL:
            conn.execute(statement)
        conn.execute("INSERT INTO sketch_audit_head VALUES (1, 0, '') ON CONFLICT DO NOTHING")
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO sketch_risk_link (token_hash, patient_id, clinic_id, scale_codes, "
                "draft, expires_at) VALUES (%s, %s, 5, '[\"phq9\"]', '{}', "
                "now() + interval '1 day')",
                [(hashlib.sha256(t.encode()).hexdigest(), uuid.uuid4().hex) for t in tokens],
            )
    return tokens


def risk_posts(tokens: list[str]) -> list[dict[str, Any]]:
    body = RISK_FORM.encode()
    return [
        {"path": f"/risk/{t}/", "body": body, "headers": RISK_HEADERS, "expect": 302}
        for t in tokens
    ]


def risk_check(url: str, submitted: int) -> None:
    """Every submission stored its assessment, flag, crisis, block, escalation, due item,
    task and three audit entries."""
    import psycopg

    tables = [
        "sketch_risk_assessment",
        "sketch_risk_flag",
        "sketch_risk_crisis",
        "sketch_risk_block",
        "sketch_risk_escalation",
        "sketch_risk_due",
        "sketch_task",
    ]
    with psycopg.connect(url) as conn:
        counts = conn.execute(
            "SELECT "
            + ", ".join(f"(SELECT count(*) FROM {t})" for t in tables)
            + ", (SELECT count(*) FROM sketch_audit_entry WHERE action LIKE 'measures.%%' "
            "OR action LIKE 'safety.%%')"
        ).fetchone()
    expected = (*[submitted] * len(tables), 3 * submitted)
    if counts != expected:
        raise RuntimeError(f"the risk sketch stored {counts}, not {expected}")


def raw_commit_floor(url: str, requests: int) -> list[float]:
    import psycopg

    timings = []
    with psycopg.connect(url, autocommit=True) as conn:
        for _ in range(requests):
            started = time.perf_counter()
            conn.execute(
                "INSERT INTO bench_floor_reading (session_id, taken_at, systolic) "
                "VALUES (1, now(), 120)"
            )
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> int:
    defaults_workers = min(2 * (os.cpu_count() or 1) + 1, 9)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=defaults_workers)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    url = bench_pg_url(os.environ.get("DATABASE_URL"))
    pg_create_bench_db(url)
    import psycopg
    from floor_app.risk_sketch import RISK_TABLES

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TABLE_SQL)
    log = Path(tempfile.gettempdir()) / "ketacare-bench-floor.log"
    print(
        f"gunicorn gthread {args.workers}×{args.threads}; reference work "
        f"{cpu_reference_ms():.1f} ms (about 6–7 ms on a quiet machine of this kind)",
        flush=True,
    )
    contention = CpuContention()
    floor = raw_commit_floor(url, args.requests)
    print(
        f"{'raw psycopg INSERT + COMMIT':<20} one at a time: median "
        f"{statistics.median(floor):.2f} ms, p95 {percentile(floor, 95):.2f}"
    )
    for name, (app, extra) in SERVERS.items():
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(BENCH_DIR), **extra}
        with gunicorn(app, env, args.workers, args.threads, log) as port:
            single = one_at_a_time(port, args.requests, args.warmup)
            rounds = [percentile(burst(port, args.burst), 99) for _ in range(args.rounds)]
        print(
            f"{name:<20} one at a time: median {statistics.median(single):.2f} ms, "
            f"p95 {percentile(single, 95):.2f}; {args.burst} at once: p99 "
            + ", ".join(f"{p:.0f}" for p in rounds)
            + " ms",
            flush=True,
        )
    sessions = sketch_tables(url)
    env = {**os.environ, "SKETCH_DATABASE_URL": url, "PYTHONPATH": str(BENCH_DIR)}
    env["PYTHONPATH"] += os.pathsep + str(BENCH_DIR.parent / "src")
    with gunicorn("floor_app.sketch:application", env, args.workers, args.threads, log) as port:
        single = sketch_posts(port, sessions, args.requests, args.warmup)
    with psycopg.connect(url) as conn:  # every POST stored its reading, key and audit entry
        counts = conn.execute(
            "SELECT (SELECT count(*) FROM sketch_reading WHERE phase = 'during'), "
            "(SELECT count(*) FROM sketch_key), (SELECT count(*) FROM sketch_audit_entry), "
            "(SELECT last_seq FROM sketch_audit_head)"
        ).fetchone()
    posted = args.requests + args.warmup
    if counts != (posted, posted, posted, posted):
        raise RuntimeError(f"the sketch stored {counts}, not {posted} of each")
    print(
        f"{'sketch (see below)':<20} one at a time: median {statistics.median(single):.2f} ms, "
        f"p95 {percentile(single, 95):.2f}",
        flush=True,
    )
    print(
        "   sketch: a lower bound for a pre-Django hot path for POST /fhir/Observation: part "
        "of issue 6's work in two statements and a commit, near-empty tables "
        "(bench/floor_app/sketch.py)"
    )
    tokens = risk_links(url, args.warmup + args.burst * args.rounds)
    app, extra = SERVERS["django+middleware"]
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(BENCH_DIR), **extra}
    env["PYTHONPATH"] += os.pathsep + str(BENCH_DIR.parent / "src")
    with gunicorn(app, env, args.workers, args.threads, log) as port:
        warm, tokens = tokens[: args.warmup], tokens[args.warmup :]
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        single = []
        for kwargs in risk_posts(warm):
            started = time.perf_counter()
            _post(conn, **kwargs)
            single.append((time.perf_counter() - started) * 1000)
        conn.close()
        rounds = []
        for i in range(args.rounds):
            chunk = tokens[i * args.burst : (i + 1) * args.burst]
            rounds.append(percentile(burst(port, args.burst, risk_posts(chunk)), 99))
    risk_check(url, args.warmup + args.burst * args.rounds)
    print(
        f"{'risk sketch':<20} one at a time: median {statistics.median(single[10:]):.2f} ms; "
        f"{args.burst} at once: p99 " + ", ".join(f"{p:.0f}" for p in rounds) + " ms",
        flush=True,
    )
    print(
        "   risk sketch: a lower bound for a hand-written PHQ-9 submission with item 9 > 0: "
        "issue 7's writes in four statements and a commit behind Django's middleware, "
        "step-1 notifications enqueued as one task (bench/floor_app/risk_sketch.py)"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor_reading")
        conn.execute(f"DROP TABLE IF EXISTS {SKETCH_TABLES}, {RISK_TABLES}")
    waited = contention.percent()
    if waited is not None:
        print(f"CPU wait over the run: {waited:.0f} % (other work on the machine inflates this)")
    print("targets on top of these: issue 6 one POST median < 2 ms; issue 7 200 at once p99 < 1 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
