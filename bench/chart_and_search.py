"""Benchmark: chart page and patient search in a clinic of 20,000 patients.

Sets up a database (SQLite in a data folder, or the PostgreSQL database `ketacare_bench`),
migrates it, fills it with `ketacare benchdata` (reused when already there), starts the
production server (`ketacare serve`, gunicorn) on a free loopback port, signs in as the
benchmark nurse, warms up, then times N sequential requests per scenario and prints median,
p95, p99 and max in milliseconds. Every request writes its audit entry, as in production.

    .venv/bin/python bench/chart_and_search.py                      # SQLite
    .venv/bin/python bench/chart_and_search.py --database postgres  # PostgreSQL

See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # bench/ is not a package: found through sys.path above
    TARGET_P95_MS,
    Client,
    CpuContention,
    Result,
    bench_pg_url,
    cpu_reference_ms,
    format_table,
    ketacare,
    pg_create_bench_db,
    pg_drop_bench_db,
    pg_reachable,
    pg_vacuum_analyze,
    remove_tree,
    running_server,
    server_env,
)

NURSE = "nurse@bench.demo"
BUSY_CPU_WAIT_PERCENT = 10  # above this, other work on the machine distorts the figures
PASSWORD = "ketacare-demo-2026"  # noqa: S105  (the public demo login benchdata creates)
PATIENTS_SCRIPT = """
from ketacare.patients.models import Patient
rows = Patient.objects.filter(clinic__slug="bench").values_list(
    "id", "mrn", "legal_family_name", "birth_date"
)
for row in rows.iterator():
    print(*row, sep="\\t")
"""


@dataclass(frozen=True)
class Patient:
    id: str
    mrn: str
    family: str
    birth_date: str


@dataclass
class Scenario:
    name: str
    run: Callable[[Patient], None]
    prepare: Callable[[Patient], None] | None = None  # untimed, before each sample
    requests_per_sample: int = 1


def expect(condition: bool, what: str) -> None:
    if not condition:
        raise AssertionError(what)


def sign_in(client: Client) -> None:
    page = client.get("/accounts/login/")
    expect(page.status == 200 and "csrftoken" in client.cookies, "login page with CSRF cookie")
    done = client.post_form("/accounts/login/", {"username": NURSE, "password": PASSWORD})
    expect(done.status == 302, f"sign-in redirects (got {done.status})")
    listing = client.get("/patients/")
    expect(listing.status == 200, f"signed in and in the clinic (got {listing.status})")


def scenarios(web: Client, api: Client, rng: random.Random, total: int) -> list[Scenario]:
    def partial_family(p: Patient) -> str:
        # benchdata's family names carry a number ("Garcia417"); a word with digits is read
        # as an MRN, so search by the start of the letters: "Gar" … "Garcia".
        letters = p.family.rstrip("0123456789")
        return letters[: rng.randint(3, len(letters))]

    def search(q: str = "", birth_date: str = "") -> str:
        posted = web.post_form("/patients/", {"q": q, "birth_date": birth_date})
        expect(posted.status == 302, f"search POST redirects (got {posted.status})")
        shown = web.follow(posted)
        expect(shown.status == 200, f"search results page (got {shown.status})")
        expect("your search" in shown.text, "results of a search")
        return shown.text

    def clear_search(p: Patient) -> None:
        done = web.post_form("/patients/", {"clear": "1"})
        expect(done.status == 302, "clearing the search redirects")

    def chart(p: Patient) -> None:
        page = web.get(f"/patients/{p.id}/")
        expect(page.status == 200 and p.mrn in page.text, f"chart of {p.mrn}")

    def list_all(p: Patient) -> None:
        page = web.get("/patients/")
        expect(page.status == 200, "patient list")
        expect(f">{total} patients" in page.text.replace("\n", ""), "unsearched list")

    def by_name(p: Patient) -> None:
        search(q=partial_family(p))

    def by_mrn(p: Patient) -> None:
        expect(p.mrn in search(q=p.mrn), f"MRN search finds {p.mrn}")

    def by_birth_date(p: Patient) -> None:
        expect(p.mrn in search(birth_date=p.birth_date), f"DOB search finds {p.mrn}")

    def set_name_search(p: Patient) -> None:
        posted = web.post_form("/patients/", {"q": partial_family(p), "birth_date": ""})
        expect(posted.status == 302, "search POST redirects")

    def list_searched(p: Patient) -> None:
        page = web.get("/patients/")
        expect(page.status == 200 and "your search" in page.text, "searched list")

    def api_search(p: Patient) -> None:
        answer = api.post_json("/api/v1/patients/search", {"q": partial_family(p), "page_size": 25})
        expect(answer.status == 200 and answer.json()["count"] >= 1, "API search finds patients")

    def api_read(p: Patient) -> None:
        answer = api.get(f"/api/v1/patients/{p.id}")
        expect(answer.status == 200 and answer.json()["mrn"] == p.mrn, f"API read of {p.mrn}")

    return [
        Scenario("chart page GET /patients/<id>/", chart),
        Scenario("patient list GET /patients/ (no search)", list_all, prepare=clear_search),
        Scenario("search: partial family name (POST+GET)", by_name, requests_per_sample=2),
        Scenario("search: MRN (POST+GET)", by_mrn, requests_per_sample=2),
        Scenario("search: date of birth (POST+GET)", by_birth_date, requests_per_sample=2),
        Scenario("searched list GET /patients/ (name)", list_searched, prepare=set_name_search),
        Scenario("API POST /api/v1/patients/search", api_search),
        Scenario("API GET /api/v1/patients/<id>", api_read),
    ]


def measure(
    plan: list[Scenario], patients: list[Patient], rng: random.Random, n: int, warmup: int
) -> list[Result]:
    """Round-robin over the scenarios, so a burst of noise on the machine spreads evenly."""
    samples: dict[str, list[float]] = {s.name: [] for s in plan}
    for i in range(warmup + n):
        for scenario in plan:
            patient = rng.choice(patients)
            if scenario.prepare is not None:
                scenario.prepare(patient)
            start = time.perf_counter()
            scenario.run(patient)
            elapsed = (time.perf_counter() - start) * 1000
            if i >= warmup:
                samples[scenario.name].append(elapsed)
    return [Result(s.name, samples[s.name], s.requests_per_sample) for s in plan]


def load_patients(env: dict[str, str]) -> list[Patient]:
    out = ketacare(["shell", "-v", "0", "-c", PATIENTS_SCRIPT], env)
    rows = [line.split("\t") for line in out.splitlines()]
    return [Patient(*row) for row in rows if len(row) == 4]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("DATABASE_URL"),
        help="PostgreSQL server (default: DATABASE_URL if it is PostgreSQL, else "
        "postgres://postgres@127.0.0.1:5432/); the database used is always ketacare_bench.",
    )
    parser.add_argument("--patients", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=300, help="timed samples per scenario")
    parser.add_argument("--warmup", type=int, default=30, help="untimed samples per scenario")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "ketacare-bench",
        help="data folder (SQLite file, secret key, server log); per database, reused",
    )
    parser.add_argument("--fresh", action="store_true", help="start from an empty database")
    parser.add_argument("--cleanup", action="store_true", help="remove the data afterwards")
    parser.add_argument("--json", type=Path, help="also write the results here as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data_dir: Path = args.data_dir.resolve() / args.database
    if args.database == "postgres":
        database_url = bench_pg_url(args.pg_url)
        reachable, version = pg_reachable(database_url)
        if not reachable:
            print(f"PostgreSQL not reachable ({version}).", file=sys.stderr)
            return 2
        if args.fresh:
            pg_drop_bench_db(database_url)
        pg_create_bench_db(database_url)
    else:
        if args.fresh:
            remove_tree(data_dir)
        database_url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
        version = f"SQLite {sqlite3.sqlite_version}"
    data_dir.mkdir(parents=True, exist_ok=True)
    env = server_env(database_url, data_dir)
    rng = random.Random(args.seed)
    token_prefix = ""
    try:
        started = time.perf_counter()
        ketacare(["migrate", "--noinput", "-v", "0"], env)
        print(ketacare(["benchdata", "--patients", str(args.patients)], env).strip())
        if args.database == "postgres":
            pg_vacuum_analyze(database_url)  # what autovacuum does for a live database
        print(f"  data ready in {time.perf_counter() - started:.1f}s ({version})")
        patients = load_patients(env)
        expect(len(patients) >= args.patients, f"{args.patients} patients in the bench clinic")
        token = ketacare(["token", "create", "--user", NURSE, "--name", "benchmark"], env).strip()
        token_prefix = token.removeprefix("kc_")[:8]

        log_path = data_dir / "server.log"
        with running_server(env, log_path, workers=args.workers, threads=args.threads) as port:
            web = Client(port)
            api = Client(port, headers={"Authorization": f"Bearer {token}"})
            try:
                sign_in(web)
                plan = scenarios(web, api, rng, len(patients))
                load_before = os.getloadavg()[0]
                reference = [cpu_reference_ms()]
                contention = CpuContention()
                results = measure(plan, patients, rng, args.requests, args.warmup)
                cpu_wait = contention.percent()
                reference.append(cpu_reference_ms())
                load_after = os.getloadavg()[0]
            finally:
                web.close()
                api.close()
    finally:
        if token_prefix:
            ketacare(["token", "revoke", token_prefix], env)
        if args.cleanup:
            if args.database == "postgres":
                pg_drop_bench_db(database_url)
            remove_tree(data_dir)

    rows = [r.summary() for r in results]
    title = (
        f"chart_and_search on {version}: {len(patients)} patients, {args.requests} samples "
        f"per scenario after {args.warmup} warm-up, gunicorn {args.workers} workers × "
        f"{args.threads} threads, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"1-min load average {load_before:.2f} at start, {load_after:.2f} at end; "
        + ("" if cpu_wait is None else f"some task waited for a CPU {cpu_wait:.0f}% of the time; ")
        + f"reference work {reference[0]:.1f} ms at start, {reference[1]:.1f} ms at end"
    )
    print(f"\n{title}\n{format_table(rows)}")
    if cpu_wait is not None and cpu_wait > BUSY_CPU_WAIT_PERCENT:
        print(
            f"WARNING: the machine was busy (tasks waited for a CPU {cpu_wait:.0f}% of the "
            "time): these latencies include that wait. Rerun on an idle machine to compare."
        )
    if args.json:
        report: dict[str, Any] = {
            "benchmark": "chart_and_search",
            "database": version,
            "patients": len(patients),
            "workers": args.workers,
            "threads": args.threads,
            "cores": os.cpu_count(),
            "load_average": [round(load_before, 2), round(load_after, 2)],
            "cpu_wait_percent": None if cpu_wait is None else round(cpu_wait, 1),
            "reference_work_ms": [round(r, 2) for r in reference],
            "target_p95_ms": TARGET_P95_MS,
            "results": rows,
        }
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
