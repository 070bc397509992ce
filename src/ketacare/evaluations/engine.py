"""The bridge between the stored evaluation and the pure engine in `clinical.eligibility`.

`engine_input` turns an Evaluation row (with its trials, medications, the chart's diagnoses and
the patient's REMS enrolment) into the engine's frozen `Evaluation`; `policy_for` rebuilds the
clinic's `EligibilityPolicy` from its stored changes; `run` calls `decide`. Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.clinical import eligibility as el
from ketacare.clinical.anthropometry import bmi
from ketacare.clinical.eligibility.engine import EligibilityDecision
from ketacare.clinical.interactions import InteractionReport, interaction_flags
from ketacare.clinical.scales.auditc import CUTOFFS
from ketacare.clinical.treatment_resistance import TrdAssessment, assess_trd
from ketacare.evaluations.models import (
    AntidepressantTrialRecord,
    ClinicEligibilityPolicy,
    CurrentMedication,
    Evaluation,
    IndicationChoice,
    RemsEnrollment,
)

# Bump when the way inputs are assembled or decisions stored changes; stored with each decision.
ENGINE_VERSION = "eligibility-1"


def policy_for(clinic: Clinic) -> el.EligibilityPolicy:
    stored = ClinicEligibilityPolicy.objects.filter(clinic=clinic).first()
    changes: Mapping[str, Mapping[str, str]] = stored.changes if stored else {}
    return el.EligibilityPolicy.from_changes(changes, name=f"{clinic.name} policy")


def trial_input(row: AntidepressantTrialRecord) -> el.AntidepressantTrial:
    return el.AntidepressantTrial(
        drug=row.drug,
        in_current_episode=row.in_current_episode,
        weeks_at_dose=float(row.weeks_at_dose) if row.weeks_at_dose is not None else None,
        dose_mg=float(row.dose_mg) if row.dose_mg is not None else None,
        dose_adequate=row.dose_adequate,
        improvement_pct=float(row.improvement_pct) if row.improvement_pct is not None else None,
        response=el.ResponseCategory(row.response),
        reason_stopped=el.ReasonStopped(row.reason_stopped),
    )


def medication_input(row: CurrentMedication) -> el.Medication:
    return el.Medication(
        name=row.name,
        drug_class=el.DrugClass(row.drug_class) if row.drug_class else None,
        daily_dose_mg=row.daily_dose_mg,
    )


def bmi_of(evaluation: Evaluation) -> Decimal | None:
    if evaluation.weight_kg is None or not evaluation.height_cm:
        return None
    return bmi(evaluation.weight_kg, evaluation.height_cm)


def audit_c_positive(evaluation: Evaluation) -> bool | None:
    """AUDIT-C screen from the recorded total: ≥4 men, ≥3 women (instruments.md §9). When the
    sex at birth has no cut-off, the stricter (lower) one is used rather than guessing."""
    if evaluation.audit_c_score is None:
        return None
    cutoff = CUTOFFS.get(evaluation.patient.sex_at_birth, min(CUTOFFS.values()))
    return evaluation.audit_c_score >= cutoff


def engine_input(evaluation: Evaluation) -> el.Evaluation:
    patient = evaluation.patient
    on = (evaluation.signed_at or evaluation.created_at).date()
    rems = RemsEnrollment.objects.filter(patient=patient).first()
    return el.Evaluation(
        age_years=patient.age_on(on),
        indication=el.Indication(evaluation.indication),
        sex_at_birth=el.SexAtBirth(patient.sex_at_birth),
        pregnant=el.TriState(evaluation.pregnant),
        breastfeeding=el.TriState(evaluation.breastfeeding),
        planning_pregnancy=el.TriState(evaluation.planning_pregnancy),
        # Every recorded diagnosis, resolved ones too: the checklist asks about history.
        diagnosis_codes=frozenset(patient.diagnoses.values_list("icd10_code", flat=True)),
        medical_history=frozenset(evaluation.medical_history),
        mood_stabiliser_current=evaluation.mood_stabiliser_current,
        oral_antidepressant_current=evaluation.oral_antidepressant_current,
        current_medications=tuple(medication_input(m) for m in evaluation.medications.all()),
        antidepressant_trials=tuple(trial_input(t) for t in evaluation.trials.all()),
        vitals=el.BaselineVitals(
            systolic_mmhg=evaluation.systolic_mmhg,
            diastolic_mmhg=evaluation.diastolic_mmhg,
            heart_rate_bpm=evaluation.heart_rate_bpm,
            spo2_pct=evaluation.spo2_pct,
            bmi_kg_m2=bmi_of(evaluation),
        ),
        audit_c_positive=audit_c_positive(evaluation),
        rems_enrolled=rems is not None,
        rems_patient_id=rems.rems_patient_id if rems else None,
        rems_enrolled_on=rems.enrolled_on if rems else None,
    )


def run(evaluation: Evaluation, overrides: Mapping[str, str] | None = None) -> EligibilityDecision:
    return el.decide(
        engine_input(evaluation),
        el.Route(evaluation.route),
        policy_for(evaluation.patient.clinic),
        overrides or {},
    )


# The engine writes the indication by its code ("Route: …; indication: trd."); stored decisions
# keep the engine's words, and the page shows the indication's label instead.
_INDICATION_CODE = re.compile(r"(?<=ndication: )([a-z_]+)(?=\.)")


def readable_detail(detail: str) -> str:
    """A finding's detail with every indication code replaced by its label."""

    def label(match: re.Match[str]) -> str:
        code = match[1]
        return str(IndicationChoice(code).label) if code in IndicationChoice.values else code

    return _INDICATION_CODE.sub(label, detail)


def finding_dict(finding: el.Finding) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "title": finding.title,
        "detail": finding.detail,
        "source": finding.source,
        "tag": finding.tag.value,
        "justification": finding.justification or "",
    }


@dataclass(frozen=True)
class Companions:
    """The TRD assessment and interaction report shown while the evaluation is drafted."""

    trd: TrdAssessment
    interactions: InteractionReport


def companions(evaluation: Evaluation) -> Companions:
    policy = policy_for(evaluation.patient.clinic)
    trials = [trial_input(t) for t in evaluation.trials.all()]
    meds = [medication_input(m) for m in evaluation.medications.all()]
    return Companions(
        trd=assess_trd(trials, policy.trd),
        interactions=interaction_flags(
            meds, el.Route(evaluation.route), policy.drugs, policy.interactions
        ),
    )
