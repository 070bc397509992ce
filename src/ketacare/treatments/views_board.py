"""The chair board at /chairs/: every active session of the clinic on one screen.

The page loads once; `treatments.js` re-fetches the `live/` fragment every 10 seconds, so a new
alert shows within seconds on every tablet without a reload. Both reads are audited (the board
shows patient names and vitals).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import audit
from ketacare.accounts.permissions import Perm
from ketacare.treatments.limits import ClinicMonitoring, clinic_monitoring
from ketacare.treatments.models import (
    ACTIVE_SESSION_STATUSES,
    SessionAlert,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatments.sedation import first_dose_at
from ketacare.treatments.state import (
    next_due,
    picture,
    repeat_asked,
    session_monitoring,
    session_protocol,
)
from ketacare.treatments.tile_readings import tile_readings
from ketacare.treatments.trends import Trend, trends


@dataclass(frozen=True)
class BoardRow:
    session: TreatmentSession
    protocol_name: str
    elapsed_min: int | None
    next_due: datetime | None
    overdue: bool
    latest: VitalReading | None
    open_alerts: list[SessionAlert]
    trends: dict[str, Trend]
    ready: bool


def board_rows(clinic: Any, now: datetime) -> list[BoardRow]:
    sessions = (
        TreatmentSession.objects.filter(clinic=clinic, status__in=ACTIVE_SESSION_STATUSES)
        .select_related("patient", "appointment__resource", "plan")
        .prefetch_related(
            Prefetch(
                "alerts",
                queryset=SessionAlert.objects.filter(acknowledged_at__isnull=True).order_by(
                    "-raised_at"
                ),
                to_attr="open_alerts",
            ),
        )
        .order_by("appointment__resource__sort_order", "checked_in_at")
    )
    # Only the readings a tile shows (not every reading of every session): one query.
    readings = tile_readings(s.pk for s in sessions)
    repeats = repeat_asked([s.pk for s in sessions])  # one query
    rows = []
    current: ClinicMonitoring | None = None
    for s in sessions:
        if not s.limits_used and current is None:
            current = clinic_monitoring(s.clinic_id)  # one query, only when needed
        protocol = session_protocol(s)
        shown = readings.get(s.pk, [])
        pic = picture(shown)
        due = next_due(
            s,
            protocol,
            pic.latest,
            session_monitoring(s, current),
            pic.latest_bp,
            repeat_from=repeats.get(s.pk),
        )
        started = first_dose_at(s)
        rows.append(
            BoardRow(
                session=s,
                protocol_name=protocol.name,
                elapsed_min=int((now - started).total_seconds() // 60) if started else None,
                next_due=due,
                overdue=due is not None and due < now,
                latest=pic.latest,
                open_alerts=s.open_alerts,
                trends=trends(shown),
                ready=s.status == "ready_for_discharge",
            )
        )
    return rows


def _context(request: HttpRequest) -> dict[str, Any]:
    now = timezone.now()
    rows = board_rows(request.clinic, now)  # type: ignore[attr-defined]  # set by staff_view
    audit(request, "treatments.board.viewed", detail={"sessions": len(rows)})
    # The page's "My notices" count comes from the banner (`risk_banner.chair_unread`), which
    # every staff page computes already; the board's own poll (the rows) does not need it.
    return {"rows": rows, "now": now}


@staff_view(Perm.PATIENT_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    return render(request, "treatments/board.html", _context(request))


@staff_view(Perm.PATIENT_VIEW)
def board_fragment(request: HttpRequest) -> HttpResponse:
    return render(request, "treatments/_board_rows.html", _context(request))
