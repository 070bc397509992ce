"""Text-message backends for tests: one that records, one that fails (set by settings)."""

from __future__ import annotations

import threading
from typing import ClassVar


class RecordingSmsBackend:
    sent: ClassVar[list[tuple[str, str]]] = []

    def send(self, to: str, body: str) -> None:
        self.sent.append((to, body))


class FailingSmsBackend:
    calls: ClassVar[int] = 0

    def send(self, to: str, body: str) -> None:
        FailingSmsBackend.calls += 1
        raise ConnectionError("gateway unreachable")


class HangingSmsBackend:
    """A gateway class with no timeout of its own whose call never returns (until released)."""

    release: ClassVar[threading.Event] = threading.Event()

    def send(self, to: str, body: str) -> None:
        HangingSmsBackend.release.wait(10)
