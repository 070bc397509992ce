"""A clinic's vitals and alert limits: what each one means, its default and where it comes from,
how it is stored, read and changed.

The numbers themselves and the rules that use them live in `clinical/vitals.py` (`VitalLimits`)
and `clinical/discharge.py`; this module adds what the clinic settles for itself: the limits
above, the longest gap between readings while a patient is monitored, and how long an alert
may stay unacknowledged before the prescriber on duty is called. Reference:
shared/reference/clinical.md §9 ("no single authoritative numeric rule set ... make every number
a clinic setting"); tags as in its "How to read the tags" table — [PRACTICE] and
[UNCONFIRMED] numbers are practice variation and labelled so on the settings page.

A session keeps the limits in force at its pre-dose checks (`TreatmentSession.limits_used`) and
every alert keeps the limits that raised it (`SessionAlert.limits_used`), so a later change of
the clinic's settings never rewrites why a past decision was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.clinical.discharge import DISSOCIATION_RESOLVED_AT_OR_BELOW
from ketacare.clinical.infusion import EARLY_END_MIN_MINUTES, EARLY_END_PCT
from ketacare.clinical.predose import PREGNANCY_AGE_MAX, PREGNANCY_AGE_MIN
from ketacare.clinical.sedation import PRE_DISCHARGE_WINDOW_MIN
from ketacare.clinical.vitals import BP_CHECK_EARLY_MIN, DEFAULT_LIMITS, VitalLimits


@dataclass(frozen=True)
class LimitSpec:
    name: str
    label: str
    group: str
    unit: str
    low: int
    high: int
    source: str
    tag: str  # LABEL, EVIDENCE, PRACTICE, UNCONFIRMED (clinical.md tag table)
    default: int | None
    help: str = ""
    optional: bool = False  # blank allowed (means "use the protocol's")
    # A choice, not a number: the page shows a list of these (value, label) pairs.
    choices: tuple[tuple[int, str], ...] = ()

    @property
    def practice_variation(self) -> bool:
        return self.tag in ("PRACTICE", "UNCONFIRMED")


PRE, DURING, RISE, SCORES, TIMING, CHECKLIST = (
    "Pre-dose hold",
    "During the session",
    "Rise from the pre-dose reading",
    "Sedation and dissociation",
    "Timing",
    "Pre-dose checklist",
)

# Pregnancy test before each dose (clinical.md §2b: routine testing is [PRACTICE]; §14 [LABEL]
# S2: esketamine not recommended in pregnancy). 0 = not required (the checklist allows "not
# applicable"), 1 = required for patients who can become pregnant (`clinical.predose`).
PREGNANCY_NOT_REQUIRED, PREGNANCY_REQUIRED = 0, 1
# Changing these needs a reason in the audit (a patient-safety policy of the clinic).
REASON_REQUIRED_FOR = ("pregnancy_test_required", "pregnancy_age_min", "pregnancy_age_max")

# Escalate an alert nobody acknowledged: "repeat in 5 min, then pause/stop and notify the
# prescriber" (clinical.md §9, suggested behaviour [PRACTICE]).
ESCALATION_MINUTES_DEFAULT = 5

SPECS: tuple[LimitSpec, ...] = (
    LimitSpec("pre_dose_systolic_max", "Hold dosing when SBP is above", PRE, "mmHg", 100, 200,
              "clinical.md §9: esketamine [LABEL] S12, S9 (general guide); IV one clinic's rule "
              "[PRACTICE] P3", "LABEL", DEFAULT_LIMITS.pre_dose_systolic_max,
              "A prescriber documents the decision to proceed."),
    LimitSpec("pre_dose_diastolic_max", "Hold dosing when DBP is above", PRE, "mmHg", 60, 130,
              "clinical.md §9: esketamine [LABEL] S12, S9; IV [PRACTICE] P3", "LABEL",
              DEFAULT_LIMITS.pre_dose_diastolic_max),
    LimitSpec("systolic_alert_at", "Alert when SBP reaches", DURING, "mmHg", 120, 250,
              "clinical.md §6b [LABEL] S3 Table 6 (reported cut-off); §9 [PRACTICE] P2",
              "PRACTICE", DEFAULT_LIMITS.systolic_alert_at),
    LimitSpec("diastolic_alert_at", "Alert when DBP reaches", DURING, "mmHg", 70, 150,
              "clinical.md §6b [LABEL] S3 Table 6; §9 [PRACTICE] P2", "PRACTICE",
              DEFAULT_LIMITS.diastolic_alert_at),
    LimitSpec("systolic_critical_at", "Critical when SBP reaches", DURING, "mmHg", 140, 280,
              "clinical.md §9 [PRACTICE] P2 (>200/120 once; the default includes 200 itself)",
              "PRACTICE",
              DEFAULT_LIMITS.systolic_critical_at),
    LimitSpec("diastolic_critical_at", "Critical when DBP reaches", DURING, "mmHg", 80, 170,
              "clinical.md §9 [PRACTICE] P2", "PRACTICE", DEFAULT_LIMITS.diastolic_critical_at),
    LimitSpec("heart_rate_max", "Alert when HR is above", DURING, "/min", 80, 200,
              "clinical.md §9 [PRACTICE] P2 (sustained HR > 120)", "PRACTICE",
              DEFAULT_LIMITS.heart_rate_max),
    LimitSpec("heart_rate_min", "Alert when HR is below", DURING, "/min", 25, 80,
              "clinical.md §9 [PRACTICE] P1 (trial limit)", "PRACTICE",
              DEFAULT_LIMITS.heart_rate_min),
    LimitSpec("spo2_min", "Alert when SpO₂ is below", DURING, "%", 80, 99,
              "clinical.md §9 [UNCONFIRMED]: no ketamine source gives a number; set with the "
              "medical director", "UNCONFIRMED", DEFAULT_LIMITS.spo2_min),
    LimitSpec("spo2_critical_min", "Critical when SpO₂ is below", DURING, "%", 70, 98,
              "clinical.md §9 [UNCONFIRMED]", "UNCONFIRMED", DEFAULT_LIMITS.spo2_critical_min),
    LimitSpec("resp_rate_min", "Alert when RR is below", DURING, "/min", 4, 20,
              "clinical.md §9 [PRACTICE] P1 (trial limit)", "PRACTICE",
              DEFAULT_LIMITS.resp_rate_min),
    LimitSpec("resp_rate_max", "Alert when RR is above", DURING, "/min", 16, 60,
              "clinical.md §9 [PRACTICE] P1", "PRACTICE", DEFAULT_LIMITS.resp_rate_max),
    LimitSpec("systolic_rise_at", "Alert on an SBP rise of at least", RISE, "mmHg", 10, 100,
              "clinical.md §6b [LABEL] S3 (≥ 40 systolic)", "LABEL",
              DEFAULT_LIMITS.systolic_rise_at),
    LimitSpec("diastolic_rise_at", "Alert on a DBP rise of at least", RISE, "mmHg", 5, 80,
              "clinical.md §6b [LABEL] S3 (≥ 25 diastolic)", "LABEL",
              DEFAULT_LIMITS.diastolic_rise_at),
    LimitSpec("moaas_alert_at_or_below", "Alert when MOAA/S is at or below", SCORES, "", 0, 4,
              "clinical.md §10 [LABEL] S3 (scale; 0 = loss of consciousness); threshold "
              "[PRACTICE]", "PRACTICE", DEFAULT_LIMITS.moaas_alert_at_or_below,
              "MOAA/S 0 is always critical."),
    LimitSpec("dissociation_resolved_at_or_below", "Dissociation resolved at CADSS-6 ≤", SCORES,
              "", 0, 24, "instruments.md §8: the authors define no bands; clinical.md §6c, §10 "
              "(resolved before discharge) [PRACTICE]", "PRACTICE",
              DISSOCIATION_RESOLVED_AT_OR_BELOW, "Or back to the pre-dose score."),
    LimitSpec("vitals_interval_min", "Vitals at least every", TIMING, "min", 5, 60,
              "clinical.md §7e [EVIDENCE] S37 (IV: every 10 min during, 15 after — the "
              "protocol's profile); esketamine 'as clinically warranted' §6b [LABEL] S4",
              "PRACTICE", None, "Blank: the protocol's interval. Set: the longest gap allowed "
              "between blood pressures while a patient is monitored (the shorter of this and "
              "the protocol's).",
              optional=True),
    LimitSpec("bp_check_early_min", "A timed BP check counts from this long before it", TIMING,
              "min", 0, 20, "clinical.md §6b [LABEL] S4, S9 (esketamine BP '~40 min' after "
              "dosing); how early counts is not in any source [PRACTICE] (default: the 30–60 "
              "min peak window of §10)", "PRACTICE", BP_CHECK_EARLY_MIN,
              "A missed timed BP raises 'BP check overdue'."),
    LimitSpec("pre_discharge_window_min", "Pre-discharge vitals and scores count from this long "
              "before the minimum observation time", TIMING, "min", 10, 60,
              "clinical.md §10: MOAA/S and CADSS 'before discharge' [PRACTICE]; §6b-d BP before "
              "discharge, pulse oximetry [LABEL/REMS]; how long before is in no source",
              "PRACTICE", PRE_DISCHARGE_WINDOW_MIN,
              "Discharge needs a BP, an SpO₂, MOAA/S and CADSS-6 taken from then on."),
    LimitSpec("repeat_after_min", "Repeat an out-of-range reading after", TIMING, "min", 1, 30,
              "clinical.md §9 suggested behaviour: out of range → repeat in 5 min [PRACTICE] P2",
              "PRACTICE", DEFAULT_LIMITS.repeat_after_min,
              "An alert acknowledged “Repeat the reading” makes the repeat the next vitals due, "
              "this long after the value."),
    LimitSpec("infusion_early_end_pct", "An infusion counts as complete in the last", TIMING,
              "% of its planned time", 0, 30, "clinical.md §7a (0.5 mg/kg over 40 minutes); how "
              "early counts as complete is in no source [PRACTICE]", "PRACTICE",
              EARLY_END_PCT, "Earlier, “Infusion stopped now” is refused: record the amount from "
              "the pump with “Stop dosing early”."),
    LimitSpec("infusion_early_end_min", "… but never less than the last", TIMING, "min", 0, 15,
              "clinical.md §7a; in no source [PRACTICE]", "PRACTICE", EARLY_END_MIN_MINUTES,
              "For short infusions, where the percentage is only a minute or two."),
    LimitSpec("escalation_min", "Escalate an unacknowledged alert after", TIMING, "min", 1, 60,
              "clinical.md §9 suggested behaviour: repeat in 5 min, then notify the prescriber "
              "[PRACTICE]", "PRACTICE", ESCALATION_MINUTES_DEFAULT,
              "The prescriber on duty is notified in the app and by email."),
    LimitSpec("pregnancy_test_required", "Pregnancy test before each dose", CHECKLIST, "", 0, 1,
              "clinical.md §2b: pregnancy status for people of reproductive potential [LABEL] "
              "S2 5.10; routine testing is [PRACTICE] (trial protocols require hCG, P1); §14",
              "PRACTICE", PREGNANCY_NOT_REQUIRED,
              "Required: “not applicable” is refused for a patient whose sex at birth is female "
              "and whose age is in the range below. A test not negative (positive or not done) "
              "always holds the dose for a prescriber's documented decision. A change needs a "
              "reason.",
              choices=((PREGNANCY_NOT_REQUIRED, "Not required"),
                       (PREGNANCY_REQUIRED, "Required for patients who can become pregnant"))),
    LimitSpec("pregnancy_age_min", "… who can become pregnant: from age", CHECKLIST, "years",
              8, 60, "clinical.md §2b ('reproductive potential'): no source gives an age range "
              "[PRACTICE]", "PRACTICE", PREGNANCY_AGE_MIN),
    LimitSpec("pregnancy_age_max", "… up to and including age", CHECKLIST, "years", 30, 80,
              "clinical.md §2b: no source gives an age range [PRACTICE]", "PRACTICE",
              PREGNANCY_AGE_MAX),
)  # fmt: skip
SPEC_BY_NAME = {s.name: s for s in SPECS}
LIMIT_FIELDS = tuple(f.name for f in fields(VitalLimits))


@dataclass(frozen=True)
class ClinicMonitoring:
    """Everything the chair needs from the clinic's settings."""

    limits: VitalLimits
    dissociation_resolved_at_or_below: int
    vitals_interval_min: int | None
    escalation_min: int
    bp_check_early_min: int = BP_CHECK_EARLY_MIN
    infusion_early_end_pct: int = EARLY_END_PCT
    infusion_early_end_min: int = EARLY_END_MIN_MINUTES
    pre_discharge_window_min: int = PRE_DISCHARGE_WINDOW_MIN
    pregnancy_test_required: int = PREGNANCY_NOT_REQUIRED
    pregnancy_age_min: int = PREGNANCY_AGE_MIN
    pregnancy_age_max: int = PREGNANCY_AGE_MAX

    def __post_init__(self) -> None:
        if self.pregnancy_age_min > self.pregnancy_age_max:
            raise ValueError("pregnancy_age_min: must not be above pregnancy_age_max")

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self.limits),
            "dissociation_resolved_at_or_below": self.dissociation_resolved_at_or_below,
            "vitals_interval_min": self.vitals_interval_min,
            "escalation_min": self.escalation_min,
            "bp_check_early_min": self.bp_check_early_min,
            "infusion_early_end_pct": self.infusion_early_end_pct,
            "infusion_early_end_min": self.infusion_early_end_min,
            "pre_discharge_window_min": self.pre_discharge_window_min,
            "pregnancy_test_required": self.pregnancy_test_required,
            "pregnancy_age_min": self.pregnancy_age_min,
            "pregnancy_age_max": self.pregnancy_age_max,
        }


def defaults() -> dict[str, Any]:
    return {s.name: s.default for s in SPECS}


def from_dict(values: Mapping[str, Any] | None) -> ClinicMonitoring:
    """Build from stored values; anything missing (an older snapshot) takes its default."""
    merged = defaults() | {k: v for k, v in (values or {}).items() if k in SPEC_BY_NAME}
    return ClinicMonitoring(
        limits=VitalLimits(**{name: merged[name] for name in LIMIT_FIELDS}),
        dissociation_resolved_at_or_below=merged["dissociation_resolved_at_or_below"],
        vitals_interval_min=merged["vitals_interval_min"],
        escalation_min=merged["escalation_min"],
        bp_check_early_min=merged["bp_check_early_min"],
        infusion_early_end_pct=merged["infusion_early_end_pct"],
        infusion_early_end_min=merged["infusion_early_end_min"],
        pre_discharge_window_min=merged["pre_discharge_window_min"],
        pregnancy_test_required=merged["pregnancy_test_required"],
        pregnancy_age_min=merged["pregnancy_age_min"],
        pregnancy_age_max=merged["pregnancy_age_max"],
    )


DEFAULT_MONITORING = from_dict({})


def clinic_monitoring(clinic: Clinic | int) -> ClinicMonitoring:
    from ketacare.treatments.models import ClinicMonitoringSettings

    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    row = ClinicMonitoringSettings.objects.filter(clinic_id=clinic_id).first()
    return from_dict(row.values if row else None)


class LimitProblems(ActionError):
    """Every field of a limits form at fault at once (`problems`: field, message in order);
    `field` and `message` are the first of them."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(*problems[0])
        self.problems = problems


def _parse(spec: LimitSpec, raw: Any) -> tuple[int | None, str]:
    """One field's value, or the problem with it."""
    text = "" if raw is None else str(raw).strip()
    if text == "":
        if spec.optional:
            return None, ""
        return None, f"{spec.label}: enter a value (default {spec.default})."
    try:
        value = int(text)
    except ValueError:
        return None, f"{spec.label}: enter a whole number."
    if spec.choices and value not in {v for v, _ in spec.choices}:
        return None, f"{spec.label}: choose one of the options."
    if not spec.low <= value <= spec.high:
        return None, (
            f"{spec.label}: {value} is outside the sane range {spec.low}–{spec.high}"
            f"{' ' + spec.unit if spec.unit else ''}."
        )
    return value, ""


def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """Parse every field; raise LimitProblems naming every field at fault (then, once each
    field is sane, the first pair of fields that contradict each other)."""
    out: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for spec in SPECS:
        value, problem = _parse(spec, data.get(spec.name))
        if problem:
            problems.append((spec.name, problem))
        out[spec.name] = value
    if problems:
        raise LimitProblems(problems)
    try:
        from_dict(out)
    except ValueError as exc:
        name, _, message = str(exc).partition(": ")
        if name not in SPEC_BY_NAME:
            raise ActionError("__all__", str(exc)) from None
        spec = SPEC_BY_NAME[name]
        other = message.rpartition(" ")[2]
        other_label = SPEC_BY_NAME[other].label if other in SPEC_BY_NAME else other
        raise ActionError(
            name, f"{spec.label}: {out[name]} must not be above “{other_label}” ({out.get(other)})."
        ) from None
    return out


def do_set_limits(actor: Actor, clinic: Clinic, data: Mapping[str, Any]) -> dict[str, Any]:
    """Store the clinic's limits; audit what changed (old and new value per field) and the
    reason given (`data["reason"]`, required when the pregnancy-test policy changes)."""
    from ketacare.treatments.models import ClinicMonitoringSettings

    values = clean(data)
    reason = str(data.get("reason") or "").strip()
    with transaction.atomic():
        row, _ = ClinicMonitoringSettings.objects.select_for_update().get_or_create(clinic=clinic)
        before = from_dict(row.values).as_dict()
        changes = {k: [before.get(k), v] for k, v in values.items() if before.get(k) != v}
        if not changes:
            return {}
        if len(reason) < 10 and any(k in changes for k in REASON_REQUIRED_FOR):
            raise LimitProblems(
                [
                    (
                        "reason",
                        "Reason for the change: the pregnancy-test policy is changed — say why "
                        "(a few words, e.g. the medical director's decision).",
                    )
                ]
            )
        row.values = values
        row.updated_at = timezone.now()
        row.updated_by_id = actor.user_id
        row.save()
        record(
            actor,
            "treatments.limits.changed",
            object_type="clinic",
            object_id=clinic.pk,
            clinic_id=clinic.pk,
            detail={"changes": changes, "reason": reason},
        )
    return changes
