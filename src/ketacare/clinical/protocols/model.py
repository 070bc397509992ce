"""The shape of a treatment protocol: dose rule, phases, monitoring, review points, stop rule.

Frozen dataclasses only; the defaults live in library.py and a clinic's edits in policy.py.
Every part carries `source` (a section of shared/reference/clinical.md and its source IDs)
and `tag` (the evidence tag of that section), so a screen can show where each number comes
from. Amounts are `Decimal` so that mg, mL and kg never pass through binary floating point.

Construction checks internal consistency (a value among its own titration steps, an esketamine
dose in whole 28 mg devices, a per-hour dose with an infusion time) and raises ValueError naming
the field. Whether a clinic may *change* a value is policy.py's business, not this module's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ketacare.clinical.eligibility.inputs import Indication
from ketacare.clinical.findings import Route, Tag

# SPRAVATO is supplied as one 28 mg device (2 sprays, one per nostril) ([LABEL] S2, S4; §1).
ESKETAMINE_DEVICE_MG = Decimal(28)


class DoseKind(StrEnum):
    MG_PER_KG = "mg_per_kg"  # value mg/kg x weight = dose (bolus, or infused over duration)
    MG_PER_KG_PER_HOUR = "mg_per_kg_per_hour"  # value mg/kg/h x weight = rate; x hours = dose
    FIXED_MG = "fixed_mg"  # value mg, whatever the weight
    DEVICES_28MG = "devices_28mg"  # value mg given as whole 28 mg esketamine devices


class WeightBasis(StrEnum):
    """Which weight a mg/kg dose is multiplied by: a clinic setting (clinical.md §7a, §14:
    the basis in obesity is not standardised [UNCONFIRMED])."""

    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"

    @property
    def label(self) -> str:
        return f"{self.value} body weight"


class PhaseKind(StrEnum):
    INDUCTION = "induction"
    MAINTENANCE = "maintenance"
    TAPER = "taper"


class ObservationStart(StrEnum):
    """When the minimum observation clock starts."""

    FIRST_DEVICE = "first_device"  # esketamine: from the first device ([REMS] S8; §6b)
    DOSE_GIVEN = "dose_given"  # bolus routes: from the injection or the dose taken
    END_OF_INFUSION = "end_of_infusion"  # IV: after the infusion stops


class RequiredCheck(StrEnum):
    """A check that must be recorded at (or before) each session of a protocol."""

    PULSE_OXIMETRY = "pulse_oximetry"
    CONTINUOUS_ECG = "continuous_ecg"
    SEDATION_DISSOCIATION = "sedation_dissociation"
    NO_FOOD_2H = "no_food_2h"
    NO_LIQUIDS_30MIN = "no_liquids_30min"
    NASAL_STEROID_DECONGESTANT_1H_BEFORE = "nasal_steroid_decongestant_1h_before"
    PRESCRIBER_ON_SITE = "prescriber_on_site"
    DIRECT_OBSERVATION = "direct_observation"
    TRANSPORT_ARRANGED = "transport_arranged"
    NO_DRIVING_UNTIL_NEXT_DAY = "no_driving_until_next_day"
    RESPONSIBLE_ADULT_ESCORT = "responsible_adult_escort"
    REMS_MONITORING_FORM = "rems_monitoring_form"
    ORAL_ANTIDEPRESSANT = "oral_antidepressant"
    SSRI_OR_SNRI = "ssri_or_snri"
    TAKE_HOME_RATIONALE = "take_home_rationale"

    @property
    def label(self) -> str:
        return _CHECK_LABELS[self]


_CHECK_LABELS = {
    RequiredCheck.PULSE_OXIMETRY: "Pulse oximetry during the session",
    RequiredCheck.CONTINUOUS_ECG: "Continuous ECG during the infusion",
    RequiredCheck.SEDATION_DISSOCIATION: (
        "Sedation (MOAA/S) and dissociation (CADSS) before dosing, at ~40 min and before discharge"
    ),
    RequiredCheck.NO_FOOD_2H: "No food for at least 2 hours before dosing",
    RequiredCheck.NO_LIQUIDS_30MIN: "No liquids for at least 30 minutes before dosing",
    RequiredCheck.NASAL_STEROID_DECONGESTANT_1H_BEFORE: (
        "Nasal corticosteroid or decongestant taken at least 1 hour before dosing"
    ),
    RequiredCheck.PRESCRIBER_ON_SITE: "A prescriber on site during dosing and monitoring",
    RequiredCheck.DIRECT_OBSERVATION: "Self-administered under direct observation",
    RequiredCheck.TRANSPORT_ARRANGED: "Safe transport home arranged",
    RequiredCheck.NO_DRIVING_UNTIL_NEXT_DAY: (
        "No driving or machinery until the next day after a restful sleep"
    ),
    RequiredCheck.RESPONSIBLE_ADULT_ESCORT: "Released to a responsible adult; no driving for ~24 h",
    RequiredCheck.REMS_MONITORING_FORM: "REMS Patient Monitoring Form submitted within 7 days",
    RequiredCheck.ORAL_ANTIDEPRESSANT: "Taking an oral antidepressant",
    RequiredCheck.SSRI_OR_SNRI: "Taking an SSRI or SNRI",
    RequiredCheck.TAKE_HOME_RATIONALE: "Documented rationale for any take-home dose",
}


def _positive(name: str, value: Decimal | int | None) -> None:
    if value is not None and not value > 0:
        raise ValueError(f"{name}: must be greater than 0, got {value}")


@dataclass(frozen=True)
class DoseRule:
    """How one session's dose is worked out.

    `value` is the default (mg/kg, mg/kg/h, or mg for fixed and device doses); `steps` are the
    values a prescriber may titrate between (empty = `value` only); `first_session_value`, if
    set, is the dose for the first session of the course (esketamine starts at 56 mg).
    `max_dose_mg` caps the session dose, `max_rate_mg_per_h` the infusion rate; `min_dose_mg`
    only warns. `duration_min` is the infusion time (None = a bolus, a spray or a dose taken).
    `concentration_mg_per_ml` is the default strength the volume is worked out at.
    """

    kind: DoseKind
    value: Decimal
    source: str
    tag: Tag
    weight_basis: WeightBasis = WeightBasis.ACTUAL
    steps: tuple[Decimal, ...] = ()
    first_session_value: Decimal | None = None
    max_dose_mg: Decimal | None = None
    max_rate_mg_per_h: Decimal | None = None
    min_dose_mg: Decimal | None = None
    duration_min: int | None = None
    concentration_mg_per_ml: Decimal | None = None
    device_mg: Decimal = ESKETAMINE_DEVICE_MG
    device_interval_min: int | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (
            "value",
            "first_session_value",
            "max_dose_mg",
            "max_rate_mg_per_h",
            "min_dose_mg",
            "duration_min",
            "concentration_mg_per_ml",
            "device_mg",
        ):
            _positive(f"dose.{name}", getattr(self, name))
        if self.device_interval_min is not None and self.device_interval_min < 0:
            raise ValueError("dose.device_interval_min: must not be negative")
        for step in self.steps:
            _positive("dose.steps", step)
        if list(self.steps) != sorted(set(self.steps)):
            raise ValueError("dose.steps: must be increasing, without repeats")
        for name in ("value", "first_session_value"):
            chosen = getattr(self, name)
            if chosen is not None and self.steps and chosen not in self.steps:
                steps = ", ".join(f"{step:f}" for step in self.steps)
                raise ValueError(
                    f"dose.{name}: {chosen:f} {self.unit} is not one of the steps {steps}"
                )
        if self.kind is DoseKind.MG_PER_KG_PER_HOUR and self.duration_min is None:
            raise ValueError("dose.duration_min: a per-hour dose needs an infusion time")
        if self.kind is not DoseKind.MG_PER_KG_PER_HOUR and self.max_rate_mg_per_h is not None:
            raise ValueError("dose.max_rate_mg_per_h: only a per-hour dose has a rate cap")
        if self.kind is DoseKind.DEVICES_28MG:
            if self.duration_min is not None or self.concentration_mg_per_ml is not None:
                raise ValueError("dose.duration_min: nasal devices have no infusion time or mL")
            for chosen in (self.value, self.first_session_value, *self.steps):
                if chosen is not None and chosen % self.device_mg != 0:
                    raise ValueError(
                        f"dose.value: {chosen} mg is not a whole number of "
                        f"{self.device_mg} mg devices"
                    )
        if (
            self.min_dose_mg is not None
            and self.max_dose_mg is not None
            and self.min_dose_mg > self.max_dose_mg
        ):
            raise ValueError("dose.min_dose_mg: above max_dose_mg")

    @property
    def is_weight_based(self) -> bool:
        return self.kind in (DoseKind.MG_PER_KG, DoseKind.MG_PER_KG_PER_HOUR)

    @property
    def unit(self) -> str:
        return {
            DoseKind.MG_PER_KG: "mg/kg",
            DoseKind.MG_PER_KG_PER_HOUR: "mg/kg/h",
            DoseKind.FIXED_MG: "mg",
            DoseKind.DEVICES_28MG: "mg",
        }[self.kind]


@dataclass(frozen=True)
class Frequency:
    """`count` sessions every `per_days` days: (2, 7) twice weekly, (1, 14) every 2 weeks."""

    count: int
    per_days: int

    def __post_init__(self) -> None:
        if self.count < 1 or self.per_days < 1:
            raise ValueError("frequency: count and per_days must be at least 1")

    def describe(self) -> str:
        if self.per_days == 1:
            return "daily" if self.count == 1 else f"{self.count} times daily"
        if self.per_days % 7 == 0:
            weeks = self.per_days // 7
            if self.count == 1:
                return "weekly" if weeks == 1 else f"every {weeks} weeks"
            times = "twice" if self.count == 2 else f"{self.count} times"
            return f"{times} weekly" if weeks == 1 else f"{times} every {weeks} weeks"
        if self.count == 1:
            return f"every {self.per_days} days"
        return f"{self.count} times every {self.per_days} days"


@dataclass(frozen=True)
class Phase:
    """One stage of a course. `sessions` and `weeks` (min, max) bound its length; both None
    means open-ended. `frequencies` are the schedules allowed in it (any one may be chosen).
    `min_interval_hours` is the shortest gap between two sessions; `dose` overrides the
    protocol's dose rule for this phase."""

    code: str
    kind: PhaseKind
    label: str
    frequencies: tuple[Frequency, ...]
    source: str
    tag: Tag
    sessions: int | None = None
    weeks: tuple[int, int] | None = None
    min_interval_hours: int | None = None
    interval_source: str = ""
    dose: DoseRule | None = None

    def __post_init__(self) -> None:
        if not self.code.isidentifier():
            raise ValueError(f"phase.code: {self.code!r} must be a plain identifier")
        if not self.frequencies:
            raise ValueError(f"phases.{self.code}.frequencies: at least one is needed")
        if self.sessions is not None and self.sessions < 1:
            raise ValueError(f"phases.{self.code}.sessions: must be at least 1")
        if self.weeks is not None and not 0 < self.weeks[0] <= self.weeks[1]:
            raise ValueError(f"phases.{self.code}.weeks: need 0 < min <= max")
        if self.min_interval_hours is not None and self.min_interval_hours < 0:
            raise ValueError(f"phases.{self.code}.min_interval_hours: must not be negative")

    def describe(self) -> str:
        parts = [self.label + ":", " or ".join(f.describe() for f in self.frequencies)]
        if self.sessions is not None:
            parts.append(f"{self.sessions} sessions")
        if self.weeks is not None:
            low, high = self.weeks
            parts.append(f"over {low} weeks" if low == high else f"over {low}–{high} weeks")
        if self.sessions is None and self.weeks is None:
            parts.append("(open-ended)")
        return " ".join(parts)


@dataclass(frozen=True)
class MonitoringProfile:
    """What is watched during and after a session. Intervals of None mean "as clinically
    warranted" (the esketamine label gives fixed BP times, not an interval)."""

    min_observation_min: int
    observation_from: ObservationStart
    source: str
    tag: Tag
    vitals_interval_during_min: int | None = None
    vitals_interval_after_min: int | None = None
    bp_check_times_min: tuple[int, ...] = ()
    required_checks: tuple[RequiredCheck, ...] = ()
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.min_observation_min < 0:
            raise ValueError("monitoring.min_observation_min: must not be negative")
        for name in ("vitals_interval_during_min", "vitals_interval_after_min"):
            _positive(f"monitoring.{name}", getattr(self, name))
        if list(self.bp_check_times_min) != sorted(set(self.bp_check_times_min)) or any(
            t < 0 for t in self.bp_check_times_min
        ):
            raise ValueError("monitoring.bp_check_times_min: increasing minutes from 0")
        if len(set(self.required_checks)) != len(self.required_checks):
            raise ValueError("monitoring.required_checks: listed twice")


@dataclass(frozen=True)
class ReviewPoint:
    """A planned review: after session n (optionally `hours_after` it), or at the end of week
    w. `what` says what is decided."""

    code: str
    what: str
    source: str
    tag: Tag
    after_session: int | None = None
    hours_after: int | None = None
    after_week: int | None = None
    scale: str | None = None

    def __post_init__(self) -> None:
        if (self.after_session is None) == (self.after_week is None):
            raise ValueError(f"review_points.{self.code}: give after_session or after_week")


@dataclass(frozen=True)
class StopRule:
    """Non-response rule. With `min_improvement_pct`, it fires when the fall on `scale` from
    baseline, measured `hours_after` session `after_session` (or at the end of `after_week`),
    is below that percentage. Without one, it is a judgement the prescriber records."""

    criterion: str
    action: str
    source: str
    tag: Tag
    after_session: int | None = None
    hours_after: int | None = None
    after_week: int | None = None
    scale: str | None = None
    min_improvement_pct: Decimal | None = None
    alternative: str = ""

    def __post_init__(self) -> None:
        if (self.after_session is None) == (self.after_week is None):
            raise ValueError("stop_rule: give after_session or after_week")
        if self.min_improvement_pct is not None:
            if not 0 < self.min_improvement_pct <= 100:
                raise ValueError("stop_rule.min_improvement_pct: must be in (0, 100]")
            if self.scale is None:
                raise ValueError("stop_rule.scale: a numeric rule needs a scale")

    def fires(self, baseline: int, score: int) -> bool | None:
        """True when the improvement from `baseline` to `score` is below the threshold; None
        when the rule has no number (prescriber's judgement) or the baseline is 0."""
        if self.min_improvement_pct is None or baseline <= 0:
            return None
        improvement = Decimal(baseline - score) * 100 / Decimal(baseline)
        return improvement < self.min_improvement_pct


@dataclass(frozen=True)
class LabelFloor:
    """The esketamine label/REMS limits a clinic cannot relax (clinical.md tag table: [LABEL]
    and [REMS] are hard rules). policy.py checks every edited esketamine protocol against it."""

    start_dose_mg: Decimal
    allowed_doses_mg: frozenset[Decimal]
    min_observation_min: int
    bp_check_times_min: frozenset[int]
    required_checks: frozenset[RequiredCheck]
    phases: tuple[Phase, ...]
    review_weeks: frozenset[int]
    min_device_interval_min: int
    source: str
    tag: Tag
    device_mg: Decimal = ESKETAMINE_DEVICE_MG


@dataclass(frozen=True)
class Protocol:
    """A versioned treatment protocol. `code` is stable; `version` increases with every edit
    (library defaults are version 1). `label_floor` is set for esketamine protocols."""

    code: str
    name: str
    version: int
    route: Route
    indication: Indication
    dose: DoseRule
    phases: tuple[Phase, ...]
    monitoring: MonitoringProfile
    review_points: tuple[ReviewPoint, ...]
    stop_rule: StopRule | None
    sources: tuple[str, ...]
    tag: Tag
    off_label: bool
    label_floor: LabelFloor | None = None
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    change_note: str = ""

    def __post_init__(self) -> None:
        if self.version < 1:
            raise ValueError("version: must be at least 1")
        if not self.phases:
            raise ValueError("phases: a protocol needs at least one phase")
        codes = [p.code for p in self.phases]
        if len(set(codes)) != len(codes):
            raise ValueError("phases: phase codes must be unique")
        reviews = [r.code for r in self.review_points]
        if len(set(reviews)) != len(reviews):
            raise ValueError("review_points: codes must be unique")
        if self.route.is_esketamine:
            if self.dose.kind is not DoseKind.DEVICES_28MG:
                raise ValueError("dose.kind: esketamine is dosed in 28 mg devices")
            if self.label_floor is None:
                raise ValueError("label_floor: an esketamine protocol needs its label floor")
        elif self.dose.kind is DoseKind.DEVICES_28MG:
            raise ValueError("dose.kind: 28 mg devices are esketamine only")

    def phase(self, code: str) -> Phase:
        for phase in self.phases:
            if phase.code == code:
                return phase
        raise ValueError(f"phase: {self.code} has no phase {code!r}")

    def dose_for(self, phase_code: str | None = None) -> DoseRule:
        """The dose rule for a phase: its override, else the protocol's."""
        if phase_code is None:
            return self.dose
        return self.phase(phase_code).dose or self.dose
