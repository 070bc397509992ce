"""Proposing the sessions of a treatment series: pure Python, no Django import.

    propose_series(SeriesRequest(...)) -> list[ProposedSession]

From a plan's frequency (`count` sessions every `per_days` days), the number of sessions, the
phase's minimum interval, a first day, preferred local time(s) of day, the session length, the
clinic's opening hours, its closures and its time zone, it proposes one slot per session:

- Sessions are spread evenly over each cycle: session i of a cycle falls `i * per_days // count`
  days after the cycle starts (twice weekly from a Monday: Monday and Thursday; three times:
  Monday, Wednesday, Friday; daily: every day).
- A day that is closed (no opening hours that weekday, or inside a closure) moves the session
  to the next open day; so does a day on which the session does not fit in the opening hours,
  or on which it would start sooner than `min_interval_hours` after the previous session (then
  a later time the same day is tried first). A moved session never moves the ones after it
  unless it has to: the cycle grid stays anchored to the first day.
- Times are wall-clock times at the clinic: 10:00 stays 10:00 across a daylight-saving change,
  while the minimum interval is measured in real elapsed hours (so a daily 20 h rule still
  holds over the 23 h and 25 h days). Results are timezone-aware UTC datetimes.

The database layer (`scheduling/planner.py`) then assigns chairs and reports conflicts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far past its target day a session may move before it is reported as not placed.
MAX_SHIFT_DAYS = 28
# Proposed start times are rounded up to this many minutes.
ROUND_MIN = 5
# Chair time added to every treatment session beyond dosing and the minimum observation:
# pre-dose checks on arrival (vitals, checklist) and turning the chair over for the next
# patient. A platform default, not from a clinical source: the clinic may change it per booking.
DEFAULT_BUFFER_MIN = 15
# A bolus, a nasal spray course or an oral dose has no infusion time; this is the time set
# aside for giving it (esketamine: up to three devices five minutes apart, clinical.md §5).
DEFAULT_DOSING_MIN = 15

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def session_minutes(
    infusion_min: int | None,
    observation_min: int,
    buffer_min: int = DEFAULT_BUFFER_MIN,
) -> int:
    """Chair time of one session: dosing (the infusion, or DEFAULT_DOSING_MIN for a bolus or
    spray) + the protocol's minimum observation + the clinic buffer."""
    dosing = infusion_min if infusion_min else DEFAULT_DOSING_MIN
    return dosing + max(observation_min, 0) + max(buffer_min, 0)


@dataclass(frozen=True)
class Closure:
    starts_on: date
    ends_on: date
    reason: str


@dataclass(frozen=True)
class SeriesRequest:
    start_on: date
    sessions: int
    count: int
    per_days: int
    times: tuple[time, ...]
    duration_min: int
    hours: Mapping[int, tuple[time, time]]  # weekday (0 = Monday) -> (opens, closes)
    zone: str
    closures: Sequence[Closure] = ()
    min_interval_hours: int | None = None
    first_number: int = 1
    # The start of the patient's previous treatment session (the interval is kept from it).
    after: datetime | None = None

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise ValueError("sessions: at least 1")
        if self.count < 1 or self.per_days < 1:
            raise ValueError("frequency: count and per_days must be at least 1")
        if not self.times:
            raise ValueError("times: at least one preferred time of day")
        if self.duration_min < 1:
            raise ValueError("duration_min: must be at least 1")
        ZoneInfo(self.zone)  # raises for an unknown zone


@dataclass(frozen=True)
class ProposedSession:
    number: int
    target_on: date
    starts_at: datetime | None  # UTC; None when no day within MAX_SHIFT_DAYS fits
    ends_at: datetime | None
    notes: tuple[str, ...] = field(default=())

    @property
    def placed(self) -> bool:
        return self.starts_at is not None


def _closure_on(day: date, closures: Sequence[Closure]) -> Closure | None:
    for closure in closures:
        if closure.starts_on <= day <= closure.ends_on:
            return closure
    return None


def closed_reason(
    day: date, hours: Mapping[int, tuple[time, time]], closures: Sequence[Closure]
) -> str:
    """Why the clinic is closed on `day` ('' when it is open)."""
    closure = _closure_on(day, closures)
    if closure is not None:
        return f"closed ({closure.reason})"
    if day.weekday() not in hours:
        return f"closed on {WEEKDAYS[day.weekday()]}s"
    return ""


def local_datetime(day: date, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day` at the clinic, as an aware datetime. A wall time skipped by a spring-forward
    change is normalised (02:30 becomes 03:30), one repeated in autumn takes its first meaning."""
    naive = datetime.combine(day, at.replace(tzinfo=None))
    return naive.replace(tzinfo=zone).astimezone(UTC).astimezone(zone)


def _round_up(moment: datetime) -> datetime:
    base = moment.replace(second=0, microsecond=0)
    if base < moment:
        base += timedelta(minutes=1)
    return base + timedelta(minutes=(-base.minute) % ROUND_MIN)


def _fit(
    day: date,
    preferred: time,
    earliest: datetime | None,
    request: SeriesRequest,
    zone: ZoneInfo,
) -> datetime | None:
    """The start on `day` nearest to `preferred` that fits the opening hours and is not before
    `earliest`; None when there is none."""
    opens, closes = request.hours[day.weekday()]
    duration = timedelta(minutes=request.duration_min)
    open_at = local_datetime(day, opens, zone)
    close_at = local_datetime(day, closes, zone)
    start = max(local_datetime(day, preferred, zone), open_at)
    if start + duration > close_at:
        start = close_at - duration
    if earliest is not None and start < earliest:
        start = _round_up(earliest.astimezone(zone))
    if start < open_at or start + duration > close_at:
        return None
    return start


def _describe(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()][:3]} {day.day} {day:%b}"


def propose_series(request: SeriesRequest) -> list[ProposedSession]:
    """One proposed slot per session (see the module docstring)."""
    zone = ZoneInfo(request.zone)
    interval = (
        timedelta(hours=request.min_interval_hours) if request.min_interval_hours else timedelta(0)
    )
    duration = timedelta(minutes=request.duration_min)
    proposed: list[ProposedSession] = []
    previous_start = request.after
    previous_day: date | None = (
        request.after.astimezone(zone).date() if request.after is not None else None
    )
    for k in range(request.sessions):
        cycle, index = divmod(k, request.count)
        target = request.start_on + timedelta(
            days=cycle * request.per_days + (index * request.per_days) // request.count
        )
        preferred = request.times[index % len(request.times)]
        day = target
        if previous_day is not None and day <= previous_day:
            day = previous_day + timedelta(days=1)
        notes: list[str] = []
        earliest = previous_start + interval if previous_start is not None else None
        placed: datetime | None = None
        for _ in range(MAX_SHIFT_DAYS + 1):
            why = closed_reason(day, request.hours, request.closures)
            if not why:
                placed = _fit(day, preferred, earliest, request, zone)
                if placed is None:
                    if earliest is not None and local_datetime(day, time(23, 59), zone) < (
                        earliest + duration
                    ):
                        why = "too soon after the previous session"
                    else:
                        why = "the session does not fit in the opening hours"
            if placed is not None:
                break
            if not notes or not notes[-1].endswith(why):
                notes.append(f"{_describe(day)}: {why}")
            day += timedelta(days=1)
        number = request.first_number + k
        if placed is None:
            notes.append(f"no open day within {MAX_SHIFT_DAYS} days of {_describe(target)}")
            proposed.append(ProposedSession(number, target, None, None, tuple(notes)))
            continue
        if day != target:
            notes.insert(0, f"moved from {_describe(target)}")
        elif placed.time() != preferred.replace(tzinfo=None):
            notes.append(f"time moved to {placed:%H:%M} to fit")
        start_utc = placed.astimezone(UTC)
        proposed.append(
            ProposedSession(number, target, start_utc, start_utc + duration, tuple(notes))
        )
        previous_start, previous_day = start_utc, day
    return proposed
