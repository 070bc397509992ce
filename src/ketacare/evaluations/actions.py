"""Changes to evaluations, decisions, consent, REMS enrolment and the clinic's policy.

Each action owns its transaction and its audit entry, and refuses bad input with an
`ActionError` naming the field. Every change to an evaluation locks its row and re-reads the
status first, so a signed evaluation is never changed, even by a request that loaded it
before it was signed: corrections are addenda.

The create actions take `once`, the request's one-time submission key (core/submission.py):
stored with the new row in the same transaction, so the same key never creates twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, Role
from ketacare.accounts.permissions import MATRIX, Perm
from ketacare.clinical import eligibility as el
from ketacare.clinical.eligibility import DEFAULT_SEVERITIES, MEDICAL_HISTORY
from ketacare.clinical.findings import RACEMIC_ROUTES, Severity
from ketacare.core import submission
from ketacare.evaluations import engine
from ketacare.evaluations.models import (
    CONSENT_RISKS,
    Addendum,
    AntidepressantTrialRecord,
    ClinicEligibilityPolicy,
    Consent,
    CurrentMedication,
    EligibilityDecision,
    Evaluation,
    EvaluationStatus,
    IndicationChoice,
    RemsEnrollment,
    RouteChoice,
)
from ketacare.patients.forms import before_birth
from ketacare.patients.models import Patient

SIGNED_MESSAGE = "Signed evaluations cannot be changed; add an addendum."

# What a one-time key is for (core/submission.py `scope`): the row's kind; the parent is the
# patient for an evaluation or a consent, the evaluation for the rest.
ONCE_EVALUATION = "evaluations.evaluation"
ONCE_CONSENT = "evaluations.consent"
ONCE_TRIAL = "evaluations.trial"
ONCE_MEDICATION = "evaluations.medication"
ONCE_ADDENDUM = "evaluations.addendum"

# Fields of the evaluation that do_update_evaluation may set (everything a form section holds).
EDITABLE_FIELDS = frozenset(
    {
        "indication",
        "psychiatric_history",
        "current_episode_started_on",
        "current_episode_description",
        "psychotherapy_history",
        "audit_c_score",
        "other_substances",
        "substance_last_used_on",
        "medical_history",
        "pregnant",
        "breastfeeding",
        "planning_pregnancy",
        "mood_stabiliser_current",
        "oral_antidepressant_current",
        "goals",
        "systolic_mmhg",
        "diastolic_mmhg",
        "heart_rate_bpm",
        "spo2_pct",
        "weight_kg",
        "height_cm",
    }
)


def _audit(actor: Actor, action: str, evaluation: Evaluation, **detail: Any) -> None:
    record(
        actor,
        action,
        object_type="evaluation",
        object_id=evaluation.pk,
        patient_id=evaluation.patient_id,
        clinic_id=evaluation.patient.clinic_id,
        detail=detail or None,
    )


def _lock_draft(evaluation: Evaluation) -> Evaluation:
    """Lock the row and refuse if it is signed (call inside a transaction)."""
    current = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
    if current.status == EvaluationStatus.SIGNED:
        raise ActionError("evaluation", SIGNED_MESSAGE)
    return current


def _today() -> date:
    return timezone.localdate()


def _refuse_impossible_day(field: str, what: str, day: date, patient: Patient) -> None:
    """A day after the clinic's today (staff requests run in the clinic's zone) or before the
    patient was born (a wrong year: 1900, 1800) cannot be right."""
    today = _today()
    if day > today:
        raise ActionError(
            field, f"{field}: {what} cannot be in the future (today is {today:%d %b %Y})."
        )
    if day < patient.birth_date:
        raise ActionError(field, f"{field}: {before_birth(what, patient)}")


def do_start_evaluation(
    actor: Actor, patient: Patient, route: str, indication: str, *, once: str = ""
) -> Evaluation:
    if route not in RouteChoice.values:
        raise ActionError(
            "route", f"route: “{route}” is not one of {', '.join(RouteChoice.values)}."
        )
    if indication not in IndicationChoice.values:
        raise ActionError(
            "indication",
            f"indication: “{indication}” is not one of {', '.join(IndicationChoice.values)}.",
        )
    with transaction.atomic():
        if (
            Evaluation.objects.filter(patient=patient)
            .filter(status=EvaluationStatus.DRAFT)
            .exists()
        ):
            raise ActionError("route", "This patient already has a draft evaluation; finish it.")
        latest = patient.measurements.first()
        height = next((m.height_cm for m in patient.measurements.exclude(height_cm=None)[:1]), None)
        now = timezone.now()
        evaluation = Evaluation.objects.create(
            patient=patient,
            route=route,
            indication=indication,
            weight_kg=latest.weight_kg if latest else None,
            height_cm=height,
            created_by_id=actor.user_id,
            created_at=now,
            last_edited_by_id=actor.user_id,
            last_edited_at=now,
        )
        submission.remember(
            actor, once, submission.scope(ONCE_EVALUATION, patient.pk), evaluation.pk
        )
        _audit(actor, "evaluations.evaluation.started", evaluation, route=route)
    return evaluation


class SectionProblems(ActionError):
    """Every refused field of an evaluation at once; `field` and `message` are the first, so a
    caller that knows only `ActionError` sees what it always saw."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(*problems[0])
        self.problems = problems


def section_problems(data: Mapping[str, Any], today: date | None = None) -> list[tuple[str, str]]:
    """(field, message) for what the engine or a clinician would reject, at most one per field,
    in the order the checks run."""
    today = today or _today()
    found: dict[str, str] = {}

    def refuse(name: str, message: str) -> None:
        found.setdefault(name, message)

    unknown = sorted(set(data) - EDITABLE_FIELDS)
    if unknown:
        refuse(unknown[0], f"{unknown[0]}: not a field of the evaluation.")
    if "indication" in data and data["indication"] not in IndicationChoice.values:
        refuse("indication", f"indication: “{data['indication']}” is not known.")
    history = data.get("medical_history", [])
    if not isinstance(history, list | tuple | set | frozenset):
        refuse("medical_history", "medical_history: expected a list of checklist keys.")
    else:
        for key in history:
            if key not in MEDICAL_HISTORY:
                refuse("medical_history", f"medical_history: unknown checklist key “{key}”.")
    for name in ("current_episode_started_on", "substance_last_used_on"):
        value = data.get(name)
        if value is not None and value > today:
            refuse(name, f"{name}: {value} is in the future.")
    sys_, dia = data.get("systolic_mmhg"), data.get("diastolic_mmhg")
    if sys_ is not None and dia is not None and dia >= sys_:
        refuse("diastolic_mmhg", f"diastolic_mmhg: {dia} is not below the systolic {sys_} mmHg.")
    limits = {
        "systolic_mmhg": (40, 300),
        "diastolic_mmhg": (20, 200),
        "heart_rate_bpm": (20, 250),
        "spo2_pct": (50, 100),
        "audit_c_score": (0, 12),
    }
    for name, (low, high) in limits.items():
        value = data.get(name)
        if value is not None and not low <= value <= high:
            refuse(name, f"{name}: {value} is outside {low}-{high}.")
    from ketacare.clinical.anthropometry import check_height, check_weight

    for name, check in (("weight_kg", check_weight), ("height_cm", check_height)):
        value = data.get(name)
        if value is not None and (problem := check(Decimal(value))):
            refuse(name, f"{name}: {problem}")
    return list(found.items())


def validate_sections(data: Mapping[str, Any], today: date | None = None) -> None:
    """Refuse what the engine or a clinician would reject, naming every field at fault
    (`SectionProblems`)."""
    problems = section_problems(data, today)
    if problems:
        raise SectionProblems(problems)


def do_update_evaluation(
    actor: Actor, evaluation: Evaluation, data: Mapping[str, Any]
) -> list[str]:
    """Apply changed section fields; returns their names (audited by name, not value)."""
    with transaction.atomic():
        current = _lock_draft(evaluation)
        merged = {name: getattr(current, name) for name in EDITABLE_FIELDS}
        merged.update(data)
        validate_sections(merged)
        if "medical_history" in data:
            data = {**data, "medical_history": sorted(set(data["medical_history"]))}
        changed = [name for name, value in data.items() if getattr(current, name) != value]
        if not changed:
            return []
        for name in changed:
            setattr(evaluation, name, data[name])
        evaluation.last_edited_by_id = actor.user_id
        evaluation.last_edited_at = timezone.now()
        evaluation.save(update_fields=[*changed, "last_edited_by", "last_edited_at"])
        _audit(actor, "evaluations.evaluation.updated", evaluation, fields=sorted(changed))
    return changed


# What the engine checks on a trial or a medication, field by field (`clinical/`: a name, doses
# and weeks of at least 0, an improvement of at most 100 %).
TRIAL_CHECKED = ("drug", "dose_mg", "weeks_at_dose", "improvement_pct")
MEDICATION_CHECKED = ("name", "daily_dose_mg")


def _engine_problems(
    data: Mapping[str, Any], checked: tuple[str, ...], probe: Any
) -> list[tuple[str, str]]:
    """(field, message) for every field in `checked` the engine refuses. The engine stops at its
    first problem, so each value is judged alone, on a row that is otherwise fine: a negative
    dose is reported next to a missing name, not after it is fixed."""
    found = []
    for name in checked:
        if name not in data:
            continue
        try:
            probe({name: data[name]})
        except ValueError as problem:
            found.append((name, str(problem)))
    return found


def _engine_accepts(convert: Any, row: Any) -> None:
    """Refuse what the engine refuses about the whole row, naming the field it names."""
    try:
        convert(row)
    except ValueError as problem:
        field = str(problem).split(":", 1)[0]
        raise ActionError(field, str(problem)) from None


def trial_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return _engine_problems(
        data,
        TRIAL_CHECKED,
        lambda one: engine.trial_input(
            AntidepressantTrialRecord(**{"drug": "probe", "in_current_episode": True, **one})
        ),
    )


def medication_problems(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    return _engine_problems(
        data,
        MEDICATION_CHECKED,
        lambda one: engine.medication_input(CurrentMedication(**{"name": "probe", **one})),
    )


def do_add_trial(
    actor: Actor, evaluation: Evaluation, data: Mapping[str, Any], *, once: str = ""
) -> AntidepressantTrialRecord:
    with transaction.atomic():
        _lock_draft(evaluation)
        trial = AntidepressantTrialRecord(
            evaluation=evaluation, recorded_by_id=actor.user_id, **data
        )
        # The engine's own validation, every field at fault named at once.
        if problems := trial_problems(data):
            raise SectionProblems(problems)
        _engine_accepts(engine.trial_input, trial)  # the rest (response, reason stopped)
        trial.save()
        submission.remember(actor, once, submission.scope(ONCE_TRIAL, evaluation.pk), trial.pk)
        _audit(actor, "evaluations.trial.added", evaluation, trial=trial.pk)
    return trial


def do_remove_trial(actor: Actor, evaluation: Evaluation, trial_id: int) -> None:
    with transaction.atomic():
        _lock_draft(evaluation)
        deleted, _ = evaluation.trials.filter(pk=trial_id).delete()
        if not deleted:
            raise ActionError("trial", "No such trial on this evaluation.")
        _audit(actor, "evaluations.trial.removed", evaluation, trial=trial_id)


def do_add_medication(
    actor: Actor, evaluation: Evaluation, data: Mapping[str, Any], *, once: str = ""
) -> CurrentMedication:
    with transaction.atomic():
        _lock_draft(evaluation)
        medication = CurrentMedication(evaluation=evaluation, recorded_by_id=actor.user_id, **data)
        if problems := medication_problems(data):
            raise SectionProblems(problems)
        _engine_accepts(engine.medication_input, medication)  # the rest (drug class)
        medication.save()
        submission.remember(
            actor, once, submission.scope(ONCE_MEDICATION, evaluation.pk), medication.pk
        )
        _audit(actor, "evaluations.medication.added", evaluation, medication=medication.pk)
    return medication


def do_remove_medication(actor: Actor, evaluation: Evaluation, medication_id: int) -> None:
    with transaction.atomic():
        _lock_draft(evaluation)
        deleted, _ = evaluation.medications.filter(pk=medication_id).delete()
        if not deleted:
            raise ActionError("medication", "No such medication on this evaluation.")
        _audit(actor, "evaluations.medication.removed", evaluation, medication=medication_id)


def _store_decision(
    actor: Actor,
    evaluation: Evaluation,
    decision: el.EligibilityDecision,
    overrides: Mapping[str, str],
) -> EligibilityDecision:
    stored, _ = EligibilityDecision.objects.update_or_create(
        evaluation=evaluation,
        defaults={
            "route": decision.route.value,
            "outcome": decision.outcome.value,
            "findings": [engine.finding_dict(f) for f in decision.findings],
            "summary": list(decision.summary),
            "overrides": dict(overrides),
            "policy_snapshot": decision.policy.changes(),
            "policy_name": decision.policy.name,
            "engine_version": engine.ENGINE_VERSION,
            "decided_by_id": actor.user_id,
            "decided_at": timezone.now(),
        },
    )
    return stored


def do_decide(
    actor: Actor, evaluation: Evaluation, overrides: Mapping[str, str] | None = None
) -> EligibilityDecision:
    """Re-run the engine on the draft and store its findings (not yet signed)."""
    with transaction.atomic():
        _lock_draft(evaluation)
        clean = {code: text.strip() for code, text in (overrides or {}).items() if text.strip()}
        decision = engine.run(evaluation, clean)
        stored = _store_decision(actor, evaluation, decision, clean)
        _audit(actor, "evaluations.decision.computed", evaluation, outcome=stored.outcome)
    return stored


def do_sign_decision(
    actor: Actor,
    evaluation: Evaluation,
    overrides: Mapping[str, str],
    declined_reason: str = "",
) -> EligibilityDecision:
    """Re-run the engine with the prescriber's justifications, store and sign the decision
    and the evaluation, freezing both.

    Every relative finding needs a written justification, unless the prescriber records why
    the patient is not eligible (`declined_reason`), or a hard stop already makes them so. A
    "not eligible" decision is signed like any other: it records the decision and its reasons.
    """
    if actor.role and Role(actor.role) not in MATRIX[Perm.EVALUATION_SIGN]:
        raise ActionError("evaluation", "Only a prescriber can sign an eligibility decision.")
    declined_reason = declined_reason.strip()
    with transaction.atomic():
        current = _lock_draft(evaluation)
        clean = {code: text.strip() for code, text in overrides.items() if text.strip()}
        decision = engine.run(current, clean)
        missing = decision.awaiting_justification
        if missing and not decision.hard_stops and not declined_reason:
            finding = missing[0]
            raise ActionError(
                f"justification_{finding.code}",
                f"justification_{finding.code}: “{finding.title}” is a relative "
                "contraindication; write why treatment is justified, or record why the "
                "patient is not eligible.",
            )
        used = {f.code: f.justification for f in decision.findings if f.justification}
        stored = _store_decision(actor, current, decision, used)
        now = timezone.now()
        if declined_reason:
            stored.outcome = el.Outcome.NOT_ELIGIBLE.value
            stored.declined_reason = declined_reason
            stored.summary = [
                f"Not eligible: the prescriber declined treatment — {declined_reason}",
                *stored.summary,
            ]
        stored.signed_by_id = actor.user_id
        stored.signed_at = now
        stored.save()
        evaluation.status = current.status = EvaluationStatus.SIGNED
        evaluation.signed_by_id = actor.user_id
        evaluation.signed_at = now
        evaluation.save(update_fields=["status", "signed_by", "signed_at"])
        _audit(
            actor,
            "evaluations.decision.signed",
            evaluation,
            outcome=stored.outcome,
            route=stored.route,
            overridden=sorted(used),
            declined=bool(declined_reason),
        )
    return stored


def do_add_addendum(actor: Actor, evaluation: Evaluation, text: str, *, once: str = "") -> Addendum:
    text = text.strip()
    if not text:
        raise ActionError("text", "text: write the addendum.")
    with transaction.atomic():
        current = Evaluation.objects.select_for_update().get(pk=evaluation.pk)
        if current.status != EvaluationStatus.SIGNED:
            raise ActionError("text", "The evaluation is a draft: edit it instead.")
        if actor.user_id is None:
            raise ActionError("author", "An addendum needs a signed-in author.")
        addendum = Addendum.objects.create(
            evaluation=evaluation, author_id=actor.user_id, text=text
        )
        submission.remember(
            actor, once, submission.scope(ONCE_ADDENDUM, evaluation.pk), addendum.pk
        )
        _audit(actor, "evaluations.addendum.added", evaluation, addendum=addendum.pk)
    return addendum


def do_record_consent(
    actor: Actor, patient: Patient, data: Mapping[str, Any], *, once: str = ""
) -> Consent:
    route = data.get("route", "")
    if route not in RouteChoice.values:
        raise ActionError("route", f"route: “{route}” is not known.")
    if not str(data.get("version", "")).strip():
        raise ActionError("version", "version: give the version of the consent text signed.")
    if el.Route(route) in RACEMIC_ROUTES and not data.get("off_label_disclosed"):
        raise ActionError(
            "off_label_disclosed",
            "off_label_disclosed: racemic ketamine for this use is off-label; the disclosure "
            "must be made and recorded (clinical.md §2c).",
        )
    risks = list(data.get("risks_discussed") or [])
    if not risks:
        raise ActionError("risks_discussed", "risks_discussed: record the risks discussed.")
    for risk in risks:
        if risk not in CONSENT_RISKS:
            raise ActionError("risks_discussed", f"risks_discussed: unknown risk “{risk}”.")
    if not str(data.get("patient_signature_name", "")).strip():
        raise ActionError("patient_signature_name", "patient_signature_name: required.")
    signed_on = data.get("signed_on")
    if signed_on is None:
        raise ActionError("signed_on", "signed_on: required.")
    _refuse_impossible_day("signed_on", "The signing date", signed_on, patient)
    with transaction.atomic():
        consent = Consent.objects.create(
            patient=patient,
            route=route,
            version=str(data["version"]).strip(),
            off_label_disclosed=bool(data.get("off_label_disclosed")),
            risks_discussed=sorted(set(risks)),
            patient_signature_name=str(data["patient_signature_name"]).strip(),
            signed_on=signed_on,
            witness_name=str(data.get("witness_name") or "").strip(),
            recorded_by_id=actor.user_id,
        )
        submission.remember(actor, once, submission.scope(ONCE_CONSENT, patient.pk), consent.pk)
        record(
            actor,
            "evaluations.consent.recorded",
            object_type="consent",
            object_id=consent.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"route": route, "version": consent.version},
        )
    return consent


def do_record_rems_enrollment(
    actor: Actor, patient: Patient, rems_patient_id: str, enrolled_on: date | None
) -> RemsEnrollment:
    rems_patient_id = (rems_patient_id or "").strip()
    if not rems_patient_id:
        raise ActionError("rems_patient_id", "rems_patient_id: the REMS identifier is required.")
    if enrolled_on is None:
        raise ActionError("enrolled_on", "enrolled_on: the enrolment date is required.")
    _refuse_impossible_day("enrolled_on", "The enrolment date", enrolled_on, patient)
    with transaction.atomic():
        enrollment, created = RemsEnrollment.objects.update_or_create(
            patient=patient,
            defaults={
                "rems_patient_id": rems_patient_id,
                "enrolled_on": enrolled_on,
                "recorded_by_id": actor.user_id,
                "recorded_at": timezone.now(),
            },
        )
        record(
            actor,
            "evaluations.rems.recorded" if created else "evaluations.rems.updated",
            object_type="rems_enrollment",
            object_id=enrollment.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
        )
    return enrollment


def do_set_policy(
    actor: Actor, clinic: Clinic, severities: Mapping[tuple[str, str], str]
) -> ClinicEligibilityPolicy:
    """Store the clinic's severities ({(route, code): severity}); cells equal to the default
    are not stored, so later changes to the defaults reach the clinic. Refuses what the engine
    refuses (a locked rule set below its legal floor), naming the rule."""
    changes: dict[str, dict[str, str]] = {}
    for (route, code), value in severities.items():
        if route not in RouteChoice.values or (el.Route(route), code) not in DEFAULT_SEVERITIES:
            raise ActionError(f"{route}.{code}", f"{code}: no such rule for {route}.")
        if value not in {s.value for s in Severity}:
            raise ActionError(f"{route}.{code}", f"{code}: “{value}” is not a severity.")
        try:
            el.DEFAULT_POLICY.with_severity(code, Severity(value), el.Route(route))
        except ValueError as problem:
            raise ActionError(f"{route}.{code}", str(problem)) from None
        if DEFAULT_SEVERITIES[(el.Route(route), code)].value != value:
            changes.setdefault(route, {})[code] = value
    stored_changes = el.EligibilityPolicy.from_changes(changes).changes()
    with transaction.atomic():
        stored, _ = ClinicEligibilityPolicy.objects.select_for_update().get_or_create(clinic=clinic)
        previous = stored.changes
        stored.changes = stored_changes
        stored.updated_by_id = actor.user_id
        stored.updated_at = timezone.now()
        stored.save()
        record(
            actor,
            "evaluations.policy.updated",
            object_type="clinic_eligibility_policy",
            object_id=stored.pk,
            clinic_id=clinic.pk,
            detail={"before": previous, "after": stored_changes},
        )
    return stored
