"""Laying out the day view: columns are chairs/rooms, rows are quarter hours.

Positions are CSS classes (the strict CSP forbids `style=` attributes): `c<n>` the grid column,
`r<n>` the first row and `s<n>` the number of rows spanned; scheduling.css defines them for up
to MAX_COLUMNS columns and a whole day of quarter hours.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ketacare.scheduling.models import Appointment, AppointmentStatus, Resource

ROW_MIN = 15
MAX_COLUMNS = 40  # scheduling.css defines .c1 … .c41 and .cols-1 … .cols-40
ROWS_PER_HOUR = 60 // ROW_MIN


@dataclass
class Column:
    index: int  # grid column (1 is the time labels)
    resource: Resource | None
    label: str


@dataclass
class Block:
    appointment: Appointment
    column: int
    row: int
    span: int
    starts: datetime
    ends: datetime


@dataclass
class DayGrid:
    day: date
    columns: list[Column]
    blocks: list[Block]
    hours: list[tuple[int, str]]  # (row, "08:00")
    rows: int

    @property
    def column_count(self) -> int:
        return len(self.columns)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def build(
    day: date,
    zone: ZoneInfo,
    span: tuple[time, time],
    resources: Sequence[Resource],
    appointments: Sequence[Appointment],
) -> DayGrid:
    """The grid of `day`: `appointments` (all that start that day) placed on their chair."""
    shown = [a for a in appointments if a.status != AppointmentStatus.CANCELLED]
    local = [(a, a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)) for a in shown]
    first = min([_minutes(span[0]), *(_minutes(s.time()) for _, s, _ in local)])
    last = max(
        [
            _minutes(span[1]),
            *(_minutes(e.time()) if e.date() == day else 24 * 60 for _, s, e in local),
        ]
    )
    first = (first // 60) * 60
    last = min(-(-last // 60) * 60, 24 * 60)
    rows = max((last - first) // ROW_MIN, 1)

    columns = [Column(i + 2, r, r.name) for i, r in enumerate(resources[: MAX_COLUMNS - 1])]
    index = {c.resource.pk: c.index for c in columns if c.resource is not None}
    if any(a.resource_id not in index for a, _, _ in local):
        columns.append(Column(len(columns) + 2, None, "No chair or room"))
    loose = columns[-1].index if columns and columns[-1].resource is None else 0

    blocks = []
    for appointment, starts, ends in local:
        start_min = _minutes(starts.time())
        end_min = _minutes(ends.time()) if ends.date() == day else 24 * 60
        row = (start_min - first) // ROW_MIN + 1
        length = max(-(-(end_min - start_min) // ROW_MIN), 1)
        length = min(length, rows - row + 1)
        column = index.get(appointment.resource_id or -1, loose)
        blocks.append(Block(appointment, column, row, length, starts, ends))
    hours = [((m - first) // ROW_MIN + 1, f"{m // 60:02d}:00") for m in range(first, last, 60)]
    return DayGrid(day, columns, blocks, hours, rows)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of `day` at the clinic and of the next day (23 or 25 h on DST days)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end
