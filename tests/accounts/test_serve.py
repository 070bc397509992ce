"""`ketacare serve` starts the production server; its access log never shows query strings."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_answers_health_checks_and_logs_paths_without_queries(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "KETACARE_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
    }
    run = [sys.executable, "-m", "ketacare"]
    subprocess.run([*run, "migrate", "-v0"], env=env, check=True, timeout=120)  # noqa: S603
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603
        [*run, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        url = f"http://127.0.0.1:{port}/accounts/login/?name=Lovelace"
        with urllib.request.urlopen(url, timeout=5) as r:
            assert r.status == 200 and b"Sign in" in r.read()
        # An unknown link answers with a friendly error page (an HTTP error status).
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/r/SECRET-TOKEN-123/", timeout=5)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert "GET /accounts/login/" in output
    assert "Lovelace" not in output
    assert "SECRET-TOKEN-123" not in output and "/r/…" in output
