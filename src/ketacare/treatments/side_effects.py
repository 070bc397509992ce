"""Side effects seen at the chair (from a list, or other with text), their severity and the
intervention given (drug, dose, time). Rows are never changed. A severe side effect, or any
respiratory depression, also raises a session alert that must be acknowledged before
discharge. Audit: `treatments.session.side_effect_recorded`. A side effect entered in error is
marked so (`do_mark_side_effect_in_error`), never deleted or changed otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments.locking import lock_row
from ketacare.treatments.models import AlertAction, SessionAlert, SessionStatus
from ketacare.treatments.models_chair import Severity, SideEffect, SideEffectCode

ALERT_SOURCE = "clinical.md §6b, §9: respiratory depression and serious events need action"


def _text(data: Mapping[str, Any], name: str, limit: int) -> str:
    value = str(data.get(name) or "").strip()
    if len(value) > limit:
        raise ActionError(name, f"At most {limit} characters.")
    return value


def _when(data: Mapping[str, Any], name: str, default: datetime | None) -> datetime | None:
    value = data.get(name)
    if value in (None, ""):
        return default
    if not isinstance(value, datetime):
        raise ActionError(name, "Enter a date and time.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > timezone.now() + timedelta(minutes=5):
        raise ActionError(name, "This time is in the future.")
    return value


# Times are typed to the minute (and a blank one is "now", to the second): a minute's slack
# keeps "onset 10:05, given now" from being refused at 10:05:40.
SLACK = timedelta(minutes=1)


def _refuse_out_of_order(
    session: Any, onset: datetime, given_at: datetime | None, onset_typed: bool = True
) -> None:
    """The onset falls within the session (not before the check-in nor before the dose
    started) and the intervention for it not before the onset; the error names the field."""
    zone = clinic_zone(session.clinic)

    def hm(moment: datetime) -> str:
        return f"{timezone.localtime(moment, zone):%H:%M}"

    checked_in = session.checked_in_at
    if checked_in is not None and onset < checked_in - SLACK:
        raise ActionError(
            "onset_at", f"The onset ({hm(onset)}) is before the check-in ({hm(checked_in)})."
        )
    started = session.dosing_started_at
    if onset < started - SLACK:
        raise ActionError(
            "onset_at", f"The onset ({hm(onset)}) is before the dose started ({hm(started)})."
        )
    if given_at is not None and given_at < onset - SLACK:
        raise ActionError(
            "intervention_at",
            f"The intervention time ({hm(given_at)}) is before the side effect's onset "
            f"({hm(onset)}{'' if onset_typed else ', now'}): enter when the drug was given "
            "for it.",
        )


# An intervention's dose as the chart needs it: an amount above 0 with its unit, then anything
# (route, rate): "4 mg IV", "0.5 mg", "2 L/min", "1 tablet". Not "banana", "-4 mg" or "0".
DOSE_PATTERN = re.compile(
    r"^\s*(\d{1,5}(?:[.,]\d{1,3})?)\s*"
    r"(mg|mcg|µg|ug|g|ml|l/min|units?|iu|puffs?|tablets?|tabs?|drops?|sprays?|%)"
    r"(?![a-z])(.*)$",
    re.IGNORECASE,
)
MAX_DOSE_AMOUNT = 10000


def _check_dose(dose: str) -> None:
    found = DOSE_PATTERN.match(dose)
    amount = float(found.group(1).replace(",", ".")) if found else 0.0
    if found is None or not 0 < amount <= MAX_DOSE_AMOUNT:
        raise ActionError(
            "intervention_dose",
            f"“{dose[:40]}” is not a dose: enter the amount above 0 with its unit, e.g. "
            "4 mg IV, 0.5 mg, 2 L/min, 1 tablet.",
        )


def do_record_side_effect(actor: Actor, session: Any, data: Mapping[str, Any]) -> SideEffect:
    code = _text(data, "code", 20)
    if code not in SideEffectCode.values:
        raise ActionError("code", "Choose the side effect.")
    other = _text(data, "other_text", 200)
    if code == SideEffectCode.OTHER and not other:
        raise ActionError("other_text", "Describe the side effect.")
    severity = _text(data, "severity", 10)
    if severity not in Severity.values:
        raise ActionError("severity", "Choose the severity.")
    drug = _text(data, "intervention_drug", 120)
    dose = _text(data, "intervention_dose", 60)
    if dose and not drug:
        raise ActionError("intervention_drug", "Name the drug given.")
    if drug and not dose:
        raise ActionError("intervention_dose", "Enter the dose given.")
    if dose:
        _check_dose(dose)
    now = timezone.now()
    onset = _when(data, "onset_at", now)
    given_at = _when(data, "intervention_at", now if drug else None)
    if given_at is not None and not drug:
        raise ActionError("intervention_drug", "Name the drug given at that time.")
    if actor.user_id is None:
        raise ActionError("user", "A signed-in person records side effects.")
    with transaction.atomic():
        session = lock_row(session)
        if session.dosing_started_at is None:
            raise ActionError("code", "Side effects are recorded once the dose has started.")
        _refuse_out_of_order(
            session, onset or now, given_at, data.get("onset_at") not in (None, "")
        )
        effect = SideEffect.objects.create(
            session=session,
            code=code,
            other_text=other,
            severity=severity,
            onset_at=onset or now,
            intervention_drug=drug,
            intervention_dose=dose,
            intervention_at=given_at,
            note=_text(data, "note", 1000),
            recorded_by_id=actor.user_id,
            recorded_at=now,
        )
        if effect.serious and session.is_active:
            SessionAlert.objects.create(
                session=session,
                code="side_effect",
                level="critical" if severity == Severity.SEVERE else "warning",
                field="side_effect",
                message=f"{effect.label}: {effect.get_severity_display().lower()}.",
                source=ALERT_SOURCE,
                raised_at=now,
            )
            if session.status == SessionStatus.READY:
                # An open alert holds discharge: the board must not show the patient ready.
                # The first moment ready (`ready_at`) is kept.
                session.status = SessionStatus.MONITORING
                session.save(update_fields=["status"])
        record(
            actor,
            "treatments.session.side_effect_recorded",
            object_type="session",
            object_id=session.pk,
            patient_id=session.patient_id,
            clinic_id=session.clinic_id,
            detail={"side_effect": effect.pk, "code": code, "severity": severity},
        )
    return effect


def raised_alerts(effect: SideEffect) -> Any:
    """The alert a serious side effect raised: created with it, in the same transaction and
    at the same moment (`raised_at` = `recorded_at`; no link is stored)."""
    return SessionAlert.objects.filter(
        session_id=effect.session_id, code="side_effect", raised_at=effect.recorded_at
    )


def do_mark_side_effect_in_error(
    actor: Actor, session: Any, effect_id: Any, reason: str
) -> SideEffect:
    """Mark a side effect entered in error (the wrong patient or session, a slip): the row is
    kept as recorded, with who, when and why, and shown struck through; it no longer counts
    (REMS form, FHIR searches). An open alert it raised is closed with a note saying so, and
    readiness for discharge is judged again. Not once the session is signed and locked
    (addenda only). Audit: `treatments.session.side_effect_entered_in_error`."""
    from ketacare.treatments.actions import meaningful_reason
    from ketacare.treatments.locking import refuse_if_locked
    from ketacare.treatments.readings import refresh_ready

    reason = meaningful_reason("error_reason", reason, "Say why it was entered in error")
    try:
        key = int(str(effect_id))
    except ValueError:
        raise ActionError("side_effect", "Choose the side effect.") from None
    if actor.user_id is None:
        raise ActionError("user", "A signed-in person marks an entry in error.")
    now = timezone.now()
    with transaction.atomic():
        session = lock_row(session)
        refuse_if_locked(session)
        effect = SideEffect.objects.select_for_update().filter(session=session, pk=key).first()
        if effect is None:
            raise ActionError("side_effect", "No such side effect on this session.")
        if effect.in_error:
            raise ActionError("side_effect", "This side effect is already marked entered in error.")
        effect.entered_in_error_at = now
        effect.entered_in_error_by_id = actor.user_id
        effect.entered_in_error_reason = reason
        effect.save(
            update_fields=["entered_in_error_at", "entered_in_error_by", "entered_in_error_reason"]
        )
        closed = list(
            raised_alerts(effect).filter(acknowledged_at__isnull=True).values_list("pk", flat=True)
        )
        SessionAlert.objects.filter(pk__in=closed).update(
            acknowledged_at=now,
            acknowledged_by_id=actor.user_id,
            action=AlertAction.NONE_NEEDED,
            note=f"Closed: the side effect was entered in error ({reason}).",
        )
        if closed:
            before = (session.status, session.ready_at)
            refresh_ready(session, now)
            if (session.status, session.ready_at) != before:
                session.save(update_fields=["status", "ready_at"])
        record(
            actor,
            "treatments.session.side_effect_entered_in_error",
            object_type="session",
            object_id=session.pk,
            patient_id=session.patient_id,
            clinic_id=session.clinic_id,
            detail={
                "side_effect": effect.pk,
                "code": effect.code,
                "severity": effect.severity,
                "reason": reason,
                "alerts_closed": closed,
            },
        )
    return effect
