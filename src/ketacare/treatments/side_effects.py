"""Side effects seen at the chair (from a list, or other with text), their severity and the
intervention given (drug, dose, time). Rows are never changed. A severe side effect, or any
respiratory depression, also raises a session alert that must be acknowledged before
discharge. Audit: `treatments.session.side_effect_recorded`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.treatments.locking import lock_row
from ketacare.treatments.models import SessionAlert, SessionStatus
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
        if onset is not None and onset < session.dosing_started_at - timedelta(minutes=1):
            raise ActionError("onset_at", "The onset is before the dose started.")
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
