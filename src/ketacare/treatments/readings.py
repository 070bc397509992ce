"""Storing vital-sign readings taken during or after dosing, and the alerts they raise.

One core for every way a reading arrives: typed at the chair (`actions.do_record_vitals`, one
reading) and from a monitor gateway over FHIR (`do_record_device_readings`, one or many
readings for one or more sessions). The caller owns the transaction and has locked the session
row (`select_for_update`); `store_readings` then:

- refuses unless the session is being monitored (dosing, monitoring, ready for discharge),
  or (a monitor's readings, `after_close`) the patient has left and the readings were taken
  before that (`late_readings`: stored, and their alerts go to staff at once);
- inserts the readings in one statement (`bulk_create`);
- evaluates every reading against the clinic's limits and the pre-dose baseline
  (`clinical.vitals.evaluate_reading`, `evaluate_sedation`) and inserts the alerts in one
  statement, so an alert exists the moment its reading does;
- except that a value repeating an alert still open is not a new alert (a monitor posting
  SpO2 91 % every minute made 30 alerts to acknowledge one by one): while the session has an
  open alert of the same code at the same or a higher level, the reading repeats that alert
  (`repeat_count`, `last_reading`, the newest value in its message) and its `raised_at` (the
  escalation clock) stays. A value more severe than every open alert of its code raises a new
  alert (see `repeated_by`). Once acknowledged, the next value raises a new alert. Looking
  for open alerts costs one query per call, and only when a reading raises an alert;
- marks the session ready for discharge (or not) from the readings that now stand;
- writes one audit entry `treatments.session.vitals_recorded` naming every reading and alert.

The alerts of a reading depend only on that reading, the limits, the pre-dose baseline and
the open alerts, so a batch raises and repeats exactly the alerts the same readings would
one by one. Two calls for one session never both raise an alert one of them should have
repeated: each runs under the session row lock its caller took, so the second finds the
first's alert open.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.clinical.vitals import (
    Alert,
    AlertLevel,
    VitalSigns,
    evaluate_reading,
    evaluate_sedation,
)
from ketacare.core.inserts import insert_rows
from ketacare.plans.models import TreatmentPlan
from ketacare.treatments.late_readings import late_refusal, notify_late_alerts
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
        session.ready_at = session.ready_at or ready_since(session, now)
    elif not decision.allowed and session.status == SessionStatus.READY:
        session.status = SessionStatus.MONITORING


def ready_since(session: TreatmentSession, now: datetime) -> datetime:
    """The first moment a session found fit to leave at `now` (and not marked ready before)
    was fit to leave: the "would have been ready" time (`ready_at`).

    Readiness depends on the clock only through the observation minimum: everything else
    (readings and their times, scores, open alerts) changes only when the record does, and
    every change of the record judges readiness again (a reading, a correction, an
    acknowledgement, an alert raised or closed). So a session that is fit now and was not
    when its record last changed became fit when its minimum observation time was reached —
    not at the next reading, the watch pass or the discharge that happened to notice. The
    escort is left aside (`ready_at` is clinical fitness to leave).

    Returns the later of that moment and the record's last change, never after `now`."""
    from django.db.models import Max

    from ketacare.treatments.state import session_protocol

    start = session.observation_started_at
    if start is None:
        return now
    floor = start + timedelta(minutes=session_protocol(session).monitoring.min_observation_min)
    if floor >= now:
        return now
    changes = [
        VitalReading.objects.filter(session=session).aggregate(at=Max("recorded_at"))["at"],
        *SessionAlert.objects.filter(session=session)
        .aggregate(raised=Max("raised_at"), acknowledged=Max("acknowledged_at"))
        .values(),
    ]
    last = max((c for c in changes if c is not None), default=None)
    return min(now, max(floor, last) if last is not None else floor)


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
    after_close: bool = False,
) -> list[Stored]:
    """Store `new` for the locked `session` with their alerts (see the module docstring).
    `after_close`: a monitor's readings may also join a session the patient has left, if
    taken before they left (`late_readings`); their alerts go to staff at once."""
    late = session.status not in MONITORED
    if late and (not after_close or any(late_refusal(session, item.taken_at) for item in new)):
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
    found = [(row, alerts_for(row, pic.baseline, limits)) for row in rows]
    # Only a reading that raises something looks for open alerts: one query for the batch.
    codes = {a.code for _, raised in found for a in raised}
    open_by_code = open_alerts(session, codes) if codes else {}
    stored = []
    repeated: dict[int, SessionAlert] = {}  # open alerts already stored that these repeat
    for row, raised in found:
        alerts = []
        for a in raised:
            same_code = open_by_code.setdefault(a.code, [])
            target = repeated_by(same_code, a.level)
            if target is not None:
                repeat(target, row, a, _zone(session))
                if target.pk is not None:
                    repeated[target.pk] = target
                continue
            alert = SessionAlert(
                session=session,
                reading=row,
                code=a.code,
                level=str(a.level),
                field=a.field,
                message=a.message,
                source=a.source,
                raised_at=now,
                limits_used=limits_used,
                last_reading=row,
                last_value_at=row.taken_at,
            )
            same_code.append(alert)
            alerts.append(alert)
        stored.append(Stored(row, alerts))
    SessionAlert.objects.bulk_create([a for s in stored for a in s.alerts])
    if late:
        notify_late_alerts(session, [a for s in stored for a in s.alerts], now)
    for alert in repeated.values():
        # Only the repeat's own columns: an escalation claiming the alert meanwhile (it takes
        # no session lock) keeps its escalated_at/escalated_to.
        SessionAlert.objects.filter(pk=alert.pk).update(
            repeat_count=alert.repeat_count,
            last_reading=alert.last_reading,
            last_value_at=alert.last_value_at,
            message=alert.message,
        )
    readings = sorted([*standing, *rows], key=lambda r: (r.taken_at, r.pk))
    before = (session.status, session.ready_at)
    refresh_ready(session, now, readings, monitoring)
    if (session.status, session.ready_at) != before:
        session.save(update_fields=["status", "ready_at"])
    detail: dict[str, Any] = (
        {"reading": rows[0].pk} if len(rows) == 1 else {"readings": [r.pk for r in rows]}
    )
    detail["alerts"] = [a.code for s in stored for a in s.alerts]
    if late:
        detail["after_patient_left"] = True
    if repeated:
        detail["alerts_repeated"] = sorted(repeated)
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


# Alert levels from the least to the most severe (`AlertLevel` is declared in that order).
SEVERITY = {str(level): rank for rank, level in enumerate(AlertLevel)}


def open_alerts(session: TreatmentSession, codes: set[str]) -> dict[str, list[SessionAlert]]:
    """The session's open alerts of these codes raised by readings (a "vitals overdue"
    alert, `due_at`, is about a time, not a value, and is never repeated), oldest first, with
    the reading that raised each (its value is quoted as the first)."""
    found: dict[str, list[SessionAlert]] = {}
    rows = (
        SessionAlert.objects.filter(
            session=session, acknowledged_at__isnull=True, due_at__isnull=True, code__in=codes
        )
        .select_related("reading")
        .order_by("raised_at", "pk")
    )
    for alert in rows:
        found.setdefault(alert.code, []).append(alert)
    return found


def repeated_by(same_code: list[SessionAlert], level: str) -> SessionAlert | None:
    """The open alert a new value of this code and level repeats, or None for a new alert.

    The open alert of the same level takes it; failing that, a less severe value repeats
    the more severe open alert (SpO2 back from 85 to 90 % while "critical" is open is still
    that episode). A value more severe than every open alert of its code is a new alert on its
    own clock, seen on the board as a new entry and escalated in its own right: upgrading the
    level of the open alert would keep a clock that may already have run out — an alert
    escalated as a warning is never escalated again, so the prescriber would not hear of the
    worsening — and would change an entry the nurse has already seen.
    (BP needs no level here: warning and critical are two codes, `bp_high` and
    `bp_critical`, so a BP crossing 200/120 raises `bp_critical` anyway.)"""
    rank = SEVERITY.get(level, 0)
    same = [a for a in same_code if a.level == level]
    if same:
        return same[-1]
    higher = [a for a in same_code if SEVERITY.get(a.level, 0) > rank]
    if higher:
        return max(higher, key=lambda a: (SEVERITY.get(a.level, 0), a.raised_at))
    return None


def repeat(alert: SessionAlert, row: VitalReading, raised: Alert, zone: ZoneInfo) -> None:
    """Count `row` as a repeat of the open `alert`. The newest value by the time it was taken
    goes in the message (a resent older reading counts but does not replace it)."""
    alert.repeat_count += 1
    base = _REPEATS.sub("", alert.message)
    if alert.last_value_at is None or row.taken_at >= alert.last_value_at:
        alert.last_reading, alert.last_value_at = row, row.taken_at
        base = raised.message
    since = timezone.localtime(alert.raised_at, zone).strftime("%H:%M")
    times = "time" if alert.repeat_count == 1 else "times"
    first = value_text(alert.reading, alert.field)
    alert.message = f"{base} (repeated {alert.repeat_count} {times} since {since}" + (
        f"; first {first})" if first else ")"
    )


# What `repeat` appends to a message (taken off before the count is written again).
_REPEATS = re.compile(r" \(repeated \d+ times? since \d\d:\d\d(; first [^)]*)?\)$")


def value_text(reading: VitalReading | None, field_name: str) -> str:
    """A reading's value of an alert's field as the message quotes it ("91 %", "186/104")."""
    if reading is None:
        return ""
    if field_name in ("systolic_mmhg", "diastolic_mmhg"):
        if reading.systolic_mmhg is None:
            return ""
        return f"{reading.systolic_mmhg}/{reading.diastolic_mmhg}"
    value = getattr(reading, field_name, None)
    if value is None:
        return ""
    unit = {"spo2_pct": " %", "heart_rate_bpm": "/min", "resp_rate_per_min": "/min"}
    return f"{value}{unit.get(field_name, '')}"


def _zone(session: TreatmentSession) -> ZoneInfo:
    """The clinic's time zone for "since 10:04": read by `lock_session`, or from the clinic
    the caller loaded with the session."""
    name = getattr(session, "clinic_time_zone", None)
    if name is None:
        clinic: Clinic = session.clinic
        name = clinic.time_zone
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):  # an unknown zone name: the server's, as clinic_zone does
        return ZoneInfo(str(timezone.get_current_timezone()))


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
    clinic = Clinic._meta.db_table
    return (
        f"SELECT s.*, p.protocol_code AS plan__protocol_code, "  # noqa: S608  (model table names)
        f"p.protocol_version AS plan__protocol_version, "
        f"p.protocol_changes AS plan__protocol_changes, "
        f"(SELECT m.{connection.ops.quote_name('values')} FROM {settings} m "
        f"WHERE m.clinic_id = s.clinic_id) AS clinic_monitoring_values, "
        f"(SELECT c.time_zone FROM {clinic} c WHERE c.id = s.clinic_id) AS clinic_time_zone "
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
