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

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.clinical.vitals import Alert, VitalSigns, evaluate_reading, evaluate_sedation
from ketacare.core.inserts import insert_rows
from ketacare.plans.models import TreatmentPlan
from ketacare.treatments.limits import ClinicMonitoring, from_dict
from ketacare.treatments.models import (
    ClinicMonitoringSettings,
    ReadingPhase,
    ReadingSource,
    SessionAlert,
    SessionStatus,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatments.state import (
    SINGLE_SIGNS,
    picture,
    readiness,
    session_monitoring,
    signs,
)

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
    session: TreatmentSession,
    now: datetime,
    readings: list[VitalReading] | None = None,
    monitoring: ClinicMonitoring | None = None,
) -> None:
    """Mark (or unmark) clinically ready to leave; the first moment is kept."""
    if session.status not in (SessionStatus.MONITORING, SessionStatus.READY):
        return
    decision = readiness(session, now, escort=True, readings=readings, monitoring=monitoring)
    if decision.allowed and session.status == SessionStatus.MONITORING:
        session.status = SessionStatus.READY
        session.ready_at = session.ready_at or now
    elif not decision.allowed and session.status == SessionStatus.READY:
        session.status = SessionStatus.MONITORING


def standing_readings(session: TreatmentSession) -> list[VitalReading]:
    """The few current readings a session's picture is made of, oldest first: the last
    pre-dose one, the last one during dosing with a BP, with a MOAA/S, with a CADSS-6, with
    each other vital sign (`state.SINGLE_SIGNS`), and the last of all. `state.picture` of
    these equals `picture(current_readings(session))`, but this is one query whatever the
    session's length (a monitor adds a reading every few seconds; loading them all for every
    new one would grow without bound).

    Written as SQL once (`_STANDING_SQL`): the ORM spent ≈ 4 ms of Python building this
    query of subqueries on every stored reading, the database ≈ 0.3 ms answering it."""
    return list(VitalReading.objects.raw(_STANDING_SQL, [session.pk] * _STANDING_PARTS))


def _standing_sql() -> str:
    table = VitalReading._meta.db_table
    during = f"r.phase = '{ReadingPhase.DURING.value}'"
    conditions = [
        f"r.phase = '{ReadingPhase.PRE_DOSE.value}'",
        f"{during} AND r.systolic_mmhg IS NOT NULL",
        f"{during} AND r.moaas IS NOT NULL",
        f"{during} AND r.cadss6 IS NOT NULL",
        *(f"{during} AND r.{attr} IS NOT NULL" for attr in SINGLE_SIGNS),
        "1 = 1",
    ]
    # The newest reading of the session meeting each condition that no correction supersedes
    # (the (session, -taken_at) index finds it without reading the session's other rows).
    newest = [
        f"(SELECT r.id FROM {table} r WHERE r.session_id = %s AND {condition} AND NOT EXISTS "  # noqa: S608  (names and conditions are constants)
        f"(SELECT 1 FROM {table} c WHERE c.corrects_id = r.id) "
        "ORDER BY r.taken_at DESC, r.id DESC LIMIT 1)"
        for condition in conditions
    ]
    return f"SELECT * FROM {table} WHERE id IN ({', '.join(newest)}) ORDER BY taken_at, id"  # noqa: S608


_STANDING_PARTS = 5 + len(SINGLE_SIGNS)
_STANDING_SQL = _standing_sql()


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
    insert_rows(rows)
    # Loaded once (by lock_session when it locked the session): the alerts and readiness use it.
    monitoring = session_monitoring(session, getattr(session, "clinic_monitoring_now", None))
    limits = monitoring.limits
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
    refresh_ready(session, now, readings, monitoring)
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
    """The session row, locked for this transaction, or None outside the clinic.

    One query in plain SQL also reads what storing a reading needs besides the session: its
    plan's protocol (the plan's other fields load only if asked for) and the clinic's current
    monitoring settings (`clinic_monitoring_now`). The ORM's query with three joined tables,
    then a query each for the plan and the settings, cost ≈ 5 ms of Python per message."""
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE OF s" if connection.features.has_select_for_update_of else " FOR UPDATE"
    found = list(TreatmentSession.objects.raw(_LOCK_SQL + lock, [session_id, clinic_id]))
    if not found:
        return None
    session = found[0]
    session.plan = TreatmentPlan.from_db(
        session._state.db,
        ["id", "protocol_code", "protocol_version", "protocol_changes"],
        [
            session.plan_id,
            session.plan__protocol_code,  # type: ignore[attr-defined]
            session.plan__protocol_version,  # type: ignore[attr-defined]
            _json(session.plan__protocol_changes),  # type: ignore[attr-defined]
        ],
    )
    session.clinic_monitoring_now = from_dict(  # type: ignore[attr-defined]
        _json(session.clinic_monitoring_values)  # type: ignore[attr-defined]
    )
    return session


def _json(value: Any) -> Any:
    """A JSON column read by a raw query: text on both backends (Django decodes in the field)."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def _lock_sql() -> str:
    session = TreatmentSession._meta.db_table
    plan = TreatmentPlan._meta.db_table
    settings = ClinicMonitoringSettings._meta.db_table
    return (
        f"SELECT s.*, p.protocol_code AS plan__protocol_code, "  # noqa: S608  (model table names)
        f"p.protocol_version AS plan__protocol_version, "
        f"p.protocol_changes AS plan__protocol_changes, "
        f"(SELECT m.{connection.ops.quote_name('values')} FROM {settings} m "
        f"WHERE m.clinic_id = s.clinic_id) AS clinic_monitoring_values "
        f"FROM {session} s JOIN {plan} p ON p.id = s.plan_id "
        f"WHERE s.id = %s AND s.clinic_id = %s"
    )


_LOCK_SQL = _lock_sql()


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
