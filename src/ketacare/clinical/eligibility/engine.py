"""Decide eligibility: evaluation + route + clinic policy (+ prescriber overrides) -> decision.

Every rule that fires becomes a `Finding` graded by the policy; the outcome follows from the
findings alone (`outcome_for`):

- any **hard stop** -> `not_eligible` (no override possible);
- any **relative** finding without a prescriber's documented justification -> `not_eligible`,
  listed in `awaiting_justification` ("needs a prescriber's documented justification");
- otherwise any **caution**, or a relative finding *with* a justification -> `eligible_with_
  conditions`, the conditions listed;
- otherwise (nothing, or only **info** notes) -> `eligible`.

So adding a finding never makes a patient more eligible, and a justification only ever turns a
relative finding into a condition. Justifications are passed as `overrides` {code: text}; an
override naming a hard stop, a caution, an absent finding or an empty text is not applied, and
the summary says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from ketacare.clinical.eligibility.inputs import (
    MEDICAL_HISTORY,
    Evaluation,
    Indication,
    SexAtBirth,
    TriState,
    implied_by,
)
from ketacare.clinical.eligibility.policy import DEFAULT_POLICY, EligibilityPolicy
from ketacare.clinical.eligibility.rules import RULES
from ketacare.clinical.findings import Finding, Route, Severity
from ketacare.clinical.interactions import InteractionReport, interaction_flags
from ketacare.clinical.treatment_resistance import TrdAssessment, assess_trd


class Outcome(StrEnum):
    ELIGIBLE = "eligible"
    ELIGIBLE_WITH_CONDITIONS = "eligible_with_conditions"
    NOT_ELIGIBLE = "not_eligible"

    @property
    def rank(self) -> int:
        """Higher is more eligible: not eligible 0 < with conditions 1 < eligible 2."""
        return _RANK[self]


_RANK = {Outcome.NOT_ELIGIBLE: 0, Outcome.ELIGIBLE_WITH_CONDITIONS: 1, Outcome.ELIGIBLE: 2}

# Checklist keys that are rules of their own; bipolar disorder and mania history are read
# together with the mood-stabiliser answer instead.
_MOOD_KEYS = frozenset({"bipolar_disorder", "mania_history"})
_DIRECT_KEYS = tuple(k for k in MEDICAL_HISTORY if k not in _MOOD_KEYS)


def _is_awaiting(finding: Finding) -> bool:
    return finding.severity is Severity.RELATIVE and not finding.justification


def outcome_for(findings: tuple[Finding, ...] | list[Finding]) -> Outcome:
    if any(f.severity is Severity.HARD_STOP or _is_awaiting(f) for f in findings):
        return Outcome.NOT_ELIGIBLE
    if any(f.severity in (Severity.RELATIVE, Severity.CAUTION) for f in findings):
        return Outcome.ELIGIBLE_WITH_CONDITIONS
    return Outcome.ELIGIBLE


@dataclass(frozen=True)
class EligibilityDecision:
    outcome: Outcome
    route: Route
    findings: tuple[Finding, ...]  # strongest first
    summary: tuple[str, ...]
    policy: EligibilityPolicy
    trd: TrdAssessment | None
    interactions: InteractionReport

    @property
    def hard_stops(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.HARD_STOP)

    @property
    def awaiting_justification(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if _is_awaiting(f))

    @property
    def conditions(self) -> tuple[Finding, ...]:
        """Cautions and justified relative findings: what treatment must respect."""
        return tuple(
            f
            for f in self.findings
            if f.severity is Severity.CAUTION
            or (f.severity is Severity.RELATIVE and f.justification)
        )

    @property
    def notes(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.INFO)


def _origin(evaluation: Evaluation, key: str) -> str:
    if key in evaluation.medical_history:
        return "on the medical-history checklist"
    codes = sorted(code for code in evaluation.diagnosis_codes if key in implied_by(code))
    return f"implied by diagnosis {', '.join(codes)}"


def _history_triggers(ev: Evaluation) -> Iterator[tuple[str, str]]:
    conditions = ev.conditions
    for key in _DIRECT_KEYS:
        if key in conditions:
            yield key, f"{MEDICAL_HISTORY[key].label} ({_origin(ev, key)})."
    mood = sorted(conditions & _MOOD_KEYS)
    if mood:
        found = "; ".join(f"{MEDICAL_HISTORY[k].label} ({_origin(ev, k)})" for k in mood)
        if ev.mood_stabiliser_current:
            yield "bipolar_mania_monitoring", f"{found}; on a mood stabiliser or antipsychotic."
        else:
            yield (
                "mania_without_mood_stabiliser",
                f"{found}; no current mood stabiliser or antipsychotic recorded.",
            )


def _reproductive_triggers(ev: Evaluation) -> Iterator[tuple[str, str]]:
    if ev.pregnant is TriState.YES:
        yield "pregnancy", "Recorded as pregnant."
    if ev.breastfeeding is TriState.YES:
        yield "breastfeeding", "Recorded as breastfeeding."
    if ev.planning_pregnancy is TriState.YES:
        yield "planning_pregnancy", "Recorded as planning a pregnancy."
    if ev.sex_at_birth is not SexAtBirth.MALE:
        unknown = [
            name
            for name, value in (("pregnancy", ev.pregnant), ("breastfeeding", ev.breastfeeding))
            if value is TriState.UNKNOWN
        ]
        if unknown:
            yield "pregnancy_status_unknown", f"Not recorded: {' and '.join(unknown)} status."


def _age_and_vitals_triggers(
    ev: Evaluation, policy: EligibilityPolicy
) -> Iterator[tuple[str, str]]:
    t = policy.thresholds
    if ev.age_years < t.adult_age_years:
        yield "under_18", f"Aged {ev.age_years} (under {t.adult_age_years})."
    if ev.age_years >= t.older_adult_age_years:
        yield "age_65_or_over", f"Aged {ev.age_years} ({t.older_adult_age_years} or over)."
    v = ev.vitals
    sys_, dia = v.systolic_mmhg, v.diastolic_mmhg
    if (sys_ is not None and sys_ > t.bp_systolic_above_mmhg) or (
        dia is not None and dia > t.bp_diastolic_above_mmhg
    ):
        yield (
            "baseline_bp_elevated",
            f"Baseline BP {sys_ if sys_ is not None else '?'}/{dia if dia is not None else '?'} "
            f"mmHg is above {t.bp_systolic_above_mmhg}/{t.bp_diastolic_above_mmhg}.",
        )
    if sys_ is None or dia is None:
        yield "baseline_bp_missing", "No complete baseline blood pressure recorded."
    outside = []
    if v.spo2_pct is not None and v.spo2_pct < t.spo2_below_pct:
        outside.append(f"SpO2 {v.spo2_pct}% (below {t.spo2_below_pct}%)")
    if sys_ is not None and sys_ < t.systolic_below_mmhg:
        outside.append(f"systolic {sys_} mmHg (below {t.systolic_below_mmhg})")
    hr = v.heart_rate_bpm
    if hr is not None and not t.heart_rate_below_bpm <= hr <= t.heart_rate_above_bpm:
        outside.append(
            f"heart rate {hr}/min (outside {t.heart_rate_below_bpm}-{t.heart_rate_above_bpm})"
        )
    if outside:
        yield "baseline_vitals_outside_range", f"At evaluation: {'; '.join(outside)}."
    if v.bmi_kg_m2 is not None and v.bmi_kg_m2 > t.bmi_above_kg_m2:
        yield "bmi_weight_basis", f"BMI {v.bmi_kg_m2} kg/m² (above {t.bmi_above_kg_m2})."


def _indication_triggers(
    ev: Evaluation, route: Route, trd: TrdAssessment | None
) -> Iterator[tuple[str, str]]:
    if ev.audit_c_positive:
        yield "alcohol_screen_positive", "AUDIT-C screen positive."
    if trd is not None and not trd.meets_definition:
        yield "trd_fewer_than_min_trials", trd.reasons[0]
    if ev.indication is Indication.TRD and "bipolar_disorder" in ev.conditions:
        yield "trd_definition_excludes_bipolar", "Indication TRD with bipolar disorder recorded."
    if ev.indication is Indication.MDD_SUICIDAL_IDEATION:
        if route.is_esketamine and not ev.oral_antidepressant_current:
            yield "mdsi_requires_oral_antidepressant", "No current oral antidepressant recorded."
        yield (
            "suicidality_not_substitute_for_hospitalisation",
            "Indication: MDD with acute suicidal ideation or behaviour.",
        )
    if route.is_esketamine:
        if ev.indication not in (Indication.TRD, Indication.MDD_SUICIDAL_IDEATION):
            yield "esketamine_off_label_indication", f"Indication: {ev.indication.value}."
        missing = rems_missing(ev)
        if missing:
            yield "rems_enrolment_pending", f"Not recorded: {', '.join(missing)}."
    else:
        yield "off_label_consent", f"Route: {route.label}; indication: {ev.indication.value}."
        yield "take_home_warning", f"Route: {route.label}."


def rems_missing(ev: Evaluation) -> tuple[str, ...]:
    """What of the SPRAVATO REMS patient enrolment is not yet recorded (clinical.md §2c)."""
    return tuple(
        what
        for what, present in (
            ("enrolment", ev.rems_enrolled),
            ("REMS patient identifier", bool(ev.rems_patient_id and ev.rems_patient_id.strip())),
            ("enrolment date", ev.rems_enrolled_on is not None),
        )
        if not present
    )


def _finding(code: str, fact: str, route: Route, policy: EligibilityPolicy) -> Finding | None:
    spec = RULES[code].spec(route)
    if spec is None:
        return None
    severity = policy.severity(route, code)
    return Finding(
        code=code,
        severity=severity,
        title=RULES[code].title,
        detail=f"{fact} {spec.why}",
        source=spec.source,
        tag=spec.tag,
        overridable=severity is Severity.RELATIVE,
    )


def _apply_overrides(
    findings: list[Finding], overrides: Mapping[str, str]
) -> tuple[list[Finding], list[str]]:
    by_code = {f.code: f for f in findings}
    notes = []
    applied: dict[str, str] = {}
    for code, text in sorted(overrides.items()):
        finding = by_code.get(code)
        if finding is None:
            notes.append(f"Override for {code} not used: no such finding in this evaluation.")
        elif finding.severity is Severity.HARD_STOP:
            notes.append(f"Override for {code} not applied: a hard stop cannot be overridden.")
        elif finding.severity is not Severity.RELATIVE:
            notes.append(f"Override for {code} not needed: it is a {finding.severity.value}.")
        elif not (text or "").strip():
            notes.append(f"Override for {code} not applied: the justification is empty.")
        else:
            applied[code] = text.strip()
    out = [replace(f, justification=applied[f.code]) if f.code in applied else f for f in findings]
    return out, notes


def _titles(findings: tuple[Finding, ...]) -> str:
    return "; ".join(f.title for f in findings)


def _summary(decision: EligibilityDecision, override_notes: list[str]) -> tuple[str, ...]:
    d, where = decision, decision.route.label
    lines = []
    if d.hard_stops:
        lines.append(f"Not eligible for {where}: hard stop — {_titles(d.hard_stops)}.")
    if d.awaiting_justification:
        titles = _titles(d.awaiting_justification)
        lines.append(
            f"Also needs a prescriber's documented justification: {titles}."
            if d.hard_stops
            else f"Not eligible for {where} until a prescriber documents a justification "
            f"for: {titles}."
        )
    if d.outcome is Outcome.ELIGIBLE_WITH_CONDITIONS:
        lines.append(f"Eligible for {where} with conditions.")
    if d.conditions:
        label = "Conditions" if d.outcome is not Outcome.NOT_ELIGIBLE else "Also to address"
        lines.append(f"{label}: {_titles(d.conditions)}.")
    if d.outcome is Outcome.ELIGIBLE:
        lines.append(f"Eligible for {where}: no contraindication, caution or interaction found.")
    if d.notes:
        lines.append(f"Notes: {_titles(d.notes)}.")
    if d.trd is not None:
        lines.append(d.trd.reasons[0])
    if d.interactions.unrecognised:
        lines.append(
            f"Not recognised by the interaction check: {', '.join(d.interactions.unrecognised)}."
        )
    lines.extend(override_notes)
    changed = sum(len(codes) for codes in d.policy.changes().values())
    lines.append(f"Policy: {d.policy.name}; {changed} rule(s) changed from the defaults.")
    return tuple(lines)


def decide(
    evaluation: Evaluation,
    route: Route,
    policy: EligibilityPolicy = DEFAULT_POLICY,
    overrides: Mapping[str, str] | None = None,
) -> EligibilityDecision:
    """The eligibility decision for `route`, every finding with its source and reason."""
    route = Route(route)
    trd = (
        assess_trd(evaluation.antidepressant_trials, policy.trd)
        if evaluation.indication is Indication.TRD
        else None
    )
    triggers = [
        *_history_triggers(evaluation),
        *_reproductive_triggers(evaluation),
        *_age_and_vitals_triggers(evaluation, policy),
        *_indication_triggers(evaluation, route, trd),
    ]
    report = interaction_flags(
        evaluation.current_medications, route, policy.drugs, policy.interactions
    )
    findings = [f for code, fact in triggers if (f := _finding(code, fact, route, policy))]
    for flag in report.findings:
        severity = policy.severity(route, flag.code)
        findings.append(replace(flag, severity=severity, overridable=severity is Severity.RELATIVE))
    findings, override_notes = _apply_overrides(findings, overrides or {})
    order = {code: i for i, code in enumerate(RULES)}
    findings.sort(key=lambda f: (-f.severity.strength, order[f.code]))
    decision = EligibilityDecision(
        outcome=outcome_for(findings),
        route=route,
        findings=tuple(findings),
        summary=(),
        policy=policy,
        trd=trd,
        interactions=report,
    )
    return replace(decision, summary=_summary(decision, override_notes))


@dataclass(frozen=True)
class FirstDoseCheck:
    allowed: bool
    reasons: tuple[str, ...]


def first_dose_check(decision: EligibilityDecision, evaluation: Evaluation) -> FirstDoseCheck:
    """Whether a first dose may be scheduled: the decision must not be `not_eligible`, and for
    esketamine the REMS enrolment (date and identifier) must be recorded ([REMS] S6, S7;
    clinical.md §2c)."""
    reasons = []
    if decision.outcome is Outcome.NOT_ELIGIBLE:
        reasons.append("The eligibility decision is 'not eligible'.")
    missing = rems_missing(evaluation) if decision.route.is_esketamine else ()
    if missing:
        reasons.append(
            f"SPRAVATO REMS: {', '.join(missing)} not recorded; the patient must be enrolled "
            "before the first treatment (clinical.md §2c, S6, S7 [REMS])."
        )
    return FirstDoseCheck(not reasons, tuple(reasons))
