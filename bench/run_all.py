"""Run every benchmark on SQLite, then on PostgreSQL when a server answers (`make bench`).

PostgreSQL: the server named by DATABASE_URL when that is a PostgreSQL URL, otherwise
postgres://postgres@127.0.0.1:5432/. The server benchmarks use only the database
`ketacare_bench`, which this script creates and, unless --keep, drops again at the end; no
other database is touched by them. SQLite data lives in a temporary folder, never in var/.

    .venv/bin/python bench/run_all.py            # fresh data, cleaned up afterwards
    .venv/bin/python bench/run_all.py --keep     # keep the data for the next run (faster)
    .venv/bin/python bench/run_all.py --quick    # fewer samples, for a smoke test
    .venv/bin/python bench/run_all.py --check    # exit 1 when a target is missed
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (  # bench/ is not a package: found through sys.path above
    BENCH_DIR,
    TARGET_P95_MS,
    bench_pg_url,
    format_table,
    pg_create_bench_db,
    pg_drop_bench_db,
    pg_reachable,
    remove_tree,
)

# Server benchmarks: `ketacare serve` against a database; they take --database, --data-dir
# and --json, and their figures are summarised at the end. Each runs on SQLite, then PostgreSQL.
SERVER_BENCHMARKS = ["chart_and_search.py"]
# Database benchmarks that take --db sqlite|postgres (and --requests) and print their own
# figures; they manage their own data (see each script).
DB_FLAG_BENCHMARKS = ["measures_pages.py", "scheduling_series.py", "schedule_day_view.py"]
# Benchmarks without a database (pure library code): run once, their own output as is.
PLAIN_BENCHMARKS = ["scoring_throughput.py"]
# PostgreSQL-only benchmarks with their own server and data (BENCH_PG_URL names the server).
PG_ONLY_BENCHMARKS = ["fhir_device_feed.py"]


def unlisted() -> list[str]:
    listed = {
        *SERVER_BENCHMARKS,
        *DB_FLAG_BENCHMARKS,
        *PLAIN_BENCHMARKS,
        *PG_ONLY_BENCHMARKS,
        Path(__file__).name,
    }
    return sorted(
        p.name
        for p in BENCH_DIR.glob("*.py")
        if not p.name.startswith("_") and p.name not in listed
    )


def run_script(title: str, script: str, args: list[str], env: dict[str, str] | None = None) -> bool:
    print(f"\n=== {title} ===", flush=True)
    command = [sys.executable, str(BENCH_DIR / script), *args]
    done = subprocess.run(command, check=False, env=env)  # noqa: S603  (our own scripts)
    if done.returncode != 0:
        print(f"{title} failed (exit {done.returncode}).", file=sys.stderr)
    return done.returncode == 0


def run_server_benchmark(
    script: str, database: str, data_dir: Path, extra: list[str]
) -> dict[str, Any] | None:
    out = data_dir / f"{Path(script).stem}-{database}.json"
    out.unlink(missing_ok=True)
    args = ["--database", database, "--data-dir", str(data_dir), "--json", str(out), *extra]
    if not run_script(f"{script} on {database}", script, args) or not out.exists():
        return None
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def server_root(url: str) -> str:
    """The PostgreSQL URL without a database name (for scripts that choose their own)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", parts.query, ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the benchmark data")
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke test)")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 when a p95 is not under {TARGET_P95_MS:g} ms"
    )
    args = parser.parse_args(argv)

    keep_dir = Path(tempfile.gettempdir()) / "ketacare-bench"
    data_dir = keep_dir if args.keep else Path(tempfile.mkdtemp(prefix="ketacare-bench-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    server_extra = ["--requests", "60", "--warmup", "10"] if args.quick else []
    if not args.keep:
        server_extra.append("--fresh")  # even when a kept ketacare_bench is left from before
    flag_extra = ["--requests", "20"] if args.quick else []
    pg_url = bench_pg_url(os.environ.get("DATABASE_URL"))
    reports: list[dict[str, Any]] = []
    ok = True

    for script in PLAIN_BENCHMARKS:
        ok &= run_script(script, script, ["--seconds", "0.2"] if args.quick else [])
    try:
        for script in SERVER_BENCHMARKS:
            report = run_server_benchmark(script, "sqlite", data_dir, server_extra)
            ok &= report is not None
            reports += [report] if report else []
        for script in DB_FLAG_BENCHMARKS:
            ok &= run_script(f"{script} on sqlite", script, ["--db", "sqlite", *flag_extra])

        reachable, why = (False, "--sqlite-only") if args.sqlite_only else pg_reachable(pg_url)
        if not reachable:
            print(f"\n== PostgreSQL skipped ({why}) ==")
        else:
            created = pg_create_bench_db(pg_url)
            try:
                for script in SERVER_BENCHMARKS:
                    pg_extra = [*server_extra, "--pg-url", pg_url]
                    report = run_server_benchmark(script, "postgres", data_dir, pg_extra)
                    ok &= report is not None
                    reports += [report] if report else []
            finally:
                if not args.keep:
                    pg_drop_bench_db(pg_url)
                elif created:
                    print("(kept the PostgreSQL database ketacare_bench for the next run)")
            env = {**os.environ, "BENCH_PG_URL": server_root(pg_url)}
            for script in DB_FLAG_BENCHMARKS:
                title = f"{script} on postgres"
                ok &= run_script(title, script, ["--db", "postgres", *flag_extra], env)
            pg_only_extra = ["--requests", "100", "--warmup", "20", "--bundles", "10"]
            for script in PG_ONLY_BENCHMARKS:
                ok &= run_script(script, script, pg_only_extra if args.quick else [], env)
    finally:
        if not args.keep:
            remove_tree(data_dir)

    print("\n=== Summary of the server benchmarks ===")
    missed = []
    for report in reports:
        load = report.get("load_average", ["?", "?"])
        print(
            f"\n{report['benchmark']} on {report['database']} ({report['patients']} patients, "
            f"{report['workers']} workers, 1-min load average {load[0]} → {load[1]}, "
            f"CPU wait {report.get('cpu_wait_percent')}%, reference work "
            f"{' → '.join(str(r) for r in report.get('reference_work_ms', []))} ms)"
        )
        print(format_table(report["results"]))
        missed += [r for r in report["results"] if r["p95_ms"] >= TARGET_P95_MS]
    if missed:
        print(f"\n{len(missed)} scenario(s) miss the target p95 < {TARGET_P95_MS:g} ms.")
    elif reports:
        print(f"\nEvery scenario meets p95 < {TARGET_P95_MS:g} ms.")
    others = unlisted()
    if others:
        print(f"(not run: {', '.join(others)}; add them to the lists in bench/run_all.py)")
    if not ok:
        return 1
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
