"""A risk answer in a QuestionnaireResponse that is refused still raises its flag.

A response refused with 422 (status `in-progress`, an item missing, a total that disagrees…)
stores nothing, but a PHQ-9 item 9 or QIDS-SR16 item 12 above 0, or C-SSRS answers already
reaching moderate or high, must not vanish with it (issue 7 §1 and §7: the flag at once). The
rules are the self-report path's for a questionnaire not yet sent (`selfreport_actions.
risk_decision`, with the skipped C-SSRS questions dropped by `apply_skip_logic`): same level,
source and reason, the reason saying that the answers were not stored.

The response's identity (its `authored` time and `identifier`) is written into the reason, so
that a resend of the same response joins the flag it raised instead of raising a second one,
and the corrected response, once accepted, links its assessment to that flag
(`do_record_assessment`'s `draft_flag_id`). A response naming neither joins only a flag no one
has acknowledged yet: two such responses cannot be told apart from a resend.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ketacare.accounts.audit import Actor, record
from ketacare.clinical.risk import FlagDecision
from ketacare.measures.actions import risk_rules_for
from ketacare.measures.selfreport_actions import apply_skip_logic, risk_decision
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.models import FlagStatus, RiskFlag

LEVELS = ("low", "moderate", "high")
SENT = "Sent over FHIR in a QuestionnaireResponse"
NO_IDENTITY = "naming no authored time or identifier"


@dataclass(frozen=True)
class RecordedRisk:
    flag: RiskFlag
    raised: bool  # False: a resend of the same response, joined to the flag it raised before


def refused_risk_decision(
    patient: Patient, scale_code: str, answers: dict[str, int]
) -> FlagDecision | None:
    """The flag these (possibly partial) answers call for, with the patient's clinic's levels.
    Answers to C-SSRS questions their gate skipped are dropped, as on the self-report page."""
    return risk_decision(scale_code, apply_skip_logic(answers), risk_rules_for(patient))


def _marker(identity: str) -> str:
    return f"{SENT} ({identity or NO_IDENTITY})"


def earlier_flag(
    patient: Patient, decision: FlagDecision, identity: str, *, lock: bool = False
) -> RiskFlag | None:
    """The flag a refused send of this same response raised, still without an assessment and
    not resolved (not yet acknowledged, when the response names no identity), at
    `decision`'s level or higher."""
    statuses = [FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED] if identity else [FlagStatus.OPEN]
    found = RiskFlag.objects.filter(
        patient=patient,
        source=decision.source,
        assessment__isnull=True,
        status__in=statuses,
        reason__contains=_marker(identity),
    ).order_by("-raised_at")
    if lock:
        found = found.select_for_update()
    return next((f for f in found if LEVELS.index(f.level) >= LEVELS.index(decision.level)), None)


def do_record_refused_risk(
    actor: Actor,
    patient: Patient,
    decision: FlagDecision,
    *,
    scale_code: str,
    identity: str,
    refusal: str,
) -> RecordedRisk:
    """Raise `decision`'s flag for a refused response (or join the one a refused send of the
    same response raised), audited, in one transaction that the refusal does not roll back."""
    with transaction.atomic():
        # Two sends at once (a client retrying on a timeout) queue here: one flag.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        flag = earlier_flag(patient, decision, identity, lock=True)
        raised = flag is None
        if flag is None:
            flag = do_raise_flag(
                actor,
                patient,
                level=decision.level,
                source=decision.source,
                reason=f"{decision.reason} {_marker(identity)} that was refused, so its "
                f"answers were not stored: {refusal}",
                requires_cssrs=decision.requires_cssrs,
            )
        record(
            actor,
            "fhir.questionnaire_response.risk_answer_recorded",
            object_type="risk_flag",
            object_id=flag.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"scale": scale_code, "level": decision.level, "raised": raised},
        )
    return RecordedRisk(flag, raised)
