"""The permission matrix: which role may do what. The one place access is decided.

Views, the JSON API and the FHIR API all ask `has_perm(membership, Perm.X)` or
`require(request, Perm.X)`; nothing else checks roles. The matrix is documented in
accounts/README.md and a test keeps the two in step.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from ketacare.accounts.models import Role

if TYPE_CHECKING:
    from ketacare.accounts.audit import Actor
    from ketacare.accounts.models import Membership


class Perm(StrEnum):
    PATIENT_VIEW = "patients.view"
    PATIENT_CREATE = "patients.create"
    PATIENT_EDIT_DEMOGRAPHICS = "patients.edit_demographics"
    DIAGNOSIS_EDIT = "patients.edit_diagnoses"
    ALLERGY_EDIT = "patients.edit_allergies"
    MEASUREMENT_RECORD = "patients.record_measurements"
    STAFF_MANAGE = "accounts.manage_staff"
    CLINIC_SETTINGS = "accounts.clinic_settings"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    TOKENS_MANAGE_ALL = "accounts.manage_all_tokens"
    ASSESSMENT_RECORD = "measures.record_assessments"
    ASSESSMENT_RATE_CLINICIAN = "measures.rate_clinician_scales"
    ASSESSMENT_MARK_ERROR = "measures.mark_entered_in_error"
    EPISODE_MANAGE = "measures.manage_episodes"
    SELF_REPORT_SEND = "measures.send_self_report"
    SCHEDULE_MANAGE = "measures.manage_schedule"
    SCORING_THRESHOLDS = "measures.scoring_thresholds"
    INTAKE_QUEUE = "intake.work_queue"
    NEWSLETTER_MANAGE = "intake.manage_newsletter"
    EVALUATION_EDIT = "evaluations.edit"
    EVALUATION_SIGN = "evaluations.sign"
    EVALUATION_POLICY = "evaluations.policy"
    CONSENT_RECORD = "evaluations.record_consent"
    PROTOCOL_EDIT = "plans.edit_protocols"
    PLAN_WRITE = "plans.write"
    PLAN_SIGN = "plans.sign"
    PLAN_REVIEW = "plans.decide_reviews"
    SCHEDULE_SETUP = "scheduling.setup"
    APPOINTMENT_BOOK = "scheduling.book"
    APPOINTMENT_CHECK_IN = "scheduling.check_in"
    SESSION_RUN = "treatments.run_session"
    SESSION_CLEAR_HOLD = "treatments.clear_hold"
    SUBSTANCE_RECORD = "treatments.record_controlled_substances"
    SUBSTANCE_VIEW = "treatments.view_controlled_substances"
    SUBSTANCE_REVIEW = "treatments.review_substance_discrepancies"
    SESSION_SIGN = "treatments.sign_session"
    MONITORING_LIMITS = "treatments.monitoring_limits"
    SAFETY_FLAG_RAISE = "safety.raise_flag"
    SAFETY_FLAG_ACKNOWLEDGE = "safety.acknowledge_flag"
    CRISIS_RECORD = "safety.crisis_record"
    DOSING_BLOCK_CLEAR = "safety.clear_dosing_block"
    SAFETY_PLAN_EDIT = "safety.edit_safety_plan"
    INTEGRATION_WRITE = "aftercare.write_integration_notes"
    HABIT_RECORD = "aftercare.record_habits"
    HABIT_GOAL_SET = "aftercare.set_habit_goals"
    FOLLOWUP_WORK = "aftercare.work_followup_tasks"


A, P, N, T, IN, D = (
    Role.ADMIN,
    Role.PRESCRIBER,
    Role.NURSE,
    Role.THERAPIST,
    Role.INTAKE,
    Role.DIRECTOR,
)

# Every role reads charts (each read is audited). Clinical writes follow scope of practice:
# diagnoses are a prescriber's call; nurses record allergies and body measurements; intake
# registers patients and keeps demographics current; admins run the clinic, not the chart.
MATRIX: dict[Perm, frozenset[Role]] = {
    Perm.PATIENT_VIEW: frozenset({A, P, N, T, IN, D}),
    Perm.PATIENT_CREATE: frozenset({P, N, IN}),
    Perm.PATIENT_EDIT_DEMOGRAPHICS: frozenset({P, N, IN}),
    Perm.DIAGNOSIS_EDIT: frozenset({P}),
    Perm.ALLERGY_EDIT: frozenset({P, N}),
    Perm.MEASUREMENT_RECORD: frozenset({P, N, IN}),
    Perm.STAFF_MANAGE: frozenset({A}),
    Perm.CLINIC_SETTINGS: frozenset({A}),
    Perm.AUDIT_VIEW: frozenset({A, D}),
    Perm.AUDIT_EXPORT: frozenset({A, D}),
    Perm.TOKENS_MANAGE_ALL: frozenset({A}),
    # Rating scales: intake may enter self-report questionnaires; clinician-rated scales
    # (Scale.clinician_rated: MADRS, CADSS, MOAA/S, C-SSRS) need a clinician who rates or
    # interviews. Corrections (entered in error) by prescribers and nurses; episodes of care
    # (what response is measured against) are the prescriber's call.
    Perm.ASSESSMENT_RECORD: frozenset({P, N, T, IN}),
    Perm.ASSESSMENT_RATE_CLINICIAN: frozenset({P, N, T}),
    Perm.ASSESSMENT_MARK_ERROR: frozenset({P, N}),
    Perm.EPISODE_MANAGE: frozenset({P}),
    # Self-report links go out from whoever works with the patient (intake included: baseline
    # questionnaires). What is measured when is a clinical decision the prescriber shares with
    # the admin who runs the clinic.
    Perm.SELF_REPORT_SEND: frozenset({P, N, T, IN}),
    Perm.SCHEDULE_MANAGE: frozenset({A, P}),
    # Scale cut-offs, bands and risk-flag levels decide who is flagged at this clinic: clinic
    # policy signed off by the medical director (clinical.md, top), set by the admin or director.
    Perm.SCORING_THRESHOLDS: frozenset({A, D}),
    # Consultation requests hold what a person wants treated, so the queue is for the people
    # who answer them: intake, the prescribers who decide fit, and the admin who runs the
    # front desk. Converting one also needs patients.create. The newsletter list is
    # marketing, not care: intake and admin.
    Perm.INTAKE_QUEUE: frozenset({A, P, IN}),
    Perm.NEWSLETTER_MANAGE: frozenset({A, IN}),
    # The comprehensive evaluation is the prescriber's, with parts delegable to nurses and
    # intake (history, vitals, medication lists); only a prescriber signs the decision. Which
    # findings are hard stops for racemic ketamine is clinic policy, set by the admin. Consent
    # and REMS enrolment are recorded by the clinicians who take them.
    Perm.EVALUATION_EDIT: frozenset({P, N, IN}),
    Perm.EVALUATION_SIGN: frozenset({P}),
    Perm.EVALUATION_POLICY: frozenset({A}),
    Perm.CONSENT_RECORD: frozenset({P, N}),
    # Protocols are clinic policy (admin, within the esketamine label floor). A plan is the
    # prescriber's: drafting, signing every change, and deciding at review points.
    Perm.PROTOCOL_EDIT: frozenset({A}),
    Perm.PLAN_WRITE: frozenset({P}),
    Perm.PLAN_SIGN: frozenset({P}),
    Perm.PLAN_REVIEW: frozenset({P}),
    # Chairs, rooms, hours and closures are set up by the admin. Booking is the front desk's
    # and the clinicians' (therapists book integration sessions); check-in is at the desk or
    # the chair. Directors read the schedule but do not change it.
    Perm.SCHEDULE_SETUP: frozenset({A}),
    Perm.APPOINTMENT_BOOK: frozenset({A, P, N, T, IN}),
    Perm.APPOINTMENT_CHECK_IN: frozenset({A, P, N, IN}),
    # The chair is run by nurses and prescribers (checks, dose, vitals, alerts, discharge);
    # a pre-dose hold and a discharge override are the prescriber's documented decision.
    Perm.SESSION_RUN: frozenset({P, N}),
    Perm.SESSION_CLEAR_HOLD: frozenset({P}),
    # The controlled-substance log: nurses and prescribers receive lots, record what they
    # draw, give and waste (with a second of them as witness) and count the stock; the
    # director and the admin who answer for the registration read the log and discrepancies.
    # Nurse and prescriber each sign the finished session, which locks it.
    Perm.SUBSTANCE_RECORD: frozenset({P, N}),
    Perm.SUBSTANCE_VIEW: frozenset({A, P, N, D}),
    # Signing off a discrepancy (what was found, what was reported) is for the director and
    # the admin who answer for the registration, not for the staff whose entries they are.
    Perm.SUBSTANCE_REVIEW: frozenset({A, D}),
    Perm.SESSION_SIGN: frozenset({P, N}),
    # Vitals and alert limits are clinic policy: the admin and the (medical) director set them.
    Perm.MONITORING_LIMITS: frozenset({A, D}),
    # Risk flags (issue #7): any clinician who works with the patient may raise one by hand;
    # acknowledging (with the action taken) is a clinician's, the director's included, since
    # escalation ends with the director. Rota, escalation list and crisis resources are clinic
    # settings (accounts.clinic_settings).
    Perm.SAFETY_FLAG_RAISE: frozenset({P, N, T}),
    Perm.SAFETY_FLAG_ACKNOWLEDGE: frozenset({P, N, T, D}),
    # The crisis workflow and safety plans are kept by the clinicians with the patient
    # (prescribers, nurses, therapists); only a prescriber lets dosing resume after a crisis.
    Perm.CRISIS_RECORD: frozenset({P, N, T}),
    Perm.DOSING_BLOCK_CLEAR: frozenset({P}),
    Perm.SAFETY_PLAN_EDIT: frozenset({P, N, T}),
    # Aftercare: integration notes are the therapist's (and a prescriber who does the
    # therapy); habits are logged by whoever hears them, goals are set by a clinician with the
    # patient; follow-up tasks (relapse review, booster) are the prescriber's decision.
    Perm.INTEGRATION_WRITE: frozenset({P, T}),
    Perm.HABIT_RECORD: frozenset({P, N, T, IN}),
    Perm.HABIT_GOAL_SET: frozenset({P, N, T}),
    Perm.FOLLOWUP_WORK: frozenset({P}),
}


def has_perm(membership: Membership | None, perm: Perm) -> bool:
    if membership is None or not membership.is_active:
        return False
    return Role(membership.role) in MATRIX[perm]


def perms_for(role: str) -> frozenset[Perm]:
    return frozenset(p for p, roles in MATRIX.items() if Role(role) in roles)


def actor_may(actor: Actor, clinic_id: int, perm: Perm) -> bool:
    """The acting person holds `perm` in this clinic, read from their active membership (an
    action's own check, not the role a caller states; pages check too)."""
    from ketacare.accounts.models import Membership

    if actor.user_id is None:
        return False
    return Membership.objects.filter(
        user_id=actor.user_id,
        clinic_id=clinic_id,
        role__in=[str(role) for role in MATRIX[perm]],
        is_active=True,
        user__is_active=True,
    ).exists()
