"""Escalation: an alert nobody acknowledged within the clinic's minutes goes to the prescriber
on duty, in the app (`StaffNotice`) and by the notify backend (email, with retries).

Exactly once: the watcher claims each alert with a conditional UPDATE … WHERE escalated_at IS
NULL AND acknowledged_at IS NULL; only the worker whose update touched the row writes the notice,
queues the message and audits, all in the claim's transaction. A worker that dies before the
commit leaves the alert unclaimed and the next pass (on any worker) escalates it. The minutes are
the session's (`limits.escalation_min`, clinical.md §9 suggested behaviour [PRACTICE]). The
alerts of one session due in the same pass are claimed together and make one notice and one
email (the most severe leads, the others are counted).
Registered in `core.watch.WATCHERS`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Membership, Role, User
from ketacare.measures.scheduling import clinic_zone
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel, NotificationLog
from ketacare.scheduling.models import StaffHours
from ketacare.treatments.limits import ClinicMonitoring, clinic_monitoring
from ketacare.treatments.models import (
    CLOSED_SESSION_STATUSES,
    SessionAlert,
    StaffNotice,
    TreatmentSession,
)
from ketacare.treatments.state import session_monitoring

WATCH = Actor(label="watch:alert-escalation")
logger = logging.getLogger("ketacare.schedule")


def prescriber_on_duty(session: TreatmentSession, now: datetime) -> User | None:
    """Who is called: an active prescriber of the clinic working now (staff hours), preferring
    the one who cleared this session's hold, then the plan's prescriber; with nobody on the
    hours, the plan's prescriber if still active, else any active prescriber."""
    prescribers = {
        m.user_id: m.user
        for m in Membership.objects.filter(
            clinic_id=session.clinic_id, role=Role.PRESCRIBER, is_active=True, user__is_active=True
        ).select_related("user")
    }
    if not prescribers:
        return None
    local = timezone.localtime(now, clinic_zone(session.clinic))
    working = set(
        StaffHours.objects.filter(
            clinic_id=session.clinic_id,
            user_id__in=prescribers,
            weekday=local.weekday(),
            starts__lte=local.time(),
            ends__gt=local.time(),
        ).values_list("user_id", flat=True)
    )
    preferred = [session.hold_cleared_by_id, session.plan.signed_by_id]
    for user_id in preferred:
        if user_id in working:
            return prescribers[user_id]
    if working:
        return prescribers[min(working)]
    for user_id in preferred:
        if user_id in prescribers:
            return prescribers[user_id]
    return prescribers[min(prescribers)]


def escalate_unacknowledged(now: datetime | None = None) -> int:
    """Escalate every open alert older than its session's minutes; returns how many.

    The alerts of one session due in the same pass go in one notice and one email (a monitor
    posting an out-of-range value every few seconds raises an alert per reading; the
    prescriber is called to the chair once, not once per reading)."""
    now = now or timezone.now()
    candidates = (
        SessionAlert.objects.filter(
            acknowledged_at__isnull=True,
            escalated_at__isnull=True,
            raised_at__lte=now - timedelta(minutes=1),
        )
        .exclude(session__status__in=CLOSED_SESSION_STATUSES)
        .select_related("session__clinic", "session__plan", "session__appointment__resource")
        .order_by("raised_at", "pk")
    )
    clinics: dict[int, ClinicMonitoring] = {}
    due: dict[int, tuple[TreatmentSession, int, list[SessionAlert]]] = {}
    for alert in candidates:
        session = alert.session
        if not session.limits_used and session.clinic_id not in clinics:
            clinics[session.clinic_id] = clinic_monitoring(session.clinic_id)
        minutes = session_monitoring(session, clinics.get(session.clinic_id)).escalation_min
        if alert.raised_at > now - timedelta(minutes=minutes):
            continue
        due.setdefault(session.pk, (session, minutes, []))[2].append(alert)
    done = 0
    for session, minutes, alerts in due.values():
        # The most severe leads the message, then the oldest.
        alerts.sort(key=lambda a: (a.level != "critical", a.raised_at, a.pk))
        done += _escalate_group(alerts, session, minutes, now)
    return done


def _escalate(alert: SessionAlert, session: TreatmentSession, minutes: int, now: datetime) -> bool:
    return _escalate_group([alert], session, minutes, now) > 0


def _escalate_group(
    alerts: list[SessionAlert], session: TreatmentSession, minutes: int, now: datetime
) -> int:
    """Claim `alerts` (one session's) and call the prescriber once; how many were claimed."""
    prescriber = prescriber_on_duty(session, now)
    if prescriber is None:
        # Nobody to call: left unclaimed (the board must not say "escalated"), tried again on
        # every pass until the clinic has an active prescriber.
        logger.warning(
            "clinic %s has no active prescriber: %d alert(s) of session %s not escalated",
            session.clinic_id,
            len(alerts),
            session.pk,
        )
        return 0
    with transaction.atomic():
        # The session row first, as every action at the chair takes it before an alert: a
        # claim holding the alerts while waiting for the session (its notice refers to it)
        # deadlocked with a nurse acknowledging or repeating one of them at that moment.
        TreatmentSession.objects.select_for_update().filter(pk=session.pk).exists()
        ids = [a.pk for a in alerts]
        claimed = SessionAlert.objects.filter(
            pk__in=ids, escalated_at__isnull=True, acknowledged_at__isnull=True
        ).update(escalated_at=now, escalated_to=prescriber)
        if not claimed:  # acknowledged meanwhile, or another worker has them
            return 0
        # Those this claim took (the conditional UPDATE is the claim; an alert acknowledged or
        # taken by another worker meanwhile is left out).
        taken = set(
            SessionAlert.objects.filter(pk__in=ids, escalated_at=now).values_list("pk", flat=True)
        )
        mine = [a for a in alerts if a.pk in taken]
        alert = mine[0]
        chair = session.appointment.resource.name if session.appointment.resource else "a chair"
        late = int((now - alert.raised_at).total_seconds() // 60)
        more = len(mine) - 1
        message = (
            f"{alert.level.upper()} alert on {chair} not acknowledged for {late} min "
            f"(limit {minutes} min): {alert.message}"
            + (f" And {more} more unacknowledged alert(s) on this chair." if more else "")
        )
        log_id = None
        if prescriber is not None:
            StaffNotice.objects.create(
                clinic_id=session.clinic_id,
                user=prescriber,
                session=session,
                alert=alert,
                message=message,
                created_at=now,
            )
            if prescriber.email:
                log_id = _queue_email(prescriber, session, chair, late).pk
        record(
            WATCH,
            "treatments.alert.escalated",
            object_type="session",
            object_id=session.pk,
            patient_id=session.patient_id,
            clinic_id=session.clinic_id,
            detail={
                "alert": alert.pk,
                "code": alert.code,
                "alerts": [a.pk for a in mine],
                "to": prescriber.pk if prescriber else None,
                "minutes": minutes,
                "notification": log_id,
            },
        )
        if log_id is not None:
            queued = log_id
            transaction.on_commit(lambda: _enqueue_delivery(queued))
    return claimed


def _queue_email(
    prescriber: User, session: TreatmentSession, chair: str, late: int
) -> NotificationLog:
    # No patient details by email: the link leads to the signed-in board.
    url = settings.KETACARE_BASE_URL + reverse("chairs:notices")
    return queue_notification(
        channel=Channel.EMAIL,
        to=prescriber.email,
        subject=f"Unacknowledged chair alert at {session.clinic.name}",
        body=(
            f"An alert on {chair} at {session.clinic.name} has not been acknowledged for "
            f"{late} minutes. Please go to the chair now.\n\nDetails (sign-in required):\n{url}\n"
        ),
        purpose="treatments.alert_escalated",
        reference=f"session:{session.pk}",
        clinic=session.clinic,
    )


def _enqueue_delivery(log_id: int) -> None:
    from ketacare.measures.tasks import send_notification

    send_notification.enqueue(log_id)
