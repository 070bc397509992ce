"""The pure series generator: spreading, closures, closed days, minimum interval, month and
daylight-saving boundaries (America/New_York)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from ketacare.scheduling.series import (
    Closure,
    SeriesRequest,
    propose_series,
    session_minutes,
)

NY = ZoneInfo("America/New_York")
WEEKDAYS_8_TO_6 = {d: (time(8), time(18)) for d in range(5)}
EVERY_DAY = {d: (time(8), time(18)) for d in range(7)}


def request(**kw: object) -> SeriesRequest:
    base: dict[str, object] = {
        "start_on": date(2026, 11, 2),  # a Monday
        "sessions": 6,
        "count": 2,
        "per_days": 7,
        "times": (time(10),),
        "duration_min": 175,
        "hours": WEEKDAYS_8_TO_6,
        "zone": "America/New_York",
        "min_interval_hours": 48,
    }
    base.update(kw)
    return SeriesRequest(**base)  # type: ignore[arg-type]  # test overrides of any field


def local(s: object) -> datetime:
    assert s is not None and isinstance(s, datetime)
    return s.astimezone(NY)


def test_twice_weekly_from_a_monday_is_monday_and_thursday() -> None:
    sessions = propose_series(request())
    days = [local(s.starts_at).date() for s in sessions]
    assert [d.strftime("%a") for d in days] == ["Mon", "Thu"] * 3
    assert days[0] == date(2026, 11, 2) and days[-1] == date(2026, 11, 19)
    assert [s.number for s in sessions] == [1, 2, 3, 4, 5, 6]
    assert all(local(s.starts_at).time() == time(10) for s in sessions)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=175) for s in sessions)  # type: ignore[operator]  # every session is placed here


def test_three_times_weekly_is_monday_wednesday_friday() -> None:
    sessions = propose_series(request(count=3, sessions=6))
    assert [local(s.starts_at).strftime("%a") for s in sessions] == ["Mon", "Wed", "Fri"] * 2


def test_results_are_utc_and_keep_local_wall_time_across_the_november_change() -> None:
    # DST ends Sunday 1 Nov 2026 in New York: 10:00 is 14:00 UTC before, 15:00 UTC after.
    sessions = propose_series(request(start_on=date(2026, 10, 26), sessions=4))
    assert all(s.starts_at.tzinfo is UTC for s in sessions)  # type: ignore[union-attr]  # every session is placed here
    assert [s.starts_at.hour for s in sessions] == [14, 14, 15, 15]  # type: ignore[union-attr]  # every session is placed here
    assert all(local(s.starts_at).time() == time(10) for s in sessions)


def test_march_change_keeps_ten_o_clock_and_a_daily_interval_still_holds() -> None:
    # DST starts Sunday 8 Mar 2026: that day has 23 hours. Daily CRPS sessions, 20 h apart.
    sessions = propose_series(
        request(
            start_on=date(2026, 3, 6),
            sessions=5,
            count=1,
            per_days=1,
            hours=EVERY_DAY,
            min_interval_hours=20,
            duration_min=375,
            times=(time(9),),
        )
    )
    assert [local(s.starts_at).date().day for s in sessions] == [6, 7, 8, 9, 10]
    assert all(local(s.starts_at).time() == time(9) for s in sessions)
    gaps = [b.starts_at - a.starts_at for a, b in itertools.pairwise(sessions)]  # type: ignore[operator]  # every session is placed here
    assert gaps[1] == timedelta(hours=23) and gaps[2] == timedelta(hours=24)


def test_a_24_hour_interval_over_the_spring_change_moves_the_time_not_the_day() -> None:
    sessions = propose_series(
        request(
            start_on=date(2026, 3, 7),
            sessions=2,
            count=1,
            per_days=1,
            hours=EVERY_DAY,
            min_interval_hours=24,
            times=(time(9),),
            duration_min=60,
        )
    )
    second = local(sessions[1].starts_at)
    assert second.date() == date(2026, 3, 8) and second.time() == time(10)
    assert any("time moved" in n for n in sessions[1].notes)


def test_a_series_across_a_month_end_counts_days_correctly() -> None:
    sessions = propose_series(request(start_on=date(2026, 1, 26), sessions=4))
    assert [local(s.starts_at).date() for s in sessions] == [
        date(2026, 1, 26),
        date(2026, 1, 29),
        date(2026, 2, 2),
        date(2026, 2, 5),
    ]


def test_a_closure_moves_the_session_to_the_next_open_day_and_says_why() -> None:
    thanksgiving = Closure(date(2026, 11, 26), date(2026, 11, 27), "Thanksgiving")
    sessions = propose_series(
        request(start_on=date(2026, 11, 23), sessions=4, closures=[thanksgiving])
    )
    days = [local(s.starts_at).date() for s in sessions]
    # Thu 26 and Fri 27 closed, Sat/Sun closed: Monday 30 — but Monday is also session 3's
    # day, so session 3 moves on to Wednesday 2 Dec (48 h after Monday) and session 4 to Friday.
    assert days == [date(2026, 11, 23), date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 4)]
    assert sessions[1].notes[0] == "moved from Thu 26 Nov"
    assert any("Thanksgiving" in n for n in sessions[1].notes)
    gaps = [b - a for a, b in itertools.pairwise(days)]
    assert min(gaps) >= timedelta(days=1)


def test_the_min_interval_is_kept_from_the_patients_previous_session() -> None:
    previous = datetime(2026, 11, 1, 15, 0, tzinfo=UTC)  # Sunday 10:00 New York
    sessions = propose_series(request(sessions=2, after=previous, hours=EVERY_DAY))
    first = local(sessions[0].starts_at)
    assert first.date() == date(2026, 11, 3) and first.time() == time(10)  # Tuesday, 48 h


def test_weekends_are_skipped_when_the_clinic_is_closed() -> None:
    sessions = propose_series(
        request(start_on=date(2026, 11, 6), count=1, per_days=1, sessions=3, min_interval_hours=20)
    )
    assert [local(s.starts_at).strftime("%a %d") for s in sessions] == [
        "Fri 06",
        "Mon 09",
        "Tue 10",
    ]
    assert any("closed on Saturdays" in n for n in sessions[1].notes)


def test_a_preferred_time_too_late_is_pulled_back_into_opening_hours() -> None:
    sessions = propose_series(request(sessions=1, times=(time(17),)))
    start = local(sessions[0].starts_at)
    assert start.time() == time(15, 5)  # 18:00 close minus 175 minutes
    assert any("time moved" in n for n in sessions[0].notes)


def test_two_preferred_times_alternate_within_a_cycle() -> None:
    sessions = propose_series(request(sessions=4, times=(time(9), time(14))))
    assert [local(s.starts_at).time() for s in sessions] == [time(9), time(14)] * 2


def test_a_clinic_closed_for_weeks_reports_sessions_it_cannot_place() -> None:
    long = Closure(date(2026, 11, 1), date(2027, 1, 31), "renovation")
    sessions = propose_series(request(sessions=2, closures=[long]))
    assert not sessions[0].placed and sessions[0].starts_at is None
    assert "no open day" in sessions[0].notes[-1]


def test_numbering_continues_after_sessions_already_booked() -> None:
    sessions = propose_series(request(sessions=2, first_number=5))
    assert [s.number for s in sessions] == [5, 6]


def test_session_minutes_add_dosing_observation_and_buffer() -> None:
    assert session_minutes(40, 120) == 40 + 120 + 15  # IV racemic
    assert session_minutes(None, 120) == 15 + 120 + 15  # esketamine spray
    assert session_minutes(240, 120, buffer_min=0) == 360


@pytest.mark.parametrize(
    ("field", "value"),
    [("sessions", 0), ("count", 0), ("times", ()), ("duration_min", 0), ("zone", "Mars/Base")],
)
def test_bad_requests_are_refused(field: str, value: object) -> None:
    with pytest.raises(Exception):  # noqa: B017  (ValueError or ZoneInfoNotFoundError)
        request(**{field: value})
