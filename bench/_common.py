"""Shared helpers for the benchmarks: an HTTP client, the server, the databases, statistics.

Standard library only (plus psycopg and dj-database-url, which KetaCare already depends on),
so the benchmarks add nothing to pyproject.toml. Everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
HOST = "127.0.0.1"
# The only PostgreSQL database the benchmarks ever create, fill or drop.
BENCH_PG_DB = "ketacare_bench"
DEFAULT_PG_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_PG_DB}"
TARGET_P95_MS = 50.0


# --- Commands -------------------------------------------------------------------------------


def ketacare(args: Sequence[str], env: dict[str, str], *, timeout: float = 900) -> str:
    """Run `ketacare ARGS` (as `python -m ketacare`) and return its stdout; fail loudly."""
    done = subprocess.run(  # noqa: S603  (our own command, arguments from this script)
        [sys.executable, "-m", "ketacare", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise RuntimeError(f"ketacare {' '.join(args[:2])} failed (exit {done.returncode})")
    return done.stdout


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    """The environment for every ketacare process: our database, our data folder, no HTTPS."""
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": database_url,
            "KETACARE_DATA_DIR": str(data_dir),
            "KETACARE_DEBUG": "false",
            "KETACARE_HTTPS": "false",
            "KETACARE_ALLOWED_HOSTS": f"{HOST},localhost",
            "KETACARE_LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.pop("KETACARE_WORKERS", None)
    env.pop("KETACARE_THREADS", None)
    return env


# --- The server -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _healthy(port: int, path: str = "/healthz") -> bool:
    """Whether the server on `port` answers 200 to GET `path`."""
    conn = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        conn.request("GET", path)
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@contextmanager
def running_server(
    env: dict[str, str], log_path: Path, *, workers: int, threads: int, startup_timeout: float = 60
) -> Iterator[int]:
    """Start `ketacare serve` (gunicorn) on a free loopback port; yield the port; stop it."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "ketacare",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--no-access-log",
    ]
    with log_path.open("wb") as log:
        # Its own session (process group), so stopping it can never reach anything else.
        proc = subprocess.Popen(  # noqa: S603  (our own command, fixed arguments)
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + startup_timeout
            while not _healthy(port):
                if proc.poll() is not None:
                    raise RuntimeError(f"the server exited early:\n{_tail(log_path)}")
                if time.monotonic() > deadline:
                    waited = f"{startup_timeout:.0f}s"
                    raise RuntimeError(f"no /healthz after {waited}:\n{_tail(log_path)}")
                time.sleep(0.2)
            yield port
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)  # gunicorn: graceful shutdown of master and workers
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # the group we created for this server only
        proc.wait(timeout=10)


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


# --- HTTP client ----------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def location(self) -> str:
        target = urlsplit(self.headers.get("Location", ""))
        return urlunsplit(("", "", target.path or "/", target.query, ""))


@dataclass
class Client:
    """A keep-alive HTTP/1.1 client with a cookie jar, like one browser tab (http.client)."""

    port: int
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    timeout: float = 30
    _conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post_form(self, path: str, data: dict[str, str]) -> Response:
        body = urlencode({**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-CSRFToken": self.cookies.get("csrftoken", ""),
        }
        return self.request("POST", path, body=body.encode(), headers=headers)

    def post_json(self, path: str, payload: Any) -> Response:
        body = json.dumps(payload).encode()
        return self.request("POST", path, body=body, headers={"Content-Type": "application/json"})

    def follow(self, response: Response) -> Response:
        """GET the Location of a redirect, as a browser does after a POST."""
        if response.status not in {301, 302, 303}:
            raise AssertionError(f"expected a redirect, got {response.status}")
        return self.get(response.location)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = {"Host": f"{HOST}:{self.port}", **self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            try:
                self._conn.request(method, path, body=body, headers=sent)
                raw = self._conn.getresponse()
                data = raw.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection; reconnect once.
                self.close()
                if attempt == 2:
                    raise
        if raw.will_close:
            self.close()
        self._store_cookies(raw.headers)
        return Response(raw.status, raw.headers, data)

    def _store_cookies(self, headers: http.client.HTTPMessage) -> None:
        for header in headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(header)
            for name, morsel in jar.items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value


# --- PostgreSQL -----------------------------------------------------------------------------


def bench_pg_url(url: str | None) -> str:
    """The server from URL (or the default), always with the database `ketacare_bench`.

    The benchmark fills and may drop its database, so it never uses the database named in
    DATABASE_URL, which may be a developer's own.
    """
    parts = urlsplit(url or DEFAULT_PG_URL)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        parts = urlsplit(DEFAULT_PG_URL)
    return urlunsplit((parts.scheme, parts.netloc, f"/{BENCH_PG_DB}", parts.query, ""))


def _pg_admin_connect(url: str) -> Any:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    return psycopg.connect(
        host=config.get("HOST") or HOST,
        port=int(config.get("PORT") or 5432),
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        connect_timeout=3,
        autocommit=True,
    )


def pg_reachable(url: str) -> tuple[bool, str]:
    try:
        with _pg_admin_connect(url) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
        return True, f"PostgreSQL {version}"
    except Exception as problem:  # any failure means "not reachable"
        return False, str(problem).strip().splitlines()[0] if str(problem) else repr(problem)


def pg_create_bench_db(url: str) -> bool:
    """Create `ketacare_bench` when missing. Returns True when it was created."""
    from psycopg import sql

    with _pg_admin_connect(url) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_PG_DB])
        if exists.fetchone():
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_PG_DB)))
        return True


def pg_drop_bench_db(url: str) -> None:
    """Drop `ketacare_bench` (and only it)."""
    from psycopg import sql

    with _pg_admin_connect(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_PG_DB))
        )


def pg_vacuum_analyze(url: str) -> None:
    """VACUUM ANALYZE `ketacare_bench` after the bulk load.

    A live database has planner statistics and a visibility map because autovacuum keeps
    them; a freshly bulk-loaded one has neither until autovacuum wakes up, which it would do
    at a random moment in the middle of the measurements.
    """
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    if config.get("NAME") != BENCH_PG_DB:
        raise ValueError(f"refusing to touch a database other than {BENCH_PG_DB}")
    with psycopg.connect(
        host=config.get("HOST") or HOST,
        port=int(config.get("PORT") or 5432),
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        dbname=BENCH_PG_DB,
        connect_timeout=3,
        autocommit=True,
    ) as conn:
        conn.execute("VACUUM (ANALYZE)")


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# --- Noise on the machine ------------------------------------------------------------------


class CpuContention:
    """Share of wall time in which some task waited for a CPU (Linux PSI), over a span.

    Other work on the machine (a test suite, a browser) inflates latencies; this figure says
    how much of that there was while measuring. None where /proc/pressure is unavailable.
    """

    def __init__(self) -> None:
        self._start = (time.monotonic(), self._stalled_us())

    @staticmethod
    def _stalled_us() -> int | None:
        try:
            line = Path("/proc/pressure/cpu").read_text().splitlines()[0]
        except (OSError, IndexError):
            return None
        return int(line.rsplit("total=", 1)[1])

    def percent(self) -> float | None:
        started, stalled = self._start
        now = self._stalled_us()
        if stalled is None or now is None:
            return None
        return 100 * (now - stalled) / 1e6 / max(time.monotonic() - started, 1e-9)


def cpu_reference_ms(rounds: int = 7) -> float:
    """Median time of a fixed piece of pure-Python work: how fast this machine is right now.

    Compare it between runs: when it is clearly higher than usual, something (another
    virtual machine on the host, a busy neighbour process) is slowing everything down, even
    when the CPU-wait figure above does not show it.
    """
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        total = 0
        for i in range(200_000):
            total += i * i
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


# --- Statistics -----------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    samples_ms: list[float]
    requests_per_sample: int = 1

    @property
    def n(self) -> int:
        return len(self.samples_ms)

    def percentile(self, p: int) -> float:
        if self.n == 1:
            return self.samples_ms[0]
        return statistics.quantiles(self.samples_ms, n=100, method="inclusive")[p - 1]

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        return self.percentile(95)

    def summary(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "n": self.n,
            "requests": self.requests_per_sample,
            "median_ms": round(self.median, 2),
            "p95_ms": round(self.p95, 2),
            "p99_ms": round(self.percentile(99), 2),
            "max_ms": round(max(self.samples_ms), 2),
        }


def format_table(rows: list[dict[str, Any]], target_ms: float = TARGET_P95_MS) -> str:
    header = (
        f"{'scenario':<44} {'n':>4} {'median':>8} {'p95':>8} {'p99':>8} {'max':>8}"
        f"  p95<{target_ms:g}"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        verdict = "yes" if row["p95_ms"] < target_ms else "NO"
        lines.append(
            f"{row['scenario']:<44} {row['n']:>4} {row['median_ms']:>8.1f} {row['p95_ms']:>8.1f}"
            f" {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f}  {verdict}"
        )
    lines.append("(milliseconds per sample; a search sample is POST + redirect + GET)")
    return "\n".join(lines)
