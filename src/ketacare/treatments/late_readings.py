"""Monitor readings that arrive after the patient has left.

A gateway that lost its network for a while sends its buffered readings when it is back,
sometimes after the nurse has discharged the patient (or the patient was transferred out).
A reading taken while the patient was still in the chair belongs to the record, so it is
stored (issue 6: nothing lost) — up to the moment the patient left, and only while the
session is not yet signed and locked (after that, the record takes addenda only).

Such a reading raises its alerts like any other, but no one is watching a board for a patient
who has left, and the escalation watcher passes over closed sessions. So an alert raised by a
late reading goes at once to the person who discharged (or ended) the session and to the
prescriber on duty, in the app, and to that prescriber by email (no patient details), and is
marked as escalated to that prescriber. The discharge itself stands: it was judged on the
readings there were; the alert says what came later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.measures.scheduling import clinic_zone
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel, NotificationLog
from ketacare.treatments.models import (
    SessionAlert,
    SessionStatus,
    StaffNotice,
    TreatmentSession,
    VitalReading,
)

# A closed session that still takes readings taken before its close.
LATE_STATUSES = (SessionStatus.DISCHARGED, SessionStatus.TRANSFERRED)
LATE = Actor(label="late-reading")
SHOWN = 3  # alerts spelled out in one notice; the session page lists them all


def left_at(session: TreatmentSession) -> datetime | None:
    """When the patient left: discharged, or transferred out."""
    if session.status == SessionStatus.DISCHARGED:
        return session.discharged_at
    if session.status == SessionStatus.TRANSFERRED:
        return session.ended_at
    return None


def late_reading_ids(session: TreatmentSession, readings: Iterable[VitalReading]) -> set[int]:
    """Readings stored after the patient left (a monitor's buffered readings, taken while the
    patient was still in the chair): the session page marks them, since the discharge was
    judged without them."""
    end = left_at(session)
    if end is None:
        return set()
    return {r.pk for r in readings if r.recorded_at > end}


def late_refusal(session: TreatmentSession, taken_at: datetime) -> tuple[str, str] | None:
    """Why a reading taken at `taken_at` cannot join this closed session — (the element at
    fault, `encounter` or `effectiveDateTime`; the reason) — or None if it can."""
    end = left_at(session)
    if end is None or session.dosing_started_at is None:
        return (
            "encounter",
            f"Encounter/tx-{session.pk} is not being monitored (it is "
            f"“{session.get_status_display()}”): readings are taken from the dose on.",
        )
    if session.locked_at is not None:
        return (
            "encounter",
            f"Encounter/tx-{session.pk} is signed and locked: a reading taken before the "
            "patient left is added to it by a nurse as an addendum.",
        )
    if taken_at > end:
        return (
            "effectiveDateTime",
            f"{taken_at.isoformat()} is after the patient left ({end.isoformat()}): a "
            "session takes readings only up to the moment the patient left.",
        )
    return None


def notify_late_alerts(
    session: TreatmentSession, alerts: Sequence[SessionAlert], now: datetime
) -> None:
    """Tell the person who closed the session and the prescriber on duty, at once (inside the
    caller's transaction, which stored `alerts`)."""
    from ketacare.treatments.escalation import _enqueue_delivery, prescriber_on_duty

    if not alerts:
        return
    prescriber = prescriber_on_duty(session, now)
    closer = session.discharged_by_id or session.ended_by_id
    zone = clinic_zone(session.clinic)
    end = left_at(session)
    left = f" at {timezone.localtime(end, zone):%H:%M}" if end else ""
    first = alerts[0]
    taken = f"{timezone.localtime(first.reading.taken_at, zone):%H:%M}" if first.reading else ""
    shown = " ".join(f"{a.level.upper()} {a.message}" for a in alerts[:SHOWN])
    more = f" And {len(alerts) - SHOWN} more." if len(alerts) > SHOWN else ""
    message = (
        f"Late monitor reading (taken {taken}, before the patient left{left}; received "
        f"{timezone.localtime(now, zone):%H:%M}): {shown}{more} The discharge was judged "
        "without it: review it and acknowledge the alerts on the session page."
    )
    recipients = list(dict.fromkeys(u for u in (closer, prescriber and prescriber.pk) if u))
    StaffNotice.objects.bulk_create(
        [
            StaffNotice(
                clinic_id=session.clinic_id,
                user_id=user_id,
                session=session,
                alert=first,
                message=message,
                created_at=now,
            )
            for user_id in recipients
        ]
    )
    log_id = None
    if prescriber is not None:
        SessionAlert.objects.filter(pk__in=[a.pk for a in alerts]).update(
            escalated_at=now, escalated_to=prescriber
        )
        if prescriber.email:
            log_id = _queue_email(prescriber.email, session).pk
    record(
        LATE,
        "treatments.alert.late_reading_notified",
        object_type="session",
        object_id=session.pk,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail={
            "alerts": [a.pk for a in alerts],
            "to": recipients,
            "prescriber": prescriber.pk if prescriber else None,
            "notification": log_id,
        },
    )
    if log_id is not None:
        queued = log_id
        transaction.on_commit(lambda: _enqueue_delivery(queued))


def _queue_email(to: str, session: TreatmentSession) -> NotificationLog:
    # No patient details by email: the link leads to the signed-in notices page.
    url = settings.KETACARE_BASE_URL + reverse("chairs:notices")
    return queue_notification(
        channel=Channel.EMAIL,
        to=to,
        subject=f"Late monitor reading out of range at {session.clinic.name}",
        body=(
            f"A monitor reading taken before a patient left {session.clinic.name} arrived "
            "after the discharge and is out of range. Please review it now.\n\n"
            f"Details (sign-in required):\n{url}\n"
        ),
        purpose="treatments.late_reading_alert",
        reference=f"session:{session.pk}",
        clinic=session.clinic,
    )
