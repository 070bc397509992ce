"""Storing vital-sign readings taken during or after dosing, and the alerts they raise.

One core for every way a reading arrives: typed at the chair (`actions.do_record_vitals`, one
reading) and from a monitor gateway over FHIR (`do_record_device_readings`, one or many
readings for one or more sessions). The caller owns the transaction and has locked the session
row (`select_for_update`); `store_readings` then:

- refuses unless the session is being monitored (dosing, monitoring, ready for discharge);
- inserts the readings in one statement (`bulk_create`);
- evaluates every reading against the clinic's limits and the pre-dose baseline
  (`clinical.vitals.evaluate_reading`, `evaluate_sedation`) and inserts the alerts in one
  statement, so an alert exists the moment its reading does;
- marks the session ready for discharge (or not) from the readings that now stand;
- writes one audit entry `treatments.session.vitals_recorded` naming every reading and alert.

The alerts of a reading depend only on that reading, the limits and the pre-dose baseline, so
a batch raises exactly the alerts the same readings would raise one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.clinical.vitals import Alert, VitalSigns, evaluate_reading, evaluate_sedation
from ketacare.treatments.models import (
    ReadingPhase,
    ReadingSource,
    SessionAlert,
    SessionStatus,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatments.state import clinic_limits, picture, readiness, signs

MONITORED = (SessionStatus.DOSING, SessionStatus.MONITORING, SessionStatus.READY)


@dataclass(frozen=True)
class NewReading:
    """One reading to store: cleaned values (`actions.clean_vitals`), its time and source."""

    values: Mapping[str, Any]
    taken_at: datetime
    source: str = ReadingSource.MANUAL


@dataclass
class Stored:
    reading: VitalReading
    alerts: list[SessionAlert] = field(default_factory=list)


def refresh_ready(
    session: TreatmentSession, now: datetime, readings: list[VitalReading] | None = None
) -> None:
    """Mark (or unmark) clinically ready to leave; the first moment is kept."""
    if session.status not in (SessionStatus.MONITORING, SessionStatus.READY):
        return
    decision = readiness(session, now, escort=True, readings=readings)
    if decision.allowed and session.status == SessionStatus.MONITORING:
        session.status = SessionStatus.READY
        session.ready_at = session.ready_at or now
    elif not decision.allowed and session.status == SessionStatus.READY:
        session.status = SessionStatus.MONITORING


def standing_readings(session: TreatmentSession) -> list[VitalReading]:
    """The few current readings a session's picture is made of, oldest first: the last
    pre-dose one, the last one during dosing with a BP, with a MOAA/S, with a CADSS-6, and the
    last of all. `state.picture` of these equals `picture(current_readings(session))`, but
    this is one query whatever the session's length (a monitor adds a reading every few
    seconds; loading them all for every new one would grow without bound)."""
    current = VitalReading.objects.filter(session_id=session.pk).exclude(
        Exists(VitalReading.objects.filter(corrects=OuterRef("pk")))
    )

    def last(condition: Q) -> Q:
        newest = current.filter(condition).order_by("-taken_at", "-pk").values("pk")[:1]
        return Q(pk=Subquery(newest))

    during = Q(phase=ReadingPhase.DURING)
    wanted = (
        last(Q(phase=ReadingPhase.PRE_DOSE))
        | last(during & Q(systolic_mmhg__isnull=False))
        | last(during & Q(moaas__isnull=False))
        | last(during & Q(cadss6__isnull=False))
        | last(Q())
    )
    return list(VitalReading.objects.filter(wanted).order_by("taken_at", "pk"))


def alerts_for(reading: VitalReading, baseline: VitalReading | None, limits: Any) -> list[Alert]:
    """Every alert one reading raises (vital signs, then sedation)."""
    found = list(evaluate_reading(signs(reading) or VitalSigns(), limits, signs(baseline)))
    if reading.moaas is not None:
        baseline_moaas = baseline.moaas if baseline else None
        found += evaluate_sedation(reading.moaas, baseline_moaas, limits)
    return found


def store_readings(
    actor: Actor,
    session: TreatmentSession,
    new: Sequence[NewReading],
    now: datetime,
    *,
    field_name: str = "systolic_mmhg",
    audit_detail: Mapping[str, Any] | None = None,
) -> list[Stored]:
    """Store `new` for the locked `session` with their alerts (see the module docstring)."""
    if session.status not in MONITORED:
        raise ActionError(
            field_name,
            f"Not possible while the session is “{session.get_status_display()}”.",
        )
    standing = standing_readings(session)
    pic = picture(standing)
    rows = [
        VitalReading(
            session=session,
            phase=ReadingPhase.DURING,
            taken_at=item.taken_at,
            recorded_at=now,
            recorded_by_id=actor.user_id,
            source=item.source,
            **item.values,
        )
        for item in new
    ]
    VitalReading.objects.bulk_create(rows)
    limits = clinic_limits(session)
    limits_used = asdict(limits)  # each alert keeps the limits that raised it
    stored = []
    for row in rows:
        alerts = [
            SessionAlert(
                session=session,
                reading=row,
                code=a.code,
                level=str(a.level),
                field=a.field,
                message=a.message,
                source=a.source,
                raised_at=now,
                limits_used=limits_used,
            )
            for a in alerts_for(row, pic.baseline, limits)
        ]
        stored.append(Stored(row, alerts))
    SessionAlert.objects.bulk_create([a for s in stored for a in s.alerts])
    readings = sorted([*standing, *rows], key=lambda r: (r.taken_at, r.pk))
    before = (session.status, session.ready_at)
    refresh_ready(session, now, readings)
    if (session.status, session.ready_at) != before:
        session.save(update_fields=["status", "ready_at"])
    detail: dict[str, Any] = (
        {"reading": rows[0].pk} if len(rows) == 1 else {"readings": [r.pk for r in rows]}
    )
    detail["alerts"] = [a.code for s in stored for a in s.alerts]
    detail.update(audit_detail or {})
    record(
        actor,
        "treatments.session.vitals_recorded",
        object_type="session",
        object_id=session.pk,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail=detail,
    )
    return stored


def lock_session(session_id: int, clinic_id: int) -> TreatmentSession | None:
    """The session row, locked for this transaction, or None outside the clinic."""
    found: TreatmentSession | None = (
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("plan", "patient", "clinic")
        .filter(pk=session_id, clinic_id=clinic_id)
        .first()
    )
    return found


def do_record_readings(
    actor: Actor, session: TreatmentSession, new: Sequence[NewReading]
) -> list[Stored]:
    """Store readings for one session in their own transaction."""
    now = timezone.now()
    with transaction.atomic():
        locked = lock_session(session.pk, session.clinic_id)
        if locked is None:
            raise ActionError("session", "No such session.")
        return store_readings(actor, locked, new, now)
