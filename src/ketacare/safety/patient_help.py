"""A patient's own "I need help now", from any patient-facing page (issue #7 item 1).

`press_help` is the one rule every help button goes through: a high-level flag for the care
team at once, unless the same patient's help flag from minutes ago is still open (then the
press joins it: someone is already being alerted about it). A flag that was acknowledged or
resolved never absorbs a new press — a second call for help after "left voicemail" must reach
someone again.

Callers:
- the self-report link pages: `measures.selfreport_actions.do_request_help` (audits on the link);
- the portal (`/portal/help/now/`) and the safety-plan link (`/sp/<token>/help/`):
  `do_patient_help` / `do_plan_link_help`, audited `safety.patient.help_requested`;
- the appointment link (`/a/<token>/help/`, `scheduling.views_public`): `do_patient_help`.
Every press is audited, whether it raised a flag, joined one or was refused (revoked link).
The page answering a press shows `resources.crisis_context(patient.clinic)`; the button is
`safety/_help_now.html`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, Outcome, record
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.crisis_models import SafetyPlanLink
from ketacare.safety.models import FlagSource, FlagStatus, RiskFlag, RiskLevel
from ketacare.safety.plan_actions import hash_token

# A second press within this window joins the first flag while that flag is still open.
REPEAT_WINDOW = timedelta(minutes=10)
# Every help flag's reason starts so. Risk words in a portal message also raise
# PATIENT_REQUEST flags; a press must not be folded into one of those (it is a new, explicit
# call for help), and RiskFlag has no other field telling the two apart.
HELP_REASON = "The patient pressed “I need help now”"
PLAN_LINK_ACTOR_LABEL = "patient (safety plan link)"


@dataclass(frozen=True)
class HelpPressed:
    flag: RiskFlag
    raised: bool  # False: the press joined the patient's still-open help flag


def recent_patient_flag(patient: Patient, **reason: str) -> RiskFlag | None:
    """The patient's own flag (source "patient request") that is still OPEN, younger than
    REPEAT_WINDOW and matches `reason` (a lookup on the reason field, e.g. `reason__startswith`):
    a repeat of the same call joins it. The caller holds the patient row's lock, so two repeats
    at once queue and only one raises a flag."""
    return (
        RiskFlag.objects.filter(
            patient=patient,
            source=FlagSource.PATIENT_REQUEST,
            status=FlagStatus.OPEN,
            raised_at__gte=timezone.now() - REPEAT_WINDOW,
            **reason,
        )
        .order_by("-raised_at")
        .first()
    )


def press_help(actor: Actor, patient: Patient, where: str) -> HelpPressed:
    """Raise a high flag for a press of "I need help now", or join the patient's help flag that
    is still OPEN and younger than REPEAT_WINDOW. The caller audits the press."""
    with transaction.atomic():
        # Two presses at once (double tap, two tabs) queue here, so only one raises a flag.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        recent = recent_patient_flag(patient, reason__startswith=HELP_REASON)
        if recent is not None:
            return HelpPressed(recent, raised=False)
        flag = do_raise_flag(
            actor,
            patient,
            level=RiskLevel.HIGH,
            source=FlagSource.PATIENT_REQUEST,
            reason=f"{HELP_REASON} {where[:120]}.",
        )
    return HelpPressed(flag, raised=True)


def do_patient_help(
    actor: Actor, patient: Patient, page: str, detail: dict[str, Any] | None = None
) -> HelpPressed:
    """A press on a patient page other than a self-report link (the portal, `/sp/`)."""
    with transaction.atomic():
        pressed = press_help(actor, patient, f"on {page[:100]}")
        record(
            actor,
            "safety.patient.help_requested",
            object_type="risk_flag",
            object_id=pressed.flag.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"page": page[:100], "raised": pressed.raised, **(detail or {})},
        )
    return pressed


def plan_link_for_help(raw_token: str) -> SafetyPlanLink | None:
    """The safety-plan link of a token, expired or revoked too (None when unknown).

    `plan_actions.find_plan_link` hides expired links; a press for help must not: the patient
    is known, and a person in crisis is not turned away because a link aged.
    `do_plan_link_help` refuses a revoked one.
    """
    if not raw_token or len(raw_token) > 100:
        return None
    return (
        SafetyPlanLink.objects.select_related("patient", "patient__clinic")
        .filter(token_hash=hash_token(raw_token))
        .first()
    )


def do_plan_link_help(link: SafetyPlanLink, ip: str) -> HelpPressed:
    """A press on the patient's safety-plan link page (`/sp/<token>/`). A revoked link raises
    nothing (ActionError), but the refused press is audited too."""
    actor = Actor(label=PLAN_LINK_ACTOR_LABEL, clinic_id=link.patient.clinic_id, ip=ip[:64])
    if link.revoked_at is not None:
        record(
            actor,
            "safety.patient.help_requested",
            object_type="safety_plan_link",
            object_id=link.pk,
            patient_id=link.patient_id,
            clinic_id=link.patient.clinic_id,
            outcome=Outcome.DENIED,
            detail={"reason": "revoked"},
        )
        raise ActionError("link", "This link can no longer be used.")
    return do_patient_help(
        actor, link.patient, "their safety-plan link page", {"safety_plan_link": link.pk}
    )
