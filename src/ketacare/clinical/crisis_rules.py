"""Crisis workflow rules: when dosing is blocked, the follow-up window, what a close-out needs,
and when a safety plan is due for review. Pure Python, no Django.

Sources:
- shared/reference/clinical.md §16b: high/imminent C-SSRS risk → patient-safety precautions
  ("do not leave alone, remove means") until a mental-health professional evaluates for possible
  hospitalization [GUIDELINE S50]; "a high-risk C-SSRS result should **block dosing that day**,
  open a crisis workflow, and page the on-call prescriber" [PRACTICE].
- Issue #7 item 4: disposition "outpatient with safety plan and follow-up within 24–72 h"
  (a practice rule of this product, not in shared/reference: `CrisisRules` holds it so a clinic
  can change it).
- shared/reference/clinical.md §16c: Stanley–Brown safety plan, "review periodically (one guide
  suggests every 30–90 days for chronic ideation)" [PRACTICE S51] → default review after 30 days,
  a review date at most 90 days ahead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum


class Disposition(StrEnum):
    EMERGENCY_TRANSFER = "emergency_transfer"
    VOLUNTARY_ADMISSION = "voluntary_admission"
    OUTPATIENT = "outpatient"


class Step(StrEnum):
    STAY = "stay"  # someone stays with the patient
    MEANS = "means"  # means restriction
    EVALUATION = "evaluation"  # clinician evaluation (C-SSRS)
    DISPOSITION = "disposition"
    CONTACT = "contact"  # contacts made (repeatable)
    CLOSE = "close"
    ADDENDUM = "addendum"


# A close-out needs each of these (contacts are recorded when made; none may be needed).
REQUIRED_BEFORE_CLOSE: tuple[Step, ...] = (Step.STAY, Step.MEANS, Step.EVALUATION, Step.DISPOSITION)


@dataclass(frozen=True)
class CrisisRules:
    """Defaults a clinic may change. Hours are measured from the disposition."""

    follow_up_min_hours: int = 24  # issue #7 item 4 [PRACTICE]
    follow_up_max_hours: int = 72  # issue #7 item 4 [PRACTICE]
    # Emergency transfer and voluntary admission carry no follow-up window in the issue or in
    # shared/reference (the follow-up after a discharge may be weeks away): a data-entry check
    # that catches a mistyped year, not a clinical number.
    other_follow_up_max_days: int = 365
    plan_review_days: int = 30  # clinical.md §16c: 30–90 days [PRACTICE S51]
    plan_review_max_days: int = 90  # clinical.md §16c: "every 30–90 days" [PRACTICE S51]


@dataclass(frozen=True)
class Decision:
    ok: bool
    reasons: tuple[str, ...] = ()


def _minute(moment: datetime) -> datetime:
    """The minute a form takes and a message names (the seconds dropped)."""
    return moment.replace(second=0, microsecond=0)


def _window(
    decided_at: datetime, start: timedelta, end: timedelta
) -> tuple[datetime, datetime, str]:
    """The allowed follow-up times, `start` to `end` of real time after the decision's minute:
    the two ends in UTC (compared as real time) and their text on the decision's clock.

    The ends are whole minutes, so a follow-up typed at the minute the message names is
    inside; the follow-up itself is never converted (a year-9999 time has no UTC value:
    comparing across zones needs none)."""
    decided = _minute(decided_at.astimezone(UTC))
    first, last = decided + start, decided + end
    zone = decided_at.tzinfo
    named = (
        f"between {first.astimezone(zone):%Y-%m-%d %H:%M} and "
        f"{last.astimezone(zone):%Y-%m-%d %H:%M}"
    )
    return first, last, named


def _inside(follow_up_at: datetime, first: datetime, last: datetime) -> bool:
    # `first` and `last` are in UTC: a follow-up in another zone is compared as real time;
    # one in UTC on UTC's wall clock, which is real time too.
    return first <= _minute(follow_up_at) <= last


def follow_up_check(
    decided_at: datetime, follow_up_at: datetime | None, rules: CrisisRules = CrisisRules()
) -> Decision:
    """An outpatient disposition needs a follow-up 24–72 h after the decision.

    Hours of real time: they are added in UTC and the window is named in `decided_at`'s zone
    (the clinic's). Python adds a timedelta to an aware datetime on the wall clock, and
    compares two datetimes of one zone on it too, so across a daylight-saving change "72 h"
    would have let a follow-up 73 real hours out through (and refused one 24.5 h out).
    Compared to the minute (the form takes minutes): the window runs from the decision's
    minute, so both minutes the refusal names are accepted."""
    if follow_up_at is None:
        return Decision(False, ("An outpatient disposition needs a follow-up date and time.",))
    first, last, named = _window(
        decided_at,
        timedelta(hours=rules.follow_up_min_hours),
        timedelta(hours=rules.follow_up_max_hours),
    )
    if not _inside(follow_up_at, first, last):
        return Decision(
            False,
            (
                f"The follow-up must be {rules.follow_up_min_hours}–{rules.follow_up_max_hours} "
                f"hours after the disposition ({named}).",
            ),
        )
    return Decision(True)


def other_follow_up_check(
    decided_at: datetime, follow_up_at: datetime | None, rules: CrisisRules = CrisisRules()
) -> Decision:
    """An emergency transfer or a voluntary admission may name a follow-up (none is needed):
    not before the disposition, and within `other_follow_up_max_days` of it."""
    if follow_up_at is None:
        return Decision(True)
    first, last, named = _window(
        decided_at, timedelta(0), timedelta(days=rules.other_follow_up_max_days)
    )
    if not _inside(follow_up_at, first, last):
        return Decision(
            False,
            (
                "The follow-up must be at or after the disposition and within "
                f"{rules.other_follow_up_max_days} days of it ({named}).",
            ),
        )
    return Decision(True)


def disposition_follow_up_check(
    disposition: str,
    decided_at: datetime,
    follow_up_at: datetime | None,
    rules: CrisisRules = CrisisRules(),
) -> Decision:
    """The follow-up rule of a disposition: outpatient's window, or the other dispositions'."""
    if disposition == Disposition.OUTPATIENT:
        return follow_up_check(decided_at, follow_up_at, rules)
    return other_follow_up_check(decided_at, follow_up_at, rules)


# Steps that must postdate the last high-risk flag that joined an open record: a disclosure
# made after the evaluation and the disposition was weighed by neither (clinical.md §16b:
# precautions "until a mental-health professional evaluates"). Product decision of this
# review; the reference is silent on a second disclosure within one crisis.
REDO_AFTER_NEW_FLAG: tuple[Step, ...] = (Step.EVALUATION, Step.DISPOSITION)

_LABELS = {
    Step.STAY: "who stayed with the patient",
    Step.MEANS: "means restriction",
    Step.EVALUATION: "the clinician evaluation",
    Step.DISPOSITION: "the disposition",
}


def outdated_by_new_flag(
    latest: dict[str, datetime], last_flag_at: datetime | None
) -> tuple[str, ...]:
    """The steps of `REDO_AFTER_NEW_FLAG` whose latest record happened (`latest`: kind → when
    it happened) before `last_flag_at`, the time the last high-risk flag joined the record.
    Times are compared to the minute (the forms take minutes)."""
    if last_flag_at is None:
        return ()
    since = last_flag_at.replace(second=0, microsecond=0)
    return tuple(s.value for s in REDO_AFTER_NEW_FLAG if s in latest and latest[s] < since)


def close_check(
    done: set[str],
    summary: str,
    *,
    disposition: str = "",
    plan_in_crisis: bool = True,
    outdated: tuple[str, ...] = (),
    last_flag_at: datetime | None = None,
    summary_documented: bool = True,
) -> Decision:
    """What is missing before a crisis record may be closed. An outpatient disposition is
    "outpatient with safety plan" (issue #7 item 4; Stanley–Brown, clinical.md §16c, S51): the
    patient's safety plan must have been written or reviewed with them since the record
    opened (`plan_in_crisis`), not merely exist from months before. `outdated`: steps done
    before a high-risk flag joined the record at `last_flag_at` (`outdated_by_new_flag`).
    `summary_documented`: the summary meets the documented-reason floor ("done" does not)."""
    missing = [f"Record {_LABELS[s]} first." for s in REQUIRED_BEFORE_CLOSE if s not in done]
    for step in outdated:
        when = f" at {last_flag_at:%Y-%m-%d %H:%M}" if last_flag_at is not None else ""
        missing.append(
            f"A new high-risk flag joined this record{when}, after {_LABELS[Step(step)]} was "
            f"done: record {_LABELS[Step(step)]} again, taking the new flag into account."
        )
    if disposition == Disposition.OUTPATIENT and not plan_in_crisis:
        missing.append(
            "An outpatient disposition needs the safety plan written or reviewed with the "
            "patient during this crisis: save it before closing."
        )
    if not summary.strip():
        missing.append("Write the close-out summary.")
    elif not summary_documented:  # the project's floor for a documented reason (core.reasons)
        missing.append(
            "Write the close-out summary in a few words (at least 2 words and 10 characters): "
            "what happened, the disposition and the follow-up."
        )
    return Decision(not missing, tuple(missing))


def dosing_block(blocked_on: date, cleared: bool, today: date) -> Decision:
    """A block stops dosing on the day it was raised whatever happens (clinical.md §16b: "block
    dosing that day"), and on later days until a prescriber clears it."""
    if today <= blocked_on:
        return Decision(
            False,
            (f"Dosing is blocked for the rest of {blocked_on:%Y-%m-%d} after a high-risk flag.",),
        )
    if not cleared:
        return Decision(
            False,
            (
                f"Dosing has been blocked since {blocked_on:%Y-%m-%d}: a prescriber must clear "
                "it with a documented reason.",
            ),
        )
    return Decision(True)


def review_due_on(made_on: date, rules: CrisisRules = CrisisRules()) -> date:
    """The default review date of a new safety plan version."""
    return made_on + timedelta(days=rules.plan_review_days)


def review_date_check(made_on: date, due: date, rules: CrisisRules = CrisisRules()) -> Decision:
    """A safety plan's review date: after the day it is saved (`made_on`, the clinic's date),
    and at most `plan_review_max_days` later (clinical.md §16c: review every 30–90 days,
    [PRACTICE S51]); a date years ahead would never bring the review reminder."""
    latest = made_on + timedelta(days=rules.plan_review_max_days)
    if due <= made_on:
        return Decision(False, ("The review date must be after today.",))
    if due > latest:
        return Decision(
            False,
            (
                f"The review date must be within {rules.plan_review_max_days} days "
                f"(by {latest:%Y-%m-%d}): clinical.md §16c, review the safety plan every "
                "30–90 days.",
            ),
        )
    return Decision(True)
