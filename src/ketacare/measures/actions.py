"""Recording assessments: score with the clinical library, store, raise risk flags, close due items.

All in one transaction with the audit entry, so a flag exists exactly when its assessment does.
Scores and flags use the patient's clinic's thresholds (`thresholds_settings`); the band, flags
and explanation are stored with the assessment, so a later change of thresholds never rescores it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.clinical import scales
from ketacare.clinical.risk import FlagDecision, RiskRules, decide_flag
from ketacare.clinical.thresholds import ScoringThresholds, score_params
from ketacare.measures import scheduling
from ketacare.measures.models import (
    Assessment,
    AssessmentStatus,
    Context,
    DueAssessment,
    DueStatus,
    EpisodeOfCare,
    EpisodeStatus,
    Source,
)
from ketacare.measures.thresholds_settings import scoring_thresholds_for
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag


def scoring_params(
    scale_code: str, patient: Patient, thresholds: ScoringThresholds | None = None
) -> dict[str, Any]:
    """Parameters a scale needs from the chart (AUDIT-C cut-offs depend on sex) and from the
    patient's clinic (its cut-offs and bands: `clinical.thresholds`). `thresholds`: the
    clinic's, when the caller already has them (else one query for the scales that take any)."""
    if scale_code == "auditc":
        if patient.sex_at_birth in {"female", "male"}:
            return {"sex": patient.sex_at_birth}
        return {}
    if scale_code not in ("pcl5", "gad7", "madrs", "pain_nrs"):
        return {}
    return score_params(scale_code, thresholds or scoring_thresholds_for(patient.clinic_id))


def risk_rules_for(patient: Patient) -> RiskRules:
    """The risk-flag levels of the patient's clinic (clinical.risk.decide_flag's `rules`)."""
    return scoring_thresholds_for(patient.clinic_id).risk


def score_answers(
    patient: Patient,
    scale_code: str,
    answers: dict[str, Any],
    thresholds: ScoringThresholds | None = None,
) -> scales.ScoreResult:
    """Score with the patient's clinic's thresholds, turning library errors into ActionError
    naming the item."""
    try:
        scale = scales.get_scale(scale_code)
    except (KeyError, ValueError) as problem:
        raise ActionError("scale", str(problem)) from problem
    params = scoring_params(scale_code, patient, thresholds)
    if scale_code == "auditc" and not params:
        raise ActionError(
            "scale",
            "AUDIT-C cut-offs depend on sex at birth, which is not recorded as female or male.",
        )
    try:
        return scale.score(answers, **params)
    except scales.ScaleInputError as problem:
        raise ActionError(problem.field, str(problem)) from problem


def do_record_assessment(
    actor: Actor,
    patient: Patient,
    scale_code: str,
    answers: dict[str, Any],
    *,
    context: str = Context.UNSCHEDULED,
    source: str = Source.STAFF,
    episode: EpisodeOfCare | None = None,
    administered_at: datetime | None = None,
    allow_incomplete: bool = False,
    fhir_response: dict[str, Any] | None = None,
    draft_flag_id: int | None = None,
    thresholds: ScoringThresholds | None = None,
) -> Assessment:
    """Score and store one administration; raise the risk flag it calls for in the same
    transaction. `draft_flag_id`: the flag a risk answer kept in this questionnaire's draft
    already raised (`selfreport_actions._draft_flag`); a decision no higher than that flag's
    level links this assessment to it instead of raising a second flag. `thresholds`: the
    patient's clinic's, when the caller read them in this transaction (else one query)."""
    if context not in Context.values:
        raise ActionError("context", f"Context must be one of: {', '.join(Context.values)}.")
    if episode is not None and episode.patient_id != patient.pk:
        raise ActionError("episode", "That episode belongs to another patient.")
    when = administered_at or timezone.now()
    if when > timezone.now() + timedelta(minutes=5):
        raise ActionError("administered_at", "An assessment cannot be dated in the future.")
    thresholds = thresholds or scoring_thresholds_for(patient.clinic_id)
    result = score_answers(patient, scale_code, answers, thresholds)
    if not result.complete and not allow_incomplete:
        raise ActionError(
            result.missing_items[0] if result.missing_items else "answers",
            "Not scored: missing answers to " + ", ".join(result.missing_items) + ".",
        )
    scale = scales.get_scale(scale_code)
    clean = scale.validate(answers)
    if episode is None:
        episode = (
            EpisodeOfCare.objects.filter(patient=patient, status="active")
            .order_by("-started_on")
            .first()
        )
    with transaction.atomic():
        assessment = Assessment.objects.create(
            patient=patient,
            episode=episode,
            scale_code=scale_code,
            scale_version=scale.version,
            answers=clean,
            total=result.total,
            subscores=result.subscores,
            mean_scores=result.mean_scores,
            band=result.band or "",
            flags=list(result.flags),
            risk_level=result.risk_level or "",
            complete=result.complete,
            missing_items=list(result.missing_items),
            explanation=list(result.explanation),
            context=context,
            source=source,
            administered_by_id=actor.user_id if source == Source.STAFF else None,
            administered_at=when,
            fhir_response=fhir_response,
        )
        record(
            actor,
            "measures.assessment.recorded",
            object_type="assessment",
            object_id=assessment.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"scale": scale_code, "source": source, "complete": result.complete},
        )
        decision = decide_flag(scale_code, clean, result.risk_level, thresholds.risk)
        if decision is not None and _linked_to_draft_flag(
            actor, patient, assessment, decision, draft_flag_id
        ):
            decision = None
        if decision is not None:
            do_raise_flag(
                actor,
                patient,
                level=decision.level,
                source=decision.source,
                reason=decision.reason,
                assessment=assessment,
                requires_cssrs=decision.requires_cssrs,
            )
        if result.complete:
            _close_due_items(assessment)
        scheduling.on_assessment_recorded(assessment)
    return assessment


_FLAG_LEVELS = ("low", "moderate", "high")


def _linked_to_draft_flag(
    actor: Actor,
    patient: Patient,
    assessment: Assessment,
    decision: FlagDecision,
    flag_id: int | None,
) -> bool:
    """Link `assessment` to the flag its draft raised when that flag is this patient's, has
    no assessment yet, and is at least as high as `decision`. True when linked."""
    from ketacare.safety.models import RiskFlag

    if flag_id is None:
        return False
    flag = (
        RiskFlag.objects.select_for_update()
        .filter(pk=flag_id, patient=patient, assessment__isnull=True, source=decision.source)
        .first()
    )
    if flag is None or _FLAG_LEVELS.index(flag.level) < _FLAG_LEVELS.index(decision.level):
        return False
    flag.assessment = assessment
    flag.save(update_fields=["assessment"])
    record(
        actor,
        "safety.flag.assessment_linked",
        object_type="risk_flag",
        object_id=flag.pk,
        patient_id=patient.pk,
        clinic_id=patient.clinic_id,
        detail={"assessment": assessment.pk, "level": decision.level},
    )
    return True


def _close_due_items(assessment: Assessment) -> None:
    """An assessment fulfils the patient's open due items for that scale up to today."""
    today = timezone.localdate()
    DueAssessment.objects.filter(
        patient=assessment.patient_id,
        scale_code=assessment.scale_code,
        status=DueStatus.OPEN,
        due_on__lte=today,
    ).update(status=DueStatus.COMPLETED, completed_by=assessment)


def do_mark_entered_in_error(actor: Actor, assessment: Assessment, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ActionError("reason", "Say why this assessment was entered in error.")
    if len(reason) > 300:  # the stored reason's size: refused, never cut short
        raise ActionError("reason", "Keep the reason to at most 300 characters.")
    with transaction.atomic():
        assessment.status = AssessmentStatus.ENTERED_IN_ERROR
        assessment.error_reason = reason
        assessment.save(update_fields=["status", "error_reason"])
        record(
            actor,
            "measures.assessment.entered_in_error",
            object_type="assessment",
            object_id=assessment.pk,
            patient_id=assessment.patient_id,
            clinic_id=assessment.patient.clinic_id,
            detail={"reason": reason},
        )


def do_open_episode(actor: Actor, patient: Patient, data: dict[str, Any]) -> EpisodeOfCare:
    with transaction.atomic():
        episode = EpisodeOfCare.objects.create(patient=patient, created_by_id=actor.user_id, **data)
        record(
            actor,
            "measures.episode.opened",
            object_type="episode",
            object_id=episode.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"primary_scale": episode.primary_scale},
        )
    return episode


def do_close_episode(actor: Actor, episode: EpisodeOfCare, ended_on: date) -> None:
    """Close an episode on `ended_on`, audited in the same transaction."""
    with transaction.atomic():
        episode.status = EpisodeStatus.CLOSED
        episode.ended_on = ended_on
        episode.save(update_fields=["status", "ended_on"])
        record(
            actor,
            "measures.episode.closed",
            object_type="episode",
            object_id=episode.pk,
            patient_id=episode.patient_id,
            clinic_id=episode.patient.clinic_id,
            detail={"ended_on": ended_on.isoformat()},
        )
