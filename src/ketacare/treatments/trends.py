"""Trend arrows for the chair board: each latest value against the previous reading of the
same measure. Within the tolerance it is steady (→), so monitor noise does not flicker.

The tolerances are display choices, not clinical thresholds (no alert depends on them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

UP, DOWN, STEADY = "↑", "↓", "→"

# Below these differences a change is shown as steady (typical monitor repeatability).
TOLERANCE: dict[str, int] = {
    "systolic_mmhg": 5,
    "diastolic_mmhg": 5,
    "heart_rate_bpm": 5,
    "spo2_pct": 1,
    "resp_rate_per_min": 2,
    "moaas": 0,
    "cadss6": 0,
}
WORDS = {UP: "rising", DOWN: "falling", STEADY: "steady"}


@dataclass(frozen=True)
class Trend:
    field: str
    value: int
    previous: int | None
    arrow: str  # "" when there is nothing to compare with

    @property
    def words(self) -> str:
        return WORDS.get(self.arrow, "")


def arrow(value: int, previous: int | None, tolerance: int) -> str:
    if previous is None:
        return ""
    if value - previous > tolerance:
        return UP
    if previous - value > tolerance:
        return DOWN
    return STEADY


def trends(readings: Sequence[Any]) -> dict[str, Trend]:
    """For each measure with a value: its latest value and arrow (readings oldest first)."""
    out: dict[str, Trend] = {}
    for name, tolerance in TOLERANCE.items():
        values = [getattr(r, name) for r in readings if getattr(r, name) is not None]
        if not values:
            continue
        previous = values[-2] if len(values) > 1 else None
        out[name] = Trend(name, values[-1], previous, arrow(values[-1], previous, tolerance))
    return out
