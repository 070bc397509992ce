"""The few standing readings a chair-board tile needs, for many sessions in one query.

A tile shows the latest reading's time (and the next vitals due from it) and, per measure, the
latest value with its trend arrow against the previous value of that measure
(`treatments.trends`). So of a session's standing readings (those not superseded by a
correction) only these matter: the newest one, and for each trend measure the two newest that
have a value. Everything else a session recorded stays in the database: a three-hour session
has ~40 readings, and the board polls every 10 seconds for every chair.

The selection is made by window functions in the database (SQLite ≥ 3.25 and PostgreSQL), so
the query count and the rows loaded do not grow with the length of the sessions.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, F, Q, Window
from django.db.models.expressions import RowRange
from django.db.models.functions import RowNumber

from ketacare.treatments.models import VitalReading
from ketacare.treatments.trends import TOLERANCE

# Newest first within each session: the same order as `current_readings`, reversed.
_NEWEST_FIRST = [F("taken_at").desc(), F("pk").desc()]


def _newest_first(expression: RowNumber | Count, frame: RowRange | None = None) -> Window:
    return Window(expression, partition_by=[F("session_id")], order_by=_NEWEST_FIRST, frame=frame)


def tile_readings(session_ids: Iterable[int]) -> dict[int, list[VitalReading]]:
    """For each session: its newest standing reading and, for every trend measure, the two
    newest standing readings with a value; oldest first, as `current_readings` orders them.

    `picture(rows).latest` and `trends(rows)` on this selection equal those on all of the
    session's standing readings. Sessions without readings are absent from the result.
    """
    ids = list(session_ids)
    if not ids:
        return {}
    # COUNT(measure) counts only rows with a value: a row whose running count is 1 or 2 and
    # that has a value is one of the measure's two newest values.
    # The frame runs from the session's newest reading down to this one.
    running = RowRange(start=None, end=0)
    annotations = {f"kc_n_{name}": _newest_first(Count(name), running) for name in TOLERANCE}
    wanted = Q(kc_newest=1)
    for name in TOLERANCE:
        wanted |= Q(**{f"kc_n_{name}__lte": 2, f"{name}__isnull": False})
    rows = (
        VitalReading.objects.filter(session_id__in=ids, corrections__isnull=True)
        .annotate(kc_newest=_newest_first(RowNumber()), **annotations)
        .filter(wanted)
        .order_by("session_id", "taken_at", "pk")
    )
    out: dict[int, list[VitalReading]] = {}
    for row in rows:
        out.setdefault(row.session_id, []).append(row)
    return out
