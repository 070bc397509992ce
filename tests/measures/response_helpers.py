"""Shared by the response-rules tests: the page, its form at the library defaults, and a PHQ-9
with a given total."""

from __future__ import annotations

from ketacare.accounts.audit import Actor

PAGE = "/measures/response-rules/"
SETUP = Actor(label="test-setup")
DEFAULT_FORM = {
    "remission__phq9": "4",
    "remission__madrs": "10",
    "remission__qids_sr16": "5",
    "partial_response_pct": "30",
    "relapse_consecutive": "1",
    "baseline_lookback_days": "28",
}


def phq9(total: int) -> dict[str, int]:
    """PHQ-9 answers adding up to `total` (items 1-8 filled first, item 9 = 0)."""
    values = []
    for _ in range(8):
        values.append(min(3, total))
        total -= values[-1]
    return {f"phq9-{i + 1}": v for i, v in enumerate([*values, 0])}
