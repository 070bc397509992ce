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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # bench/ is not a package: found through sys.path above
    BENCH_DIR,
    HOST,
    CpuContention,
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
            while not _answers(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{app} did not start:\n{_tail(log)}")
                time.sleep(0.1)
            yield port
        finally:
            _stop(proc)


def _answers(port: int) -> bool:
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", "/ok/")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _post(conn: http.client.HTTPConnection) -> None:
    conn.request("POST", "/post/", body=BODY, headers=HEADERS)
    response = conn.getresponse()
    response.read()
    if response.status != 201:
        raise RuntimeError(f"POST /post/ answered {response.status}")


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


def burst(port: int, clients: int) -> list[float]:
    """`clients` connections, each opened first, then one POST each at a shared barrier."""
    conns = [http.client.HTTPConnection(HOST, port, timeout=120) for _ in range(clients)]
    for conn in conns:
        conn.request("GET", "/ok/")
        conn.getresponse().read()
    barrier = threading.Barrier(clients + 1)
    timings: list[float] = []

    def post(conn: http.client.HTTPConnection) -> None:
        barrier.wait()
        started = time.perf_counter()
        _post(conn)
        timings.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=post, args=(conn,)) for conn in conns]
    for thread in threads:
        thread.start()
    barrier.wait()
    for thread in threads:
        thread.join()
    for conn in conns:
        conn.close()
    return timings


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
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_floor_reading")
    waited = contention.percent()
    if waited is not None:
        print(f"CPU wait over the run: {waited:.0f} % (other work on the machine inflates this)")
    print("targets on top of these: issue 6 one POST median < 2 ms; issue 7 200 at once p99 < 1 s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
