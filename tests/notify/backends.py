"""Text-message backends for tests: one that records, one that fails (set by settings)."""

from __future__ import annotations

from collections.abc import Callable
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


class HangingThenFailingSmsBackend:
    """The first send hangs past the sending timeout (meanwhile `during` runs: the sweep and
    another worker), then fails; later sends succeed."""

    sent: ClassVar[list[tuple[str, str]]] = []
    during: ClassVar[list[Callable[[], object]]] = []

    def send(self, to: str, body: str) -> None:
        if HangingThenFailingSmsBackend.during:
            HangingThenFailingSmsBackend.during.pop()()
            raise TimeoutError("gateway timed out")
        self.sent.append((to, body))
