"""When an unacknowledged risk flag moves to the next person, and why.

Pure Python (no Django). Times are timezone-aware datetimes in the clinic's own zone.

High and moderate delays are elapsed time: they are added in UTC and the result is given back
in the clinic's zone, so a daylight-saving change neither stretches nor shortens them (Python
adds a timedelta to an aware datetime on the wall clock). The low rule ("next business day at
09:00") is a wall-clock rule and stays in clinic time.

Sources: shared/reference/clinical.md §16b ("a high-risk C-SSRS result should ... page the
on-call prescriber", [PRACTICE]) and §16a (PHQ-9 item 9 >= 1 -> C-SSRS the same day,
[PRACTICE] S47). The reference gives no number of minutes: the defaults below (high 15 min,
moderate 4 h, low the next business day at 09:00 clinic time) are the product defaults of
issue #7 — [PRACTICE], every one of them a clinic setting (safety settings page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta


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


def next_business_morning(after: datetime, policy: EscalationPolicy) -> datetime:
    """The first business day at `policy.low_time` strictly after `after` (same zone)."""
    day = after.date()
    for _ in range(15):
        candidate = datetime.combine(day, policy.low_time, tzinfo=after.tzinfo)
        if day.weekday() in policy.business_days and candidate > after:
            return candidate
        day += timedelta(days=1)
    # No business day configured at all: never leave a flag waiting more than a day.
    return after + timedelta(days=1)


def _after_elapsed(since: datetime, minutes: int) -> datetime:
    """`minutes` of real time after `since`, expressed in `since`'s zone."""
    zone = since.tzinfo
    return (since.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(zone)


def escalation_due(level: str, since: datetime, policy: EscalationPolicy) -> EscalationDue:
    """When a flag of `level`, last escalated (or raised) at `since`, goes to the next person.

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
    at = next_business_morning(since, policy)
    return EscalationDue(
        at,
        f"Low risk: next person on the next business day at {policy.low_time:%H:%M} clinic "
        "time (clinic setting; issue #7 [PRACTICE]).",
    )
