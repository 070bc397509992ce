"""Is an IV infusion complete? How long the pump has run (pauses excluded), how much of the
planned time's worth of drug that is at the rates recorded, and whether "infusion stopped now"
may record the whole dose as given.

Plain Python: the caller passes the start, the planned minutes and the pauses, resumes and rate
changes in order. An infusion ended clearly before its planned time is not complete: the amount
actually given must be typed from the pump ("Stop dosing early"), never assumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# How early an infusion may end and still count as the whole dose: by default the last 10 % of
# the planned time, but never less than 3 minutes. No source gives a number [PRACTICE]: pumps and
# hand-set rates finish a few minutes either side of the plan, and a dose within ~10 % is what a
# clinician records as "given as planned"; anything earlier is a stop whose amount comes from
# the pump. Each clinic sets both (treatments.limits: "infusion_early_end_pct",
# "infusion_early_end_min"); these are the defaults.
EARLY_END_PCT = 10
EARLY_END_MIN_MINUTES = 3


@dataclass(frozen=True)
class InfusionChange:
    """One pause, resume or rate change (`kind`: "pause", "resume", "rate"), in pump mL/h."""

    kind: str
    at: datetime
    rate_ml_per_h: Decimal | None = None


@dataclass(frozen=True)
class InfusionEnd:
    complete: bool
    planned_min: int
    running_min: float  # the pump ran this long (pauses excluded)
    paused_min: float
    # The running time weighted by the rate against the planned rate: the planned minutes'
    # worth of drug given so far (equal to `running_min` when the rate never changed or the
    # planned rate is unknown).
    equivalent_min: float
    rate_changed: bool
    earliest_complete_min: float
    reasons: tuple[str, ...]


def early_end_allowance(
    planned_min: int, pct: int = EARLY_END_PCT, min_minutes: int = EARLY_END_MIN_MINUTES
) -> float:
    """Minutes before the planned end that still count as complete: `pct` % of the planned
    time, but at least `min_minutes`."""
    return max(float(min_minutes), pct / 100 * planned_min)


def judge_infusion_end(
    *,
    started_at: datetime,
    now: datetime,
    planned_min: int,
    changes: Sequence[InfusionChange] = (),
    planned_rate_ml_per_h: Decimal | None = None,
    early_end_pct: int = EARLY_END_PCT,
    early_end_min: int = EARLY_END_MIN_MINUTES,
) -> InfusionEnd:
    """Whether an infusion started at `started_at` and planned to run `planned_min` minutes may
    be recorded as complete at `now`. Pauses do not count as running time; with the planned
    rate known, a changed rate counts in proportion (twice the rate for 10 min = 20 min)."""
    running = paused = equivalent = 0.0
    ratio = 1.0
    rate_changed = False
    mark = started_at
    is_paused = False
    for change in sorted(changes, key=lambda c: c.at):
        at = min(max(change.at, started_at), now)
        span = (at - mark).total_seconds() / 60
        if is_paused:
            paused += span
        else:
            running += span
            equivalent += span * ratio
        mark = at
        if change.kind == "pause":
            is_paused = True
        elif change.kind == "resume":
            is_paused = False
        if change.kind in ("rate", "resume") and change.rate_ml_per_h is not None:
            rate_changed = True
            if planned_rate_ml_per_h:
                ratio = float(change.rate_ml_per_h / planned_rate_ml_per_h)
    span = max((now - mark).total_seconds() / 60, 0.0)
    if is_paused:
        paused += span
    else:
        running += span
        equivalent += span * ratio
    earliest = planned_min - early_end_allowance(planned_min, early_end_pct, early_end_min)
    complete = equivalent >= earliest
    reasons: tuple[str, ...] = ()
    if not complete:
        worth = (
            f", at the rates recorded {equivalent:.0f} min's worth,"
            if rate_changed and planned_rate_ml_per_h
            else ""
        )
        reasons = (
            f"The infusion has run {running:.0f} of its planned {planned_min} min"
            f"{' (pauses excluded)' if paused >= 0.5 else ''}{worth} and is not complete "
            f"(complete from {earliest:.0f} min).",
        )
    return InfusionEnd(
        complete=complete,
        planned_min=planned_min,
        running_min=running,
        paused_min=paused,
        equivalent_min=equivalent,
        rate_changed=rate_changed,
        earliest_complete_min=earliest,
        reasons=reasons,
    )
