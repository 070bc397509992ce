"""Writing, signing and revising treatment plans.

Each action owns its transaction and audit entry, locks the plan row and re-reads it, and
refuses bad input with an `ActionError` naming the field. A draft may be edited freely; signing
makes revision 1; after that every change is a new `PlanRevision` with its author, time and
reason, and the plan row only mirrors the latest revision.

Creating a plan, signing it and changing its status or phase take `once`, the page form's
one-time submission key (core/submission.py), stored with the plan or the revision in the same
transaction: pressed twice, the repeat changes nothing and is not refused as if it had failed
("already has an open plan", "only a draft can be signed").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.clinical.dosing import DoseCalculation, calculate_dose
from ketacare.clinical.protocols import Protocol, WeightBasis
from ketacare.clinical.scales import get_scale
from ketacare.core import submission
from ketacare.evaluations.gates import indication_label, signed_decision
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.models import Patient
from ketacare.plans.models import (
    PLAN_TRANSITIONS,
    PlanRevision,
    PlanStatus,
    RevisionKind,
    TreatmentPlan,
)
from ketacare.plans.protocols import author_id, build_protocol, clinic_protocol, is_available

# The fields a prescriber personalises; each revision snapshots these plus status and phase.
PERSONAL_FIELDS = (
    "dose_value",
    "weight_basis",
    "concentration_mg_per_ml",
    "frequency_count",
    "frequency_per_days",
    "sessions_planned",
    "targets",
    "goals",
    "starts_on",
)
SNAPSHOT_FIELDS = (*PERSONAL_FIELDS, "status", "status_reason", "phase")
OPEN_STATUSES = (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD)
COMPARISONS = ("lt", "le")


def plan_protocol(plan: TreatmentPlan) -> Protocol:
    """The protocol version the plan was written under (never a later edit)."""
    return build_protocol(plan.protocol_code, plan.protocol_version, plan.protocol_changes)


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def snapshot(plan: TreatmentPlan) -> dict[str, Any]:
    return {name: _json(getattr(plan, name)) for name in SNAPSHOT_FIELDS}


def _diff(before: dict[str, Any], plan: TreatmentPlan) -> dict[str, Any]:
    """field -> [before, after] for every snapshot field the change touched."""
    after = snapshot(plan)
    return {k: [before[k], after[k]] for k in after if before[k] != after[k]}


# --- validation -----------------------------------------------------------------------------


def _decimal(field: str, value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ActionError(field, f"{value!r} is not a number.") from None
    if not number.is_finite() or number <= 0:
        raise ActionError(field, "Must be a number greater than 0.")
    return number


def _whole(field: str, value: Any, low: int = 1, high: int = 365) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise ActionError(field, f"{value!r} is not a whole number.") from None
    if not low <= number <= high:
        raise ActionError(field, f"Must be between {low} and {high}.")
    return number


def _targets(value: Any) -> list[dict[str, Any]]:
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise ActionError("targets", "Targets must be a list.")
    out = []
    problems = []
    for n, item in enumerate(value, start=1):
        try:
            out.append(_target(n, item))
        except ActionError as problem:
            problems.append((problem.field, problem.message))
    if problems:
        raise PlanProblems(problems)
    return out


def _target(n: int, item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping):
        raise ActionError("targets", f"Target {n} is not a scale and a value.")
    code = str(item.get("scale", "")).strip()
    try:
        scale = get_scale(code)
    except (KeyError, ValueError):
        raise ActionError("targets", f"Target {n}: unknown scale {code!r}.") from None
    target = _whole("targets", item.get("target"), low=0, high=10_000)
    if target is None:
        raise ActionError("targets", f"Target {n} ({scale.name}): give a score.")
    low, high = scale.min_total, scale.max_total
    if low is not None and high is not None and not low <= target <= high:
        raise ActionError(
            "targets", f"Target {n}: {scale.name} totals run {low}–{high}, not {target}."
        )
    comparison = str(item.get("comparison") or "lt")
    if comparison not in COMPARISONS:
        raise ActionError("targets", f"Target {n}: comparison must be 'lt' or 'le'.")
    return {"scale": scale.code, "target": target, "comparison": comparison}


class PlanProblems(ActionError):
    """Every refused value of a personalisation at once, as (field, message) in the order the
    checks run; `field` and `message` are the first, so a caller that knows only
    `ActionError` sees what it always saw."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(*problems[0])
        self.problems = problems


def problems_of(error: ActionError) -> list[tuple[str, str]]:
    """(field, message) for every problem an action refused with."""
    return list(getattr(error, "problems", [(error.field, error.message)]))


def clean_personalisation(
    protocol: Protocol,
    phase: str,
    values: Mapping[str, Any],
    *,
    plan: TreatmentPlan | None = None,
) -> dict:
    """Check personalised values against the protocol; returns the cleaned values.

    The dose must be one of the protocol's titration steps (and whole 28 mg devices among the
    label doses for esketamine); a weight basis only applies to a weight-based dose; the
    frequency may not bring sessions closer than the phase's minimum interval; with `plan`, a
    new start date must be plausible for its patient (`_check_start`). Every field is checked
    on its own and all problems are raised together (`PlanProblems`), so a prescriber fixing
    a plan sees every problem at once."""
    cleaned, problems = personalisation_problems(protocol, phase, values, plan=plan)
    if problems:
        raise PlanProblems(problems)
    return cleaned


def personalisation_problems(
    protocol: Protocol,
    phase: str,
    values: Mapping[str, Any],
    *,
    plan: TreatmentPlan | None = None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(the values that passed, cleaned; (field, message) for every value refused). Stores
    nothing: pages call it on what their form could read, to show the rules' problems beside
    the form's own."""
    cleaned: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    rule = protocol.dose_for(phase)
    checks: list[tuple[tuple[str, ...], Any]] = [
        (("dose_value",), lambda: {"dose_value": _clean_dose(rule, values["dose_value"])}),
        (("weight_basis",), lambda: {"weight_basis": _clean_basis(rule, values["weight_basis"])}),
        (
            ("concentration_mg_per_ml",),
            lambda: {
                "concentration_mg_per_ml": _clean_strength(rule, values["concentration_mg_per_ml"])
            },
        ),
        (
            ("frequency_count", "frequency_per_days"),
            lambda: _clean_frequency(protocol, phase, values),
        ),
        (
            ("sessions_planned",),
            lambda: {
                "sessions_planned": _whole("sessions_planned", values["sessions_planned"], high=200)
            },
        ),
        (("targets",), lambda: {"targets": _targets(values["targets"])}),
        (("goals",), lambda: {"goals": str(values["goals"] or "").strip()}),
        (("starts_on",), lambda: {"starts_on": _clean_start(values["starts_on"])}),
    ]
    for names, check in checks:
        if not any(name in values for name in names):
            continue
        try:
            cleaned.update(check())
        except ActionError as problem:
            problems.extend(problems_of(problem))
    if plan is not None and "starts_on" in cleaned:
        try:
            _check_start(plan, cleaned)
        except ActionError as problem:
            problems.append((problem.field, problem.message))
    for name in sorted(set(values) - set(PERSONAL_FIELDS)):
        problems.append((name, "This field cannot be personalised."))
    return cleaned, problems


def _clean_dose(rule: Any, value: Any) -> Decimal | None:
    dose = _decimal("dose_value", value)
    if dose is not None:
        try:
            calculate_dose(rule, value=dose, weight_kg=70 if rule.is_weight_based else None)
        except ValueError as problem:
            raise ActionError("dose_value", str(problem).partition(": ")[2]) from None
        if rule.max_dose_mg is not None and not rule.is_weight_based and dose > rule.max_dose_mg:
            raise ActionError("dose_value", f"Above the protocol maximum {rule.max_dose_mg} mg.")
    return dose


def _clean_basis(rule: Any, value: Any) -> str:
    basis = str(value or "")
    if basis and basis not in WeightBasis.__members__.values():
        raise ActionError("weight_basis", "Choose actual, ideal or adjusted body weight.")
    if basis and not rule.is_weight_based:
        raise ActionError("weight_basis", "This protocol's dose does not depend on weight.")
    return basis


def _clean_strength(rule: Any, value: Any) -> Decimal | None:
    strength = _decimal("concentration_mg_per_ml", value)
    if strength is not None and rule.kind.value == "devices_28mg":
        raise ActionError("concentration_mg_per_ml", "Esketamine is dosed in devices, not mL.")
    return strength


def _clean_frequency(
    protocol: Protocol, phase: str, values: Mapping[str, Any]
) -> dict[str, int | None]:
    problems = []
    count = per_days = None
    try:
        count = _whole("frequency_count", values.get("frequency_count"), high=7)
    except ActionError as problem:
        problems.append((problem.field, problem.message))
    try:
        per_days = _whole("frequency_per_days", values.get("frequency_per_days"), high=90)
    except ActionError as problem:
        problems.append((problem.field, problem.message))
    if problems:
        raise PlanProblems(problems)
    if (count is None) != (per_days is None):
        field = "frequency_per_days" if per_days is None else "frequency_count"
        raise ActionError(field, "Give both the number of sessions and the period in days.")
    if count is not None and per_days is not None:
        _check_frequency(protocol, phase, count, per_days)
    return {"frequency_count": count, "frequency_per_days": per_days}


def _clean_start(value: Any) -> date | None:
    start = value
    if isinstance(start, str) and start:
        try:
            start = date.fromisoformat(start)
        except ValueError:
            raise ActionError("starts_on", "Use a date like 2026-12-01.") from None
    if start not in (None, "") and not isinstance(start, date):
        raise ActionError("starts_on", "Use a date like 2026-12-01.")
    return start or None


# As for appointments (scheduling/forms.py): no course is planned more than two years ahead.
MAX_START_DAYS_AHEAD = 2 * 366


def _check_start(plan: TreatmentPlan, cleaned: Mapping[str, Any]) -> None:
    """A start date typed now (not one already on the plan, which a revision sends back
    unchanged) before the patient was born (1900) or years ahead (3026 for 2026) is a slip in
    the year."""
    start = cleaned.get("starts_on")
    if start is None or start == plan.starts_on:
        return
    born = plan.patient.birth_date
    if start < born:
        raise ActionError(
            "starts_on",
            f"{start:%d %b %Y} is before the patient was born ({born:%d %b %Y}); check the year.",
        )
    today = clinic_today(plan.clinic)
    if start > today + timedelta(days=MAX_START_DAYS_AHEAD):
        raise ActionError(
            "starts_on",
            f"{start:%d %b %Y} is more than two years ahead; check the year.",
        )


def _check_frequency(protocol: Protocol, phase_code: str, count: int, per_days: int) -> None:
    phase = protocol.phase(phase_code)
    if protocol.route.is_esketamine:
        allowed = {(f.count, f.per_days) for f in phase.frequencies}
        if (count, per_days) not in allowed:
            choices = " or ".join(f.describe() for f in phase.frequencies)
            raise ActionError(
                "frequency_count", f"The esketamine label allows {choices} in {phase.label}."
            )
    gap = phase.min_interval_hours
    if gap is not None and per_days * 24 < gap * count:
        raise ActionError(
            "frequency_count",
            f"{count} sessions every {per_days} days cannot keep the minimum {gap} h between "
            f"sessions of {phase.label} ({phase.interval_source or phase.source}).",
        )


# --- actions --------------------------------------------------------------------------------


def _locked(plan: TreatmentPlan) -> TreatmentPlan:
    return TreatmentPlan.objects.select_for_update().get(pk=plan.pk)


def _label_indication(protocol: Protocol) -> str | None:
    """The indication the signed evaluation must be for. Esketamine: the protocol's own, since
    the label doses TRD and MDSI differently (56 mg start vs 84 mg from the first session,
    clinical.md §5a, §5c) and eligibility is judged for one of them. Racemic ketamine is
    off-label whatever the indication (§1): a signed decision for the route is enough."""
    return protocol.indication.value if protocol.route.is_esketamine else None


# What a one-time key is for (core/submission.py `scope`): a new plan hangs off the patient,
# the rest off the plan (the key is stored with the revision made).
ONCE_PLAN = "plans.plan"
ONCE_SIGN = "plans.sign"
ONCE_STATUS = "plans.status"
ONCE_PHASE = "plans.phase"


def do_create_plan(
    actor: Actor,
    patient: Patient,
    protocol_code: str,
    values: Mapping[str, Any] | None = None,
    *,
    once: str = "",
) -> TreatmentPlan:
    """A draft plan under the clinic's current version of the protocol. The patient needs a
    signed eligibility decision allowing the protocol's route, and no other open plan."""
    clinic = patient.clinic
    if not is_available(clinic, protocol_code):
        raise ActionError("protocol", "Choose a protocol the clinic offers.")
    protocol = clinic_protocol(clinic, protocol_code)
    decision = signed_decision(patient, protocol.route.value, _label_indication(protocol))
    if decision is None or not decision.allows_treatment:
        evaluated = signed_decision(patient, protocol.route.value)
        if evaluated is not None and evaluated.allows_treatment:
            raise ActionError(
                "protocol",
                f"{patient.display_name} was evaluated for esketamine for "
                f"{evaluated.evaluation.get_indication_display().lower()}; this protocol is "
                f"the label's dosing for {indication_label(protocol.indication.value).lower()} "
                "(clinical.md §5a, §5c): evaluate them for it first.",
            )
        raise ActionError(
            "protocol",
            f"{patient.display_name} has no signed eligibility decision allowing "
            f"{protocol.route.label}: sign the evaluation first.",
        )
    first_phase = protocol.phases[0].code
    cleaned = clean_personalisation(
        protocol, first_phase, values or {}, plan=TreatmentPlan(clinic=clinic, patient=patient)
    )
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        if TreatmentPlan.objects.filter(patient=patient, status__in=OPEN_STATUSES).exists():
            raise ActionError(
                "protocol", "This patient already has an open plan: complete or stop it first."
            )
        row = clinic_protocol(clinic, protocol_code)
        plan = TreatmentPlan.objects.create(
            clinic=clinic,
            patient=patient,
            protocol_code=protocol_code,
            protocol_version=row.version,
            protocol_changes=_stored_changes(clinic, protocol_code, row.version),
            route=protocol.route.value,
            phase=first_phase,
            created_by_id=author_id(actor),
            **cleaned,
        )
        submission.remember(actor, once, submission.scope(ONCE_PLAN, patient.pk), plan.pk)
        record(
            actor,
            "plans.plan.created",
            object_type="plan",
            object_id=plan.pk,
            patient_id=patient.pk,
            clinic_id=clinic.pk,
            detail={"protocol": f"{protocol_code}@{row.version}"},
        )
    return plan


def _stored_changes(clinic: Any, code: str, version: int) -> dict[str, Any]:
    from ketacare.plans.models import ClinicProtocol

    row = ClinicProtocol.objects.filter(clinic=clinic, code=code, version=version).first()
    return dict(row.changes) if row else {}


def do_update_draft(actor: Actor, plan: TreatmentPlan, values: Mapping[str, Any]) -> TreatmentPlan:
    with transaction.atomic():
        plan = _locked(plan)
        if plan.status != PlanStatus.DRAFT:
            raise ActionError("plan", "A signed plan changes by revision, with a reason.")
        cleaned = clean_personalisation(plan_protocol(plan), plan.phase, values, plan=plan)
        for name, value in cleaned.items():
            setattr(plan, name, value)
        plan.updated_at = timezone.now()
        plan.save()
        record(
            actor,
            "plans.plan.draft_updated",
            object_type="plan",
            object_id=plan.pk,
            patient_id=plan.patient_id,
            clinic_id=plan.clinic_id,
            detail={"fields": sorted(cleaned)},
        )
    return plan


def _append_revision(
    actor: Actor, plan: TreatmentPlan, kind: str, reason: str, changes: dict[str, Any]
) -> PlanRevision:
    plan.revision += 1
    plan.updated_at = timezone.now()
    plan.save()
    revision = PlanRevision.objects.create(
        plan=plan,
        number=plan.revision,
        kind=kind,
        author_id=author_id(actor),
        reason=reason,
        snapshot=snapshot(plan),
        changes=changes,
    )
    record(
        actor,
        f"plans.plan.{kind}",
        object_type="plan",
        object_id=plan.pk,
        patient_id=plan.patient_id,
        clinic_id=plan.clinic_id,
        detail={"revision": revision.number, "reason": reason, "fields": sorted(changes)},
    )
    return revision


def _remember(actor: Actor, once: str, kind: str, revision: PlanRevision) -> PlanRevision:
    submission.remember(actor, once, submission.scope(kind, revision.plan_id), revision.pk)
    return revision


def do_sign_plan(
    actor: Actor, plan: TreatmentPlan, reason: str = "", *, once: str = ""
) -> PlanRevision:
    """Draft → active, revision 1. Eligibility is re-checked at signing."""
    with transaction.atomic():
        plan = _locked(plan)
        if plan.status != PlanStatus.DRAFT:
            raise ActionError("plan", "Only a draft plan can be signed.")
        indication = _label_indication(plan_protocol(plan))
        decision = signed_decision(plan.patient, plan.route, indication)
        if decision is None or not decision.allows_treatment:
            raise ActionError("plan", "The patient no longer has a signed eligibility decision.")
        plan.status = PlanStatus.ACTIVE
        plan.signed_by_id = actor.user_id
        plan.signed_at = timezone.now()
        if plan.starts_on is None:
            plan.starts_on = clinic_today(plan.clinic, plan.signed_at)
        revision = _append_revision(
            actor, plan, RevisionKind.SIGNED, reason.strip() or "Plan signed.", {}
        )
        return _remember(actor, once, ONCE_SIGN, revision)


def _require_signed_open(plan: TreatmentPlan) -> None:
    if plan.status == PlanStatus.DRAFT:
        raise ActionError("plan", "Edit the draft directly; revisions start once it is signed.")
    if plan.status not in OPEN_STATUSES:
        raise ActionError("plan", f"The plan is {plan.get_status_display().lower()}: it is closed.")


def _reason(reason: str) -> str:
    if not (reason or "").strip():
        raise ActionError("reason", "Give the reason for the change.")
    return reason.strip()


def do_revise_plan(
    actor: Actor,
    plan: TreatmentPlan,
    values: Mapping[str, Any],
    reason: str,
    kind: str = RevisionKind.CHANGED,
) -> PlanRevision:
    """Change personalised values of a signed plan: a new revision with the reason."""
    reason = _reason(reason)
    with transaction.atomic():
        plan = _locked(plan)
        _require_signed_open(plan)
        cleaned = clean_personalisation(plan_protocol(plan), plan.phase, values, plan=plan)
        before = snapshot(plan)
        for name, value in cleaned.items():
            setattr(plan, name, value)
        changes = _diff(before, plan)
        if not changes:
            raise ActionError("plan", "Nothing was changed.")
        return _append_revision(actor, plan, kind, reason, changes)


def do_record_review(actor: Actor, plan: TreatmentPlan, reason: str) -> PlanRevision:
    """A review that changes nothing ("continue as planned") is still a revision of the plan:
    who reviewed it, when and why, with the plan as it stands."""
    reason = _reason(reason)
    with transaction.atomic():
        plan = _locked(plan)
        _require_signed_open(plan)
        return _append_revision(actor, plan, RevisionKind.REVIEW, reason, {})


def do_set_status(
    actor: Actor, plan: TreatmentPlan, status: str, reason: str, *, once: str = ""
) -> PlanRevision:
    reason = _reason(reason)
    with transaction.atomic():
        plan = _locked(plan)
        if plan.status == PlanStatus.DRAFT:
            raise ActionError("status", "Sign the plan first.")
        if status not in PLAN_TRANSITIONS.get(plan.status, frozenset()):
            raise ActionError(
                "status",
                f"A plan that is {plan.get_status_display().lower()} cannot become "
                f"{PlanStatus(status).label.lower() if status in PlanStatus.values else status}.",
            )
        before = snapshot(plan)
        plan.status = status
        plan.status_reason = reason
        revision = _append_revision(actor, plan, RevisionKind.STATUS, reason, _diff(before, plan))
        return _remember(actor, once, ONCE_STATUS, revision)


def do_set_phase(
    actor: Actor, plan: TreatmentPlan, phase: str, reason: str, *, once: str = ""
) -> PlanRevision:
    reason = _reason(reason)
    with transaction.atomic():
        plan = _locked(plan)
        _require_signed_open(plan)
        protocol = plan_protocol(plan)
        if phase not in [p.code for p in protocol.phases]:
            raise ActionError("phase", f"{protocol.name} has no phase {phase!r}.")
        if phase == plan.phase:
            raise ActionError("phase", "The plan is already in that phase.")
        before = snapshot(plan)
        plan.phase = phase
        # A frequency chosen for the old phase may not fit the new one: the phase default applies.
        plan.frequency_count = plan.frequency_per_days = None
        plan.sessions_planned = None
        # Nor may the dose step (e.g. a phase with its own dose rule): back to its default.
        if plan.dose_value is not None:
            try:
                clean_personalisation(protocol, phase, {"dose_value": plan.dose_value})
            except ActionError:
                plan.dose_value = None
        revision = _append_revision(actor, plan, RevisionKind.PHASE, reason, _diff(before, plan))
        return _remember(actor, once, ONCE_PHASE, revision)


# --- dose -----------------------------------------------------------------------------------


def plan_dose(
    plan: TreatmentPlan,
    *,
    weight_kg: Any = None,
    height_cm: Any = None,
    sex: str | None = None,
    first_session: bool = False,
    concentration_mg_per_ml: Decimal | None = None,
) -> DoseCalculation:
    """The session dose the plan gives for today's weight (clinical.dosing does the work).
    `concentration_mg_per_ml`: the strength actually drawn up, when it is not the plan's (the
    mg dose is the same; the volume and the pump rate of the working follow the strength)."""
    protocol = plan_protocol(plan)
    rule = protocol.dose_for(plan.phase)
    # Stored with three places: 0.500 mg/kg reads as 0.5 on the working.
    value = plan.dose_value
    strength = concentration_mg_per_ml or plan.concentration_mg_per_ml
    return calculate_dose(
        protocol,
        phase=plan.phase,
        weight_kg=weight_kg if rule.is_weight_based else None,
        height_cm=height_cm if rule.is_weight_based else None,
        sex=sex if rule.is_weight_based else None,
        concentration_mg_per_ml=_plain(strength) if strength is not None else None,
        value=_plain(value) if value is not None else None,
        basis=plan.weight_basis or None,
        # A chosen esketamine dose above the label's start dose still starts at it
        # (calculate_dose); any other chosen value is the prescriber's.
        first_session=first_session,
    )


def _plain(number: Decimal) -> Decimal:
    """10.000 -> 10 (not 1E+1), 0.500 -> 0.5: the figure a person would write."""
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal
