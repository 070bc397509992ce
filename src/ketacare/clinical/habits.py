"""Lifestyle habits: sleep from bed and wake times, weekly goal evaluation, alcohol before dosing.

Habits that sustain a ketamine response (regular sleep, activity, limited alcohol, therapy) are
practice advice, not protocol (shared/reference/clinical.md §17), so every target here comes
from the goal the clinician set with the patient, and the alcohol limit before a dosing day is
a clinic setting. Nothing is guessed: a day with no log is "not logged", never zero, and a goal
whose answer depends on unlogged days is reported as not yet known.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from enum import StrEnum

MINUTES_PER_DAY = 24 * 60


class GoalKind(StrEnum):
    ACTIVE_MINUTES_WEEK_MIN = "active_min_week"  # at least N active minutes in the week
    DRINKS_WEEK_MAX = "drinks_week_max"  # at most N standard drinks in the week
    WAKE_WITHIN_MIN = "wake_within"  # every wake time within N minutes of the usual one
    SLEEP_AVG_MIN = "sleep_avg_min"  # average sleep of at least N minutes a night


GOAL_LABELS = {
    GoalKind.ACTIVE_MINUTES_WEEK_MIN: "Active minutes a week, at least",
    GoalKind.DRINKS_WEEK_MAX: "Standard drinks a week, at most",
    GoalKind.WAKE_WITHIN_MIN: "Wake within … minutes of the usual time, every day",
    GoalKind.SLEEP_AVG_MIN: "Average sleep a night (minutes), at least",
}


@dataclass(frozen=True)
class DayLog:
    """One day as logged (any field None = not logged that day)."""

    day: date
    bed_time: time | None = None
    wake_time: time | None = None
    active_minutes: int | None = None
    drinks: Decimal | None = None
    therapy: bool | None = None

    @property
    def sleep_minutes(self) -> int | None:
        if self.bed_time is None or self.wake_time is None:
            return None
        return sleep_minutes(self.bed_time, self.wake_time)


def sleep_minutes(bed: time, wake: time) -> int:
    """Minutes from going to bed to waking; a bed time after the wake time crosses midnight.

    23:30 → 07:00 is 450; 01:00 → 08:00 is 420. Equal times are refused (a 0 or 24 h night is
    almost always a typing slip)."""
    start = bed.hour * 60 + bed.minute
    end = wake.hour * 60 + wake.minute
    if start == end:
        raise ValueError("wake_time: must differ from the bed time")
    return (end - start) % MINUTES_PER_DAY


def _minute_of_day(t: time) -> int:
    return t.hour * 60 + t.minute


def wake_spread(wakes: Sequence[time]) -> tuple[int, int] | None:
    """(usual wake minute = the median, largest deviation from it in minutes), or None if empty.

    Wake times are compared on the clock, around the median (a 23:50 and a 00:10 wake are 20
    minutes apart)."""
    if not wakes:
        return None
    minutes = sorted(_minute_of_day(t) for t in wakes)
    usual = int(statistics.median_low(minutes))

    def dist(m: int) -> int:
        d = abs(m - usual) % MINUTES_PER_DAY
        return min(d, MINUTES_PER_DAY - d)

    return usual, max(dist(m) for m in minutes)


def fmt_drinks(d: Decimal) -> str:
    """3.0 → "3", 1.50 → "1.5"."""
    return f"{d.normalize():f}"


def fmt_minutes(m: int) -> str:
    return f"{m // 60} h {m % 60:02d} min"


def fmt_clock(m: int) -> str:
    return f"{m // 60:02d}:{m % 60:02d}"


@dataclass(frozen=True)
class WeekSummary:
    start: date
    logged_days: int
    active_minutes: int
    drinks: Decimal | None  # None when no day logged drinks
    drink_days_logged: int
    avg_sleep_minutes: int | None
    usual_wake: int | None  # minute of day
    wake_spread: int | None  # minutes
    therapy_sessions: int

    @property
    def avg_sleep_text(self) -> str:
        return fmt_minutes(self.avg_sleep_minutes) if self.avg_sleep_minutes is not None else "—"


def week_summary(start: date, logs: Sequence[DayLog]) -> WeekSummary:
    """The 7 days from `start` (logs outside them are ignored)."""
    days = [log for log in logs if start <= log.day < start + timedelta(days=7)]
    sleeps = [s for log in days if (s := log.sleep_minutes) is not None]
    wakes = [log.wake_time for log in days if log.wake_time is not None]
    spread = wake_spread(wakes)
    drink_logs = [log.drinks for log in days if log.drinks is not None]
    return WeekSummary(
        start=start,
        logged_days=len(days),
        active_minutes=sum(log.active_minutes or 0 for log in days),
        drinks=sum(drink_logs, Decimal(0)) if drink_logs else None,
        drink_days_logged=len(drink_logs),
        avg_sleep_minutes=round(statistics.fmean(sleeps)) if sleeps else None,
        usual_wake=spread[0] if spread else None,
        wake_spread=spread[1] if spread else None,
        therapy_sessions=sum(1 for log in days if log.therapy),
    )


@dataclass(frozen=True)
class GoalResult:
    kind: GoalKind
    target: int
    met: bool | None  # None: not known yet (too few days logged)
    value: str  # what was measured, in words
    reasons: tuple[str, ...]


def evaluate_goal(
    kind: GoalKind | str, target: int, week: WeekSummary, *, complete: bool = True
) -> GoalResult:
    """Is the goal met in this week? `complete` = the week is over (else "on track" rules).

    Unlogged days are unknown: an activity total that has not reached the target yet is
    "not met" only once the week is over; a drinks total under the limit is "met" only when
    every day of the finished week was logged.
    """
    kind = GoalKind(kind)
    if target < 0:
        raise ValueError("target: must be 0 or more")
    logged = f"{week.logged_days} of 7 days logged"
    if kind is GoalKind.ACTIVE_MINUTES_WEEK_MIN:
        value = f"{week.active_minutes} active minutes ({logged})"
        if week.active_minutes >= target:
            return GoalResult(kind, target, True, value, (f"Reached ≥{target} minutes.",))
        if not complete:
            return GoalResult(
                kind, target, None, value, (f"Week not over; {target} minutes is the target.",)
            )
        if week.logged_days == 0:  # a blank day is "not logged", never zero minutes
            return GoalResult(
                kind, target, None, "nothing logged", ("Not known: no day of the week logged.",)
            )
        return GoalResult(kind, target, False, value, (f"Below the {target}-minute target.",))
    if kind is GoalKind.DRINKS_WEEK_MAX:
        total = week.drinks
        value = (
            "no drinks logged"
            if total is None
            else f"{fmt_drinks(total)} standard drinks ({week.drink_days_logged} of 7 days logged)"
        )
        if total is not None and total > target:
            return GoalResult(kind, target, False, value, (f"Above the limit of {target}.",))
        if complete and week.drink_days_logged == 7:
            return GoalResult(kind, target, True, value, (f"Within the limit of {target}.",))
        return GoalResult(
            kind,
            target,
            None,
            value,
            ("Not known: some days have no drinks logged, so the total may be higher.",),
        )
    if kind is GoalKind.WAKE_WITHIN_MIN:
        if week.wake_spread is None or week.usual_wake is None or week.logged_days < 2:
            return GoalResult(
                kind, target, None, "fewer than 2 wake times", ("Too few wake times logged.",)
            )
        value = (
            f"usual wake {fmt_clock(week.usual_wake)}, furthest {week.wake_spread} min away "
            f"({logged})"
        )
        met = week.wake_spread <= target
        why = "Every logged wake time" if met else "Not every logged wake time"
        return GoalResult(
            kind, target, met, value, (f"{why} is within {target} minutes of the usual one.",)
        )
    # SLEEP_AVG_MIN
    if week.avg_sleep_minutes is None:
        return GoalResult(kind, target, None, "no nights logged", ("No sleep logged.",))
    value = f"average {fmt_minutes(week.avg_sleep_minutes)} a night ({logged})"
    met = week.avg_sleep_minutes >= target
    return GoalResult(
        kind,
        target,
        met,
        value,
        (f"Average {'at or above' if met else 'below'} {fmt_minutes(target)}.",),
    )


@dataclass(frozen=True)
class AlcoholCheck:
    ok: bool
    drinks: Decimal
    days: tuple[date, ...]
    reasons: tuple[str, ...]


def alcohol_before_dosing(
    drinks_by_day: Mapping[date, Decimal],
    dosing_day: date,
    limit: Decimal,
    window_days: int,
) -> AlcoholCheck:
    """Drinks logged in the `window_days` days before `dosing_day` and on it, against `limit`.

    The limit and window are clinic settings: the reference only records that one NHS service
    excludes patients who cannot abstain from alcohol for 24 hours (clinical.md §17, P4), so a
    limit of 0 drinks over 1 day before is the suggested default. Days with nothing logged are
    not counted as zero; the check says so.
    """
    if window_days < 0:
        raise ValueError("window_days: must be 0 or more")
    if limit < 0:
        raise ValueError("limit: must be 0 or more")
    days = tuple(dosing_day - timedelta(days=n) for n in range(window_days, -1, -1))
    logged = [d for d in days if d in drinks_by_day]
    total = sum((drinks_by_day[d] for d in logged), Decimal(0))
    span = f"{days[0].isoformat()} to {dosing_day.isoformat()}"
    basis = (
        f"Limit {fmt_drinks(limit)} standard drink(s) from {window_days} day(s) before dosing "
        "(clinic setting; an NHS service asks for 24 h without alcohol, clinical.md §17)."
    )
    if total > limit:
        heavy = ", ".join(f"{d.isoformat()}: {fmt_drinks(drinks_by_day[d])}" for d in logged)
        return AlcoholCheck(
            False,
            total,
            days,
            (f"{fmt_drinks(total)} standard drinks logged {span} ({heavy}).", basis),
        )
    unlogged = len(days) - len(logged)
    note = f" {unlogged} day(s) not logged: ask the patient." if unlogged else ""
    return AlcoholCheck(
        True, total, days, (f"{fmt_drinks(total)} standard drinks logged {span}.{note}", basis)
    )
