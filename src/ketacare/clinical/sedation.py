"""When MOAA/S (sedation) and CADSS-6 (dissociation) are scored during a session, and which
timepoint is due now.

Sources: shared/reference/clinical.md §10 ("record CADSS/MOAA/S before dosing, around peak
(~40 min) and before discharge" [PRACTICE, aligned with the label's BP timing]), §6b (BP and
effects peak ~40 min after esketamine [LABEL] S4, S3), §7e (racemic IV: SBP/DBP peak at 40 min
[EVIDENCE] S37); instruments.md §8 (CADSS-6: items 1, 2, 6, 7, 15, 22 of the CADSS, 0-24; no
bands: report the raw score and the change from pre-dose). MOAA/S 0-5 (§10, [LABEL] S3).

The windows around the timepoints are not in any source: they are display defaults
[PRACTICE] — "around 40 min" is taken as 30-60 min, "before discharge" as from 30 min before
the minimum observation time is reached (on the observation clock) or later.

    points = timepoints(pre_dose_done=True, scored_at_min=[38], minutes_now=70,
                        min_observation_min=120)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

PEAK_MIN = 40  # clinical.md §10, §6b [LABEL] S4, §7e [EVIDENCE] S37
PEAK_WINDOW_MIN = (30, 60)  # [PRACTICE] display default
PRE_DISCHARGE_WINDOW_MIN = 30  # [PRACTICE] display default
CADSS6_ITEMS = (1, 2, 6, 7, 15, 22)  # instruments.md §8 (Rodrigues 2021)
CADSS6_MAX = 4 * len(CADSS6_ITEMS)  # each item 0-4 → 0-24


class Status(StrEnum):
    DONE = "done"
    DUE = "due"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"
    # The session has ended (discharged, transferred out, aborted) without this score: a fact
    # of the record, no longer a prompt.
    NOT_SCORED = "not_scored"


@dataclass(frozen=True)
class Timepoint:
    code: str
    label: str
    status: Status
    detail: str


def cadss6_total(items: dict[int, int]) -> int:
    """Sum of the six CADSS-6 items (each 0-4); raises ValueError naming the item at fault."""
    missing = [i for i in CADSS6_ITEMS if i not in items]
    if missing:
        raise ValueError(f"cadss_{missing[0]}: every CADSS-6 item needs a rating")
    for number in CADSS6_ITEMS:
        value = items[number]
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 4:
            raise ValueError(f"cadss_{number}: rate 0 (not at all) to 4 (extremely)")
    return sum(items[i] for i in CADSS6_ITEMS)


def timepoints(
    *,
    pre_dose_done: bool,
    scored_at_min: Sequence[float],
    minutes_now: float | None,
    min_observation_min: int,
    scored_observed_min: Sequence[float] | None = None,
    observed_now: float | None = None,
    ended: bool = False,
) -> tuple[Timepoint, ...]:
    """The three timepoints and their status. `scored_at_min`: minutes from the first dose of
    each reading that has both scores; `minutes_now`: None before the first dose. The
    pre-discharge timepoint runs on the observation clock (`scored_observed_min`,
    `observed_now`: minutes from its start; for esketamine the same as from the first dose, for
    an infusion from its end) and defaults to the first-dose figures. Once the session has
    `ended`, a timepoint not scored is `NOT_SCORED`, never due or upcoming."""
    if scored_observed_min is None:
        scored_observed_min, observed_now = scored_at_min, minutes_now
    low, high = PEAK_WINDOW_MIN
    pre = Timepoint(
        "pre_dose",
        "Pre-dose",
        Status.DONE if pre_dose_done else Status.DUE,
        "MOAA/S and CADSS-6 with the pre-dose vitals (clinical.md §10).",
    )
    if any(low <= m <= high for m in scored_at_min):
        peak_status = Status.DONE
    elif minutes_now is None or minutes_now < low:
        peak_status = Status.UPCOMING
    elif minutes_now <= high:
        peak_status = Status.DUE
    else:
        peak_status = Status.OVERDUE
    peak = Timepoint(
        "peak",
        f"~{PEAK_MIN} min",
        peak_status,
        f"Around the peak, {low}–{high} min after the first dose (clinical.md §10, §6b).",
    )
    opens = max(0, min_observation_min - PRE_DISCHARGE_WINDOW_MIN)
    if any(m >= opens for m in scored_observed_min):
        end_status = Status.DONE
    elif observed_now is None or observed_now < opens:
        end_status = Status.UPCOMING
    else:
        end_status = Status.DUE
    end = Timepoint(
        "pre_discharge",
        "Pre-discharge",
        end_status,
        f"From {opens} min after the first dose, before the patient leaves (clinical.md §10, §6c).",
    )
    points: tuple[Timepoint, ...] = (pre, peak, end)
    if ended:
        points = tuple(
            t
            if t.status is Status.DONE
            else Timepoint(t.code, t.label, Status.NOT_SCORED, t.detail)
            for t in points
        )
    return points
