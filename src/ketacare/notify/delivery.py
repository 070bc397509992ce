"""Queueing and delivering notifications, with claims and retries.

`queue_notification` writes the log row (call it inside the transaction that made the message
necessary). `deliver(log_id)` claims the row with a conditional UPDATE — queued, or failed and
due for another try — so when two workers pick up the same message only one sends it. A failed
attempt is recorded (error, attempts) and scheduled again with exponential backoff until
`max_attempts`; then the row stays "failed" with no next attempt, for staff to see.
`release_stale` and `due_for_retry` let a periodic sweep recover messages whose task was lost
or whose worker died mid-send (delivery is at-least-once in that one case).

A message about a risk flag (reference "riskflag:<id>") that is claimed after the flag was
acknowledged or resolved is not sent ("not yet acknowledged" would be false, and it would wake
someone for nothing): it is left "failed" with no next attempt, the reason in `error`, and an
audit entry (`notify.message.withdrawn`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.notify.models import Channel, NotificationLog, NotificationStatus
from ketacare.notify.send import send_email, send_sms
from ketacare.patients.models import Patient

logger = logging.getLogger("ketacare.notify")

# 1, 4, 16, 64 minutes between the five attempts: covers a gateway outage of about an hour
# and a half without hammering it.
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_FACTOR = 4
MAX_ATTEMPTS = 5
# A queued message whose task never ran (enqueue lost) is picked up by the sweep after this.
QUEUED_GRACE = timedelta(minutes=5)
# A message "sending" for longer than this belongs to a worker that died.
SENDING_TIMEOUT = timedelta(minutes=15)
SYSTEM = Actor(label="ketacare-delivery")
RISK_FLAG_REFERENCE = "riskflag:"


def queue_notification(
    *,
    channel: str,
    to: str,
    body: str,
    purpose: str,
    subject: str = "",
    reference: str = "",
    patient: Patient | None = None,
    clinic: Clinic | None = None,
    headers: dict[str, str] | None = None,
) -> NotificationLog:
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    return NotificationLog.objects.create(
        channel=channel,
        to=to,
        subject=subject[:200],
        body=body,
        purpose=purpose,
        reference=reference,
        patient=patient,
        clinic=clinic,
        max_attempts=MAX_ATTEMPTS,
        headers=headers or {},
    )


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt."""
    return BACKOFF_FIRST * BACKOFF_FACTOR ** max(attempts - 1, 0)


def _claimable(now: datetime) -> Q:
    retry_due = Q(
        status=NotificationStatus.FAILED,
        next_attempt_at__lte=now,
        attempts__lt=F("max_attempts"),
    )
    return Q(status=NotificationStatus.QUEUED) | retry_due


def deliver(log_id: int, now: datetime | None = None) -> NotificationLog | None:
    """Send one message if it is still ours to send. None: another worker has (or had) it."""
    now = now or timezone.now()
    claimed = (
        NotificationLog.objects.filter(pk=log_id)
        .filter(_claimable(now))
        .update(
            status=NotificationStatus.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
        )
    )
    if not claimed:
        return None
    log = NotificationLog.objects.get(pk=log_id)
    reason = _no_longer_needed(log)
    if reason:
        _withdraw(log, reason)
        return log
    try:
        if log.channel == Channel.EMAIL:
            send_email(log.to, log.subject, log.body, headers=log.headers)
        else:
            send_sms(log.to, log.body)
    except Exception as problem:  # any failure outside is recorded, not raised
        log.status = NotificationStatus.FAILED
        log.error = f"{type(problem).__name__}: {problem}"[:500]
        if log.attempts < log.max_attempts:
            log.next_attempt_at = now + backoff(log.attempts)
        else:
            log.next_attempt_at = None
            log.body, log.headers = "", {}
        # Only while the claim is still ours: a send that hung past SENDING_TIMEOUT was
        # released and may have been sent (or be sending) by another worker since.
        if not _record(
            log,
            ["status", "error", "next_attempt_at", "body", "headers"],
            Q(status=NotificationStatus.SENDING, attempts=log.attempts),
        ):
            return log
        logger.warning(
            "notification %s (%s) failed on attempt %s of %s: %s",
            log.pk,
            log.channel,
            log.attempts,
            log.max_attempts,
            type(problem).__name__,
        )
        return log
    log.status = NotificationStatus.SENT
    log.sent_at = timezone.now()
    log.error = ""
    log.body, log.headers = "", {}
    log.next_attempt_at = None
    # A success counts even after a release (so no other worker sends it again), unless the
    # message is already recorded as sent.
    _record(
        log,
        ["status", "sent_at", "error", "body", "headers", "next_attempt_at"],
        ~Q(status=NotificationStatus.SENT),
    )
    return log


def _no_longer_needed(log: NotificationLog) -> str:
    """Why the message must not go out now; "" to send it. Only risk-flag messages have such a
    reason: the flag was acknowledged or resolved since the message was queued."""
    if not log.reference.startswith(RISK_FLAG_REFERENCE):
        return ""
    from ketacare.safety.models import FlagStatus, RiskFlag  # safety imports notify

    flag_id = log.reference.removeprefix(RISK_FLAG_REFERENCE)
    if not flag_id.isdigit():
        return ""
    status = RiskFlag.objects.filter(pk=int(flag_id)).values_list("status", flat=True).first()
    # A flag not found (a reference written by hand) is not known to be closed: a safety
    # message is withheld only when the flag is known to need it no more.
    if status is None or status == FlagStatus.OPEN:
        return ""
    return (
        f"Not sent: the risk flag was {FlagStatus(status).label.lower()} before this message "
        "went out, so it was no longer needed."
    )


def _withdraw(log: NotificationLog, reason: str) -> None:
    """Record the claimed `log` as not sent (`reason`), with no next attempt, and audit it.
    Nothing was attempted, so the claim's attempt is given back."""
    claimed_attempts = log.attempts
    log.status = NotificationStatus.FAILED
    log.error = reason[:500]
    log.next_attempt_at = None
    log.body, log.headers = "", {}
    log.attempts = max(claimed_attempts - 1, 0)
    with transaction.atomic():
        if not _record(
            log,
            ["status", "error", "next_attempt_at", "body", "headers", "attempts"],
            Q(status=NotificationStatus.SENDING, attempts=claimed_attempts),
        ):
            return
        record(
            SYSTEM,
            "notify.message.withdrawn",
            object_type="notification",
            object_id=log.pk,
            patient_id=log.patient_id,
            clinic_id=log.clinic_id,
            detail={"channel": log.channel, "reference": log.reference, "reason": log.error},
        )
    logger.info("notification %s (%s) not sent: %s", log.pk, log.reference, reason)


def _record(log: NotificationLog, fields: list[str], condition: Q) -> bool:
    """Write the attempt's outcome if `condition` still holds for the row."""
    written = (
        NotificationLog.objects.filter(pk=log.pk)
        .filter(condition)
        .update(**{field: getattr(log, field) for field in fields})
    )
    if not written:
        logger.warning(
            "notification %s: outcome of attempt %s not recorded (the row moved on meanwhile)",
            log.pk,
            log.attempts,
        )
        log.refresh_from_db()
    return bool(written)


def release_stale(now: datetime | None = None) -> int:
    """Messages stuck in "sending" (their worker died) become failed and due again; one that
    was on its last attempt is given up, visibly (it may or may not have gone out)."""
    now = now or timezone.now()
    stale = NotificationLog.objects.filter(
        status=NotificationStatus.SENDING, last_attempt_at__lte=now - SENDING_TIMEOUT
    )
    retried = stale.filter(attempts__lt=F("max_attempts")).update(
        status=NotificationStatus.FAILED,
        error="Interrupted while sending (the worker stopped); trying again.",
        next_attempt_at=now,
    )
    given_up = stale.filter(attempts__gte=F("max_attempts")).update(
        status=NotificationStatus.FAILED,
        error="Interrupted while sending on the last attempt (the worker stopped); "
        "it may not have been delivered.",
        next_attempt_at=None,
        body="",
        headers={},
    )
    if given_up:
        logger.warning("%s notification(s) interrupted on their last attempt: given up", given_up)
    return retried + given_up


def due_for_retry(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of messages a sweep should hand to the delivery task again."""
    now = now or timezone.now()
    lost = Q(status=NotificationStatus.QUEUED, created_at__lte=now - QUEUED_GRACE)
    retry = Q(
        status=NotificationStatus.FAILED,
        next_attempt_at__lte=now,
        attempts__lt=F("max_attempts"),
    )
    return list(
        NotificationLog.objects.filter(lost | retry)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
