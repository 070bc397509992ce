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
(`clinical.vitals.bp_check_due`), closed by the next BP; acknowledged without a BP, raised
again the clinic's repeat time (`repeat_after_min`) after the acknowledgement, until a BP is
recorded (`_bp_check_slot`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q, Subquery
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
            last_overdue_ack=Subquery(
                SessionAlert.objects.filter(
                    session_id=OuterRef("pk"), code=OVERDUE, acknowledged_at__isnull=False
                )
                .order_by("-acknowledged_at")
                .values("acknowledged_at")[:1]
            ),
            has_open_overdue=Exists(
                SessionAlert.objects.filter(
                    session_id=OuterRef("pk"), code=OVERDUE, acknowledged_at__isnull=True
                )
            ),
            last_bp_check_ack=Subquery(
                SessionAlert.objects.filter(
                    session_id=OuterRef("pk"), code=BP_CHECK, acknowledged_at__isnull=False
                )
                .order_by("-acknowledged_at")
                .values("acknowledged_at")[:1]
            ),
            has_open_bp_check=Exists(
                SessionAlert.objects.filter(
                    session_id=OuterRef("pk"), code=BP_CHECK, acknowledged_at__isnull=True
                )
            ),
        )
    )
    clinics: dict[int, ClinicMonitoring] = {}
    waiting: list[TreatmentSession] = []
    for session in sessions:
        if not session.limits_used and session.clinic_id not in clinics:
            clinics[session.clinic_id] = clinic_monitoring(session.clinic_id)
        monitoring = session_monitoring(session, clinics.get(session.clinic_id))
        due = _due(session, monitoring)
        if due is not None and due < now:
            slot = _missed_slot(session, monitoring, due, now)
            if slot is not None and _raise(session, slot, now, OVERDUE, first_due=due):
                done += 1
        check = _bp_check(session, monitoring)
        if check is not None and check < now:
            slot = _bp_check_slot(session, monitoring, check, now)
            if slot is not None and _raise(session, slot, now, BP_CHECK, first_due=check):
                done += 1
        if session.status == SessionStatus.MONITORING and _minimum_reached(session, now):
            waiting.append(session)
    # After the alerts of this pass (an alert raised just now holds discharge).
    return done + sum(_mark_ready(session, now) for session in waiting)


def _missed_slot(
    session: TreatmentSession, monitoring: ClinicMonitoring, due: datetime, now: datetime
) -> datetime | None:
    """The due time of the overdue alert to raise now, or None (one is open, or none is due).

    Vitals are due every interval: the first alert is for `due` (the interval after the last
    BP). An alert acknowledged without a BP taken since (say "Reviewed: no action needed")
    must not silence the interval for the rest of the session: once a whole interval of the
    schedule has passed after the acknowledgement with still no BP, a new alert is raised for
    that missed time. One at a time: while an overdue alert of the session is open it stands
    for every missed interval (and is escalated if nobody answers it)."""
    if session.has_open_overdue:  # type: ignore[attr-defined]  # annotated by the caller
        return None
    acknowledged = session.last_overdue_ack  # type: ignore[attr-defined]  # annotated too
    if acknowledged is None or acknowledged < due:
        return due
    interval = vitals_interval(session, session_protocol(session), monitoring.vitals_interval_min)
    if not interval:
        return None
    # The first time on the schedule (due, due + interval, ...) after the acknowledgement.
    step = timedelta(minutes=interval)
    slot = due + step * (int((acknowledged - due) / step) + 1)
    return slot if slot < now else None


def _bp_check_slot(
    session: TreatmentSession, monitoring: ClinicMonitoring, check: datetime, now: datetime
) -> datetime | None:
    """The due time of the "BP check overdue" alert to raise now, or None.

    The label times this BP (esketamine ~40 min after the first device, clinical.md §6b
    [LABEL] S4, S9; the REMS form records it, §6d), so acknowledging the alert without taking
    it must not end the matter (the board's next-vitals time alone stays red): the first alert
    is for the check's time; after an acknowledgement with still no BP, it is raised again the
    clinic's repeat time later (`repeat_after_min`, clinical.md §9 "repeat in 5 min"
    [PRACTICE] P2), and so on until a BP is recorded. One at a time, as for "vitals overdue"
    (`_missed_slot`): while one is open it stands for the check."""
    if session.has_open_bp_check:  # type: ignore[attr-defined]  # annotated by the caller
        return None
    acknowledged = session.last_bp_check_ack  # type: ignore[attr-defined]  # annotated too
    if acknowledged is None or acknowledged < check:
        return check
    slot = acknowledged + timedelta(minutes=monitoring.limits.repeat_after_min)
    return slot if slot < now else None


def _minimum_reached(session: TreatmentSession, now: datetime) -> bool:
    start = session.observation_started_at
    if start is None:
        return False
    minimum = session_protocol(session).monitoring.min_observation_min
    return start + timedelta(minutes=minimum) <= now


def _mark_ready(session: TreatmentSession, now: datetime) -> int:
    """A session in monitoring whose minimum observation time has passed is judged again: the
    clock alone can make a patient fit to leave (all else was met before the minimum), and
    the board must say "Ready for discharge" then, not at the next reading. `ready_at` is the
    moment it happened (`readings.ready_since`), not this pass's."""
    with transaction.atomic():
        locked = (
            TreatmentSession.objects.select_for_update(of=("self",))
            .select_related("plan", "clinic")
            .filter(pk=session.pk, status=SessionStatus.MONITORING, locked_at__isnull=True)
            .first()
        )
        if locked is None:  # discharged, transferred or marked ready meanwhile
            return 0
        refresh_ready(locked, now)
        if locked.status != SessionStatus.READY:
            return 0
        locked.save(update_fields=["status", "ready_at"])
        record(
            WATCH,
            "treatments.session.marked_ready",
            object_type="session",
            object_id=locked.pk,
            patient_id=locked.patient_id,
            clinic_id=locked.clinic_id,
            detail={"ready_at": locked.ready_at.isoformat() if locked.ready_at else None},
        )
    return 1


def _clock(session: TreatmentSession, moment: datetime) -> datetime:
    return timezone.localtime(moment, clinic_zone(session.clinic))


def _message(code: str, local: datetime, minutes: int, again: bool = False) -> tuple[str, str]:
    if code == BP_CHECK:
        return (
            f"BP check overdue{' again' if again else ''}: the blood pressure the label times "
            f"for {local:%H:%M} (~40 min after the first device) is not recorded "
            f"({minutes} min late"
            f"{'; acknowledged before without a BP' if again else ''}). Take it now.",
            "Esketamine label: BP pre-dose and ~40 min post-dose; clinical.md §6b [LABEL] S4, S9",
        )
    return (
        f"Vitals overdue: due at {local:%H:%M}, no blood pressure recorded since "
        f"({minutes} min late). Take a full set now.",
        "Protocol monitoring profile; clinical.md §7e, §9 [PRACTICE]",
    )


def _raise(
    session: TreatmentSession,
    due: datetime,
    now: datetime,
    code: str,
    first_due: datetime | None = None,
) -> bool:
    """Raise `code` for `due` (unique per session, code and due time). `first_due`: when the
    vitals were first due, if `due` is a later missed interval (the message counts from it)."""
    since = first_due or due
    minutes = int((now - since).total_seconds() // 60)
    # On the clinic's wall clock (the worker runs in the server's zone).
    message, source = _message(code, _clock(session, since), minutes, again=due != since)
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
        code__in=[OVERDUE, BP_CHECK],
        acknowledged_at__isnull=True,
        due_at__isnull=False,
        # A signed and locked session is immutable (addenda only): its alerts stay as signed.
        session__locked_at__isnull=True,
    ).select_related("session__clinic", "session__plan")
    for alert in open_alerts:
        assert alert.due_at is not None  # filtered above
        if alert.code == BP_CHECK:
            early = session_monitoring(alert.session).bp_check_early_min
            answers = alert.session.readings.filter(
                taken_at__gte=_check_time(alert.session, alert.due_at) - timedelta(minutes=early),
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


def _check_time(session: TreatmentSession, due: datetime) -> datetime:
    """The label-timed check a "BP check overdue" alert is about: its own due time, or for an
    alert raised again after an acknowledgement (`_bp_check_slot`) the latest check time
    before it, so any BP from shortly before that check answers it."""
    since = session.observation_started_at or session.dosing_started_at
    if since is None:
        return due
    times = [
        since + timedelta(minutes=minute)
        for minute in session_protocol(session).monitoring.bp_check_times_min
        if minute > 0 and since + timedelta(minutes=minute) <= due
    ]
    return max(times, default=due)
