""" "Vitals overdue": the watch pass raises an alert when a monitored session's interval has
passed without a blood pressure, and closes it once one arrives. The interval times the BP
(IV: "BP every 10 min during the infusion and every 15 min after", clinical.md §7e [EVIDENCE]
S37), so a monitor streaming SpO2 alone, or a score typed alone, does not answer it.

The interval is the protocol's (its monitoring profile), capped by the clinic's longest gap
(`treatments.limits`, clinical.md §7e, §9). One alert per session and due time: the unique
constraint `alert_one_per_due_time` is the claim, so two workers (or a restart mid-pass) never
raise it twice. Registered in `core.watch.WATCHERS`.

"BP check overdue" is the same for the protocol's label-timed blood pressures (esketamine: ~40
min after the first device, clinical.md §6b [LABEL] S4, S9), which the label sets instead of an
interval: raised when the check's time passes with no BP since shortly before it
(`clinical.vitals.bp_check_due`), closed by the next BP.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.clinical.vitals import (
    AlertLevel,
    bp_check_due,
    next_vitals_due,
)
from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments.limits import ClinicMonitoring, clinic_monitoring
from ketacare.treatments.models import (
    AlertAction,
    ReadingPhase,
    SessionAlert,
    SessionStatus,
    TreatmentSession,
)
from ketacare.treatments.readings import refresh_ready
from ketacare.treatments.state import session_monitoring, session_protocol, vitals_interval

logger = logging.getLogger("ketacare.schedule")
WATCH = Actor(label="watch:vitals-overdue")
OVERDUE = "vitals_overdue"
BP_CHECK = "bp_check_overdue"
MONITORED = (SessionStatus.DOSING, SessionStatus.MONITORING, SessionStatus.READY)


def _due(session: TreatmentSession, monitoring: ClinicMonitoring) -> datetime | None:
    since = session.observation_started_at or session.dosing_started_at
    if since is None:
        return None
    interval = vitals_interval(session, session_protocol(session), monitoring.vitals_interval_min)
    last = getattr(session, "last_bp_at", None)
    return next_vitals_due(last, since, interval)


def _bp_check(session: TreatmentSession, monitoring: ClinicMonitoring) -> datetime | None:
    since = session.observation_started_at or session.dosing_started_at
    if since is None:
        return None
    checks = session_protocol(session).monitoring.bp_check_times_min
    return bp_check_due(
        since, checks, getattr(session, "last_bp_at", None), monitoring.bp_check_early_min
    )


def raise_overdue_vitals(now: datetime | None = None) -> int:
    """Raise every overdue alert now due, close those a reading has answered; returns how
    many alerts were raised or closed by this call."""
    now = now or timezone.now()
    done = _close_answered(now)
    sessions = (
        TreatmentSession.objects.filter(status__in=MONITORED)
        .select_related("plan", "clinic")
        .annotate(
            last_bp_at=Max(
                "readings__taken_at",
                filter=Q(
                    readings__phase=ReadingPhase.DURING, readings__systolic_mmhg__isnull=False
                ),
            ),
        )
    )
    clinics: dict[int, ClinicMonitoring] = {}
    for session in sessions:
        if not session.limits_used and session.clinic_id not in clinics:
            clinics[session.clinic_id] = clinic_monitoring(session.clinic_id)
        monitoring = session_monitoring(session, clinics.get(session.clinic_id))
        due = _due(session, monitoring)
        if due is not None and due < now and _raise(session, due, now, OVERDUE):
            done += 1
        check = _bp_check(session, monitoring)
        if check is not None and check < now and _raise(session, check, now, BP_CHECK):
            done += 1
    return done


def _clock(session: TreatmentSession, moment: datetime) -> datetime:
    return timezone.localtime(moment, clinic_zone(session.clinic))


def _message(code: str, local: datetime, minutes: int) -> tuple[str, str]:
    if code == BP_CHECK:
        return (
            f"BP check overdue: the blood pressure the label times for {local:%H:%M} "
            f"(~40 min after the first device) is not recorded ({minutes} min late). "
            "Take it now.",
            "Esketamine label: BP pre-dose and ~40 min post-dose; clinical.md §6b [LABEL] S4, S9",
        )
    return (
        f"Vitals overdue: due at {local:%H:%M}, no blood pressure recorded since "
        f"({minutes} min late). Take a full set now.",
        "Protocol monitoring profile; clinical.md §7e, §9 [PRACTICE]",
    )


def _raise(session: TreatmentSession, due: datetime, now: datetime, code: str) -> bool:
    minutes = int((now - due).total_seconds() // 60)
    # On the clinic's wall clock (the worker runs in the server's zone).
    message, source = _message(code, _clock(session, due), minutes)
    try:
        with transaction.atomic():
            alert = SessionAlert.objects.create(
                session=session,
                code=code,
                level=str(AlertLevel.WARNING),
                field="systolic_mmhg",
                message=message,
                source=source,
                raised_at=now,
                due_at=due,
            )
            # An open alert holds discharge: a session shown ready goes back to monitoring
            # (conditional, so a nurse's reading stored meanwhile is never overwritten).
            TreatmentSession.objects.filter(pk=session.pk, status=SessionStatus.READY).update(
                status=SessionStatus.MONITORING
            )
            record(
                WATCH,
                f"treatments.session.{code}",
                object_type="session",
                object_id=session.pk,
                patient_id=session.patient_id,
                clinic_id=session.clinic_id,
                detail={"alert": alert.pk, "due_at": due.isoformat()},
            )
    except IntegrityError:  # another worker raised it first
        return False
    return True


def _close_answered(now: datetime) -> int:
    """An open overdue alert is answered by any reading taken after its due time; a BP check
    by a blood pressure taken from shortly before its time on."""
    closed = 0
    open_alerts = SessionAlert.objects.filter(
        code__in=[OVERDUE, BP_CHECK], acknowledged_at__isnull=True, due_at__isnull=False
    ).select_related("session__clinic")
    for alert in open_alerts:
        assert alert.due_at is not None  # filtered above
        if alert.code == BP_CHECK:
            early = session_monitoring(alert.session).bp_check_early_min
            answers = alert.session.readings.filter(
                taken_at__gte=alert.due_at - timedelta(minutes=early),
                systolic_mmhg__isnull=False,
            )
        else:
            answers = alert.session.readings.filter(
                taken_at__gt=alert.due_at, systolic_mmhg__isnull=False
            )
        reading = answers.order_by("taken_at", "pk").first()
        if reading is None:
            continue
        with transaction.atomic():
            # The session row before the alert, in the order every action at the chair takes
            # them: claiming the alert first and then waiting for the session deadlocked with
            # a nurse acknowledging this alert at that moment.
            session = (
                TreatmentSession.objects.select_for_update(of=("self",))
                .select_related("plan")
                .filter(pk=alert.session_id)
                .first()
            )
            claimed = SessionAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
                acknowledged_at=now,
                action=AlertAction.NONE_NEEDED,
                note=f"Answered by the reading at {_clock(alert.session, reading.taken_at):%H:%M}.",
            )
            if not claimed:
                continue
            # Closing it may leave nothing holding discharge: mark the session ready now
            # rather than at its next reading or acknowledgement.
            # (Only a session still monitored; a closed or signed one is left as it is.)
            if session is not None and session.status in MONITORED:
                before = (session.status, session.ready_at)
                refresh_ready(session, now)
                if (session.status, session.ready_at) != before:
                    session.save(update_fields=["status", "ready_at"])
            record(
                WATCH,
                f"treatments.session.{alert.code}_answered",
                object_type="session",
                object_id=alert.session_id,
                patient_id=alert.session.patient_id,
                clinic_id=alert.session.clinic_id,
                detail={"alert": alert.pk, "reading": reading.pk},
            )
            closed += 1
    return closed
