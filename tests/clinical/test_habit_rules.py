"""Pure habit rules: sleep duration, wake regularity, weekly goals, alcohol before dosing."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest

from ketacare.clinical.habits import (
    DayLog,
    GoalKind,
    alcohol_before_dosing,
    evaluate_goal,
    sleep_minutes,
    wake_spread,
    week_summary,
)

MON = date(2026, 3, 2)


def week(**per_day: object) -> list[DayLog]:
    return [DayLog(MON + timedelta(days=i), **per_day) for i in range(7)]  # type: ignore[arg-type]


def test_sleep_crosses_midnight_and_refuses_equal_times() -> None:
    assert sleep_minutes(time(23, 30), time(7, 0)) == 450
    assert sleep_minutes(time(1, 0), time(8, 0)) == 420
    with pytest.raises(ValueError, match="wake_time"):
        sleep_minutes(time(7, 0), time(7, 0))


def test_wake_spread_wraps_around_midnight() -> None:
    assert wake_spread([time(7, 0), time(7, 30), time(6, 0)]) == (420, 60)
    assert wake_spread([time(23, 50), time(0, 10), time(0, 0)]) == (10, 20)
    assert wake_spread([]) is None


def test_active_minutes_goal() -> None:
    summary = week_summary(MON, week(active_minutes=30))
    assert summary.active_minutes == 210
    assert evaluate_goal(GoalKind.ACTIVE_MINUTES_WEEK_MIN, 150, summary).met is True
    short = week_summary(MON, week(active_minutes=20))
    assert evaluate_goal("active_min_week", 150, short).met is False
    assert evaluate_goal("active_min_week", 150, short, complete=False).met is None
    # A finished week with no day logged is not known, not "0 minutes, not met".
    empty = evaluate_goal("active_min_week", 150, week_summary(MON, []))
    assert empty.met is None and empty.value == "nothing logged"


def test_drinks_goal_unknown_when_days_are_missing() -> None:
    full = week_summary(MON, week(drinks=Decimal("1")))
    assert evaluate_goal(GoalKind.DRINKS_WEEK_MAX, 7, full).met is True
    over = week_summary(MON, week(drinks=Decimal("1.5")))
    assert evaluate_goal(GoalKind.DRINKS_WEEK_MAX, 7, over).met is False
    partial = week_summary(MON, week(drinks=Decimal("1"))[:4])
    result = evaluate_goal(GoalKind.DRINKS_WEEK_MAX, 7, partial)
    assert result.met is None and "may be higher" in result.reasons[0]


def test_wake_and_sleep_goals() -> None:
    logs = [
        DayLog(MON + timedelta(days=i), time(23, 0), time(7, 0 + 10 * i % 60)) for i in range(5)
    ]
    summary = week_summary(MON, logs)
    assert summary.avg_sleep_minutes == 500
    assert evaluate_goal(GoalKind.WAKE_WITHIN_MIN, 60, summary).met is True
    late = [*logs, DayLog(MON + timedelta(days=6), time(1, 0), time(10, 0))]
    assert evaluate_goal(GoalKind.WAKE_WITHIN_MIN, 60, week_summary(MON, late)).met is False
    assert evaluate_goal(GoalKind.SLEEP_AVG_MIN, 420, summary).met is True
    assert evaluate_goal(GoalKind.SLEEP_AVG_MIN, 540, summary).met is False
    assert evaluate_goal(GoalKind.SLEEP_AVG_MIN, 420, week_summary(MON, [])).met is None
    with pytest.raises(ValueError, match="target"):
        evaluate_goal(GoalKind.SLEEP_AVG_MIN, -1, summary)


def test_alcohol_before_dosing() -> None:
    day = date(2026, 3, 10)
    ok = alcohol_before_dosing({day - timedelta(days=3): Decimal("4")}, day, Decimal("0"), 1)
    assert ok.ok and "1 day(s) not logged" not in ok.reasons[0]
    bad = alcohol_before_dosing({day - timedelta(days=1): Decimal("3")}, day, Decimal("0"), 1)
    assert not bad.ok and "3 standard drinks" in bad.reasons[0]
    assert "clinical.md §17" in bad.reasons[1]
    lenient = alcohol_before_dosing({day - timedelta(days=1): Decimal("1")}, day, Decimal("2"), 2)
    assert lenient.ok and "2 day(s) not logged" in lenient.reasons[0]
    with pytest.raises(ValueError, match="window_days"):
        alcohol_before_dosing({}, day, Decimal("0"), -1)
