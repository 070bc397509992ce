"""Correcting a vital-sign reading: the original is kept (shown struck through, with who,
when and why), a new reading takes its place, and the alerts are re-evaluated on the
corrected value — open alerts of the original are closed as superseded, the corrected
values raise their own; one of the same kind keeps the superseded alert's raised and
escalated times (the value was out of range all along). An open alert that later readings
repeated is not closed (they raised it too), and a corrected value whose code is still open
raises no second alert (`readings.repeated_by`).
Audit: `treatments.session.vitals_corrected`.

From the dose on until the session is signed and locked, any reading can be corrected:
- a pre-dose reading (a mistyped baseline would skew every "rise from baseline" alert): the
  correction is the baseline from then on; the pre-dose checks' decision stands as recorded
  and alerts already raised are not re-judged (the audit entry says so);
- a reading of a closed session (discharged, stopped or aborted, not yet signed): alerts the
  corrected values raise are kept in the record already closed ("raised by a correction after
  the session closed"), since there is no patient in the chair to act on them.
Before the dose, pre-dose vitals are corrected by recording the checks again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.treatments import actions
from ketacare.treatments.locking import lock_row
from ketacare.treatments.models import (
    CLOSED_SESSION_STATUSES,
    AlertAction,
    ReadingPhase,
    SessionAlert,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatments.readings import alerts_for, open_alerts, repeated_by
from ketacare.treatments.state import clinic_limits, current_readings, picture

# From the dose on (pre-dose vitals are corrected by recording the checks again) until signed.
CORRECTABLE = (*actions.MONITORED, *CLOSED_SESSION_STATUSES)


def do_correct_reading(
    actor: Actor,
    session: TreatmentSession,
    reading_id: Any,
    values: Mapping[str, Any],
    reason: str,
) -> VitalReading:
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("correction_reason", "Say why the reading is corrected.")
    try:
        key = int(str(reading_id))
    except ValueError:
        raise ActionError("reading", "Choose the reading to correct.") from None
    cleaned = actions.clean_vitals(values)
    now = timezone.now()
    with transaction.atomic():
        session = lock_row(session)
        if session.status not in CORRECTABLE:
            raise ActionError(
                "reading",
                "Before the dose, pre-dose vitals are corrected by recording the checks again.",
            )
        original = VitalReading.objects.select_for_update().filter(session=session, pk=key).first()
        if original is None:
            raise ActionError("reading", "No such reading on this session.")
        closed_session = session.status in CLOSED_SESSION_STATUSES
        baseline = original.phase == ReadingPhase.PRE_DOSE
        if original.corrections.exists():
            raise ActionError("reading", "This reading is already corrected.")
        corrected = VitalReading.objects.create(
            session=session,
            phase=original.phase,
            taken_at=original.taken_at,
            recorded_at=now,
            recorded_by_id=actor.user_id,
            corrects=original,
            correction_reason=reason,
            **cleaned,
        )
        # An alert later readings repeated (`readings.repeat`) stands for them too: it stays
        # open, only one the original raised alone is superseded.
        closed = list(
            SessionAlert.objects.select_for_update().filter(
                reading=original, acknowledged_at__isnull=True, repeat_count=0
            )
        )
        for alert in closed:
            alert.acknowledged_at, alert.acknowledged_by_id = now, actor.user_id
            alert.action = AlertAction.NONE_NEEDED
            alert.note = f"Reading corrected: {reason}"
            alert.save()
        pic = picture(current_readings(session))
        limits = clinic_limits(session)
        # The same rules as a new reading; a baseline raises none (it is what later readings
        # are compared with).
        raised = () if baseline else alerts_for(corrected, pic.baseline, limits)
        if raised and not closed_session:
            # Nor a second open alert of a code still open (as for a new reading): the value
            # is already on the board in the alert it repeats.
            standing = open_alerts(session, {a.code for a in raised})
            raised = [a for a in raised if repeated_by(standing.get(a.code, []), a.level) is None]
        limits_used = asdict(limits)
        # A value that still alerts after the correction has been out of range all along: the
        # new alert keeps the superseded one's clock (raised, escalated), so a correction
        # neither delays the call to the prescriber nor makes it twice.
        still = {alert.code: alert for alert in closed}
        SessionAlert.objects.bulk_create(
            SessionAlert(
                session=session,
                reading=corrected,
                code=a.code,
                level=str(a.level),
                field=a.field,
                message=a.message,
                source=a.source,
                limits_used=limits_used,
                **_clock(still.get(a.code), now),
                **(_closed_with(actor, reason) if closed_session else {}),
            )
            for a in raised
        )
        if not closed_session:
            actions._refresh_ready(session, now)
            session.save(update_fields=["status", "ready_at"])
        record(
            actor,
            "treatments.session.vitals_corrected",
            object_type="session",
            object_id=session.pk,
            patient_id=session.patient_id,
            clinic_id=session.clinic_id,
            detail={
                "reading": original.pk,
                "corrected_by": corrected.pk,
                "reason": reason,
                "alerts_closed": [a.code for a in closed],
                "alerts_raised": [a.code for a in raised],
                "phase": original.phase,
                "after_close": closed_session,
                **(
                    {"note": "Baseline corrected; the pre-dose checks' decision stands."}
                    if baseline
                    else {}
                ),
            },
        )
    return corrected


def _clock(superseded: SessionAlert | None, now: Any) -> dict[str, Any]:
    if superseded is None:
        return {"raised_at": now}
    return {
        "raised_at": superseded.raised_at,
        "escalated_at": superseded.escalated_at,
        "escalated_to_id": superseded.escalated_to_id,
    }


def _closed_with(actor: Actor, reason: str) -> dict[str, Any]:
    """An alert raised by a correction after the session closed: recorded, already closed."""
    return {
        "acknowledged_at": timezone.now(),
        "acknowledged_by_id": actor.user_id,
        "action": AlertAction.NONE_NEEDED,
        "note": f"Raised by a correction after the session closed: {reason}",
    }


@dataclass(frozen=True)
class CorrectedReading:
    original: VitalReading
    correction: VitalReading


def corrected_readings(session: TreatmentSession) -> list[CorrectedReading]:
    """Each superseded reading with the reading that corrected it, oldest first."""
    corrections = (
        session.readings.filter(corrects__isnull=False)
        .select_related("corrects__recorded_by", "recorded_by")
        .order_by("taken_at", "pk")
    )
    return [CorrectedReading(c.corrects, c) for c in corrections if c.corrects is not None]
