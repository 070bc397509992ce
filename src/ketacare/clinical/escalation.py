"""When an unacknowledged risk flag moves to the next person, and why.

Pure Python (no Django). Times are timezone-aware datetimes in the clinic's own zone.

High and moderate delays are elapsed time: they are added in UTC and the result is given back
in the clinic's zone, so a daylight-saving change neither stretches nor shortens them (Python
adds a timedelta to an aware datetime on the wall clock). The low rule ("next business day at
09:00") is a wall-clock rule and stays in clinic time. It reads "next business day" as the next
business *morning*: a low flag raised before 09:00 on a business day is due at 09:00 that same
day (the first working hour after it), one raised later waits for the next business day. Days
the clinic is closed (holidays: the caller passes the closed dates) are not business days.

Sources: shared/reference/clinical.md §16b ("a high-risk C-SSRS result should ... page the
on-call prescriber", [PRACTICE]) and §16a (PHQ-9 item 9 >= 1 -> C-SSRS the same day,
[PRACTICE] S47). The reference gives no number of minutes: the defaults below (high 15 min,
moderate 4 h, low the next business day at 09:00 clinic time) are the product defaults of
issue #7 — [PRACTICE], every one of them a clinic setting (safety settings page).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class EscalationPolicy:
    # Minutes a high / moderate flag may stay unacknowledged before the next person is paged.
    high_minutes: int = 15
    moderate_minutes: int = 240
    # A low flag waits for the next business day at this clinic time.
    low_time: time = time(9, 0)
    # Business days as weekday numbers (Monday = 0).
    business_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})


DEFAULT_POLICY = EscalationPolicy()


@dataclass(frozen=True)
class EscalationDue:
    at: datetime
    reason: str


# How far ahead a low flag looks for a business morning. Past it (no business day set, or a
# closure of more than two weeks) it waits one day, never longer: someone must see it.
LOOK_AHEAD_DAYS = 15


@dataclass(frozen=True)
class BusinessMorning:
    at: datetime
    # Closed dates passed over on the way (shown in the reason).
    skipped_closures: tuple[date, ...] = ()
    # True when no business morning lies within LOOK_AHEAD_DAYS: `at` is one day later.
    fallback: bool = False


def business_morning(
    after: datetime, policy: EscalationPolicy, closed: Collection[date] = ()
) -> BusinessMorning:
    """The first business day at `policy.low_time` strictly after `after` (same zone): a
    weekday in `policy.business_days` that is not in `closed` (the clinic's closure dates).
    Before `low_time` on a business day that is the same day (the next business morning)."""
    day = after.date()
    skipped: list[date] = []
    for _ in range(LOOK_AHEAD_DAYS):
        candidate = datetime.combine(day, policy.low_time, tzinfo=after.tzinfo)
        if day.weekday() in policy.business_days and candidate > after:
            if day not in closed:
                return BusinessMorning(candidate, tuple(skipped))
            skipped.append(day)
        day += timedelta(days=1)
    return BusinessMorning(after + timedelta(days=1), tuple(skipped), fallback=True)


def next_business_morning(
    after: datetime, policy: EscalationPolicy, closed: Collection[date] = ()
) -> datetime:
    """`business_morning(...).at`."""
    return business_morning(after, policy, closed).at


def _after_elapsed(since: datetime, minutes: int) -> datetime:
    """`minutes` of real time after `since`, expressed in `since`'s zone."""
    zone = since.tzinfo
    return (since.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(zone)


def escalation_due(
    level: str, since: datetime, policy: EscalationPolicy, closed: Collection[date] = ()
) -> EscalationDue:
    """When a flag of `level`, last escalated (or raised) at `since`, goes to the next person.
    `closed`: the clinic's closure dates (read only by the low rule, which counts business
    days; high and moderate delays are elapsed time whatever the day).

    `since` must be timezone-aware: a naive time has no zone to count elapsed minutes in (and
    `astimezone` would silently read it as the server's local time)."""
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError("since must be a timezone-aware datetime (the clinic's zone)")
    if level == "high":
        minutes = max(1, policy.high_minutes)
        return EscalationDue(
            _after_elapsed(since, minutes),
            f"High risk: next person after {minutes} min without acknowledgment "
            "(clinic setting; default 15 min, issue #7 [PRACTICE]; clinical.md §16b).",
        )
    if level == "moderate":
        minutes = max(1, policy.moderate_minutes)
        return EscalationDue(
            _after_elapsed(since, minutes),
            f"Moderate risk: next person after {minutes} min without acknowledgment "
            "(clinic setting; default 4 h, issue #7 [PRACTICE]).",
        )
    morning = business_morning(since, policy, closed)
    if morning.fallback:
        return EscalationDue(
            morning.at,
            f"Low risk: no business day (clinic setting) without a closure in the next "
            f"{LOOK_AHEAD_DAYS} days, so the next person after one day (issue #7 [PRACTICE]).",
        )
    passed = (
        " (clinic closed " + ", ".join(f"{d:%Y-%m-%d}" for d in morning.skipped_closures) + ")"
        if morning.skipped_closures
        else ""
    )
    return EscalationDue(
        morning.at,
        f"Low risk: next person on the next business day{passed} at "
        f"{policy.low_time:%H:%M} clinic time (clinic setting; issue #7 [PRACTICE]).",
    )
