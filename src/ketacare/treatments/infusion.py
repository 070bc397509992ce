"""Rate changes and pauses of an IV infusion, each with its reason; shown on the session page.

Allowed while the infusion runs (status dosing, a dose without devices). A pause must be
resumed before the rate changes again; resuming may set a new rate. While a crisis dosing
block stands (a high flag raised during the infusion), only a pause is allowed: no resume and
no rate change until a prescriber clears it (`dosing_gate`). Audit:
`treatments.session.infusion_<kind>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.core import reasons
from ketacare.core.reasons import is_few_words
from ketacare.treatments.dosing_gate import refuse_more_drug_if_blocked
from ketacare.treatments.locking import lock_row
from ketacare.treatments.models import DoseRecord, SessionStatus, TreatmentSession
from ketacare.treatments.models_chair import InfusionEvent, InfusionEventKind

MAX_RATE_ML_PER_H = Decimal("2000")  # far above any ketamine infusion: catches typos only


def _rate(value: Any, *, required: bool) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise ActionError("rate_ml_per_h", "Enter the new rate in mL/h.")
        return None
    try:
        rate = Decimal(str(value).strip())
    except InvalidOperation:
        raise ActionError("rate_ml_per_h", "Enter the rate as a number of mL/h.") from None
    if not rate.is_finite() or rate <= 0 or rate > MAX_RATE_ML_PER_H:
        raise ActionError(
            "rate_ml_per_h", f"A rate of {rate} mL/h is not possible (0–{MAX_RATE_ML_PER_H})."
        )
    # Stored to 0.01 mL/h: a finer figure is refused, not rounded to another rate (or to 0).
    if rate != rate.quantize(Decimal("0.01")):
        raise ActionError("rate_ml_per_h", f"{rate} mL/h: at most two decimals.")
    return rate.quantize(Decimal("0.01"))


def is_paused(session: TreatmentSession) -> bool:
    last = (
        session.infusion_events.filter(kind__in=[InfusionEventKind.PAUSE, InfusionEventKind.RESUME])
        .order_by("-at", "-pk")
        .first()
    )
    return last is not None and last.kind == InfusionEventKind.PAUSE


def do_infusion_event(
    actor: Actor, session: TreatmentSession, kind: str, rate: Any = None, reason: str = ""
) -> InfusionEvent:
    if kind not in InfusionEventKind.values:
        raise ActionError("kind", "Choose: change rate, pause or resume.")
    reason = (reason or "").strip()
    if not reason and kind != InfusionEventKind.RESUME:
        raise ActionError("reason", "Give the reason.")
    new_rate = _rate(rate, required=kind == InfusionEventKind.RATE)
    if kind == InfusionEventKind.PAUSE and new_rate is not None:
        raise ActionError("rate_ml_per_h", "A pause has no rate; set it when resuming.")
    if actor.user_id is None:
        raise ActionError("user", "A signed-in person records infusion changes.")
    with transaction.atomic():
        session = lock_row(session)
        if session.status != SessionStatus.DOSING:
            raise ActionError("kind", "Only while the infusion is running.")
        dose = DoseRecord.objects.filter(session=session).first()
        if dose is None or dose.devices_planned:
            raise ActionError("kind", "This session has no infusion.")
        paused = is_paused(session)
        if kind == InfusionEventKind.PAUSE and paused:
            raise ActionError("kind", "The infusion is already paused.")
        if kind == InfusionEventKind.RESUME and not paused:
            raise ActionError("kind", "The infusion is not paused.")
        if kind == InfusionEventKind.RATE and paused:
            raise ActionError("kind", "The infusion is paused: resume it (with the new rate).")
        if kind != InfusionEventKind.PAUSE:
            refuse_more_drug_if_blocked(session, field="kind")
        open_alerts: list[str] = []
        if kind == InfusionEventKind.RESUME:
            open_alerts = list(
                session.alerts.filter(acknowledged_at__isnull=True).values_list(
                    "message", flat=True
                )
            )
        if open_alerts and not is_few_words(reason):
            # Vitals out of range: resuming is an override to document (clinical.md §9
            # [PRACTICE], step 3), not a tap.
            raise ActionError(
                "reason",
                f"An alert is open ({open_alerts[0][:120]}): document why the infusion may "
                f"resume in a few words ({reasons.FLOOR}).",
            )
        event = InfusionEvent.objects.create(
            session=session,
            kind=kind,
            at=timezone.now(),
            rate_ml_per_h=new_rate,
            reason=reason,
            by_id=actor.user_id,
        )
        record(
            actor,
            f"treatments.session.infusion_{kind}",
            object_type="session",
            object_id=session.pk,
            patient_id=session.patient_id,
            clinic_id=session.clinic_id,
            detail={
                "rate": str(new_rate) if new_rate else None,
                "reason": reason,
                "open_alerts": len(open_alerts),
            },
        )
    return event


@dataclass(frozen=True)
class InfusionLine:
    kind: str
    start: datetime
    stop: datetime | None  # a pause: when it was resumed (None: still paused)
    rate: Decimal | None
    reason: str
    by: str
    # A pause the infusion never came back from: it ended when dosing ended (`stop`).
    ended_with_dosing: bool = False


def timeline(session: TreatmentSession) -> list[InfusionLine]:
    """Rate changes, and pauses with their start and stop, in order."""
    lines: list[InfusionLine] = []
    pause: InfusionEvent | None = None
    for e in session.infusion_events.select_related("by").order_by("at", "pk"):
        if e.kind == InfusionEventKind.PAUSE:
            pause = e
            continue
        if e.kind == InfusionEventKind.RESUME and pause is not None:
            lines.append(
                InfusionLine(
                    "pause", pause.at, e.at, e.rate_ml_per_h, pause.reason, pause.by.display_name
                )
            )
            pause = None
            continue
        lines.append(InfusionLine(e.kind, e.at, None, e.rate_ml_per_h, e.reason, e.by.display_name))
    if pause is not None:
        ended = session.dosing_ended_at
        lines.append(
            InfusionLine(
                "pause",
                pause.at,
                ended,
                None,
                pause.reason,
                pause.by.display_name,
                ended_with_dosing=ended is not None,
            )
        )
    return lines
