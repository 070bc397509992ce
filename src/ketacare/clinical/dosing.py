"""Dose calculation for one session: weight basis, mg, cap, mL, infusion rate, devices.

`calculate_dose(protocol_or_rule, weight_kg=..., concentration_mg_per_ml=...)` returns a
`DoseCalculation` with every input, every intermediate value and the working as plain lines
("0.5 mg/kg × 70 kg (actual body weight) = 35.0 mg", ...), so the prescriber sees how the
number was reached. Pure: no clock, no database.

Rounding (Decimal, ROUND_HALF_UP, stated so the bedside figure can be checked by hand):
- ideal/adjusted body weight to 0.1 kg; a measured weight is used as entered;
- dose to 0.1 mg, *then* the cap, so the dose never exceeds the cap;
- infusion rate in mg/h to 0.1 mg/h (for a per-hour dose, the capped rate gives the dose);
- volume to 0.01 mL, from the dose; pump rate to 0.1 mL/h, from that volume.

Ideal body weight uses the Devine formula and adjusted body weight IBW + 0.4 × (actual − IBW).
Both are standard formulas that are **not in shared/reference** ([UNCONFIRMED — clinic to
verify]); the weight basis itself is a clinic setting (clinical.md §7a, §14). When the actual
weight is below the computed ideal or adjusted weight, the actual weight is used (a common
convention, same caveat), which also keeps the dose non-decreasing in weight.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from ketacare.clinical.anthropometry import bmi, check_height, check_weight
from ketacare.clinical.eligibility.inputs import SexAtBirth
from ketacare.clinical.protocols.model import (
    ESKETAMINE_DEVICE_MG,
    DoseKind,
    DoseRule,
    Protocol,
    WeightBasis,
)

MG = Decimal("0.1")
ML = Decimal("0.01")
ML_PER_H = Decimal("0.1")
MG_PER_H = Decimal("0.1")
KG = Decimal("0.1")

# Devine (1974): 50 kg (male) or 45.5 kg (female) + 2.3 kg per inch over 5 ft. A standard
# formula, not in shared/reference [UNCONFIRMED — clinic to verify].
DEVINE_BASE_KG = {SexAtBirth.MALE: Decimal(50), SexAtBirth.FEMALE: Decimal("45.5")}
DEVINE_KG_PER_INCH = Decimal("2.3")
CM_PER_INCH = Decimal("2.54")
FIVE_FEET_CM = Decimal("152.4")
# Adjusted body weight correction factor 0.4 (standard, not in shared/reference [UNCONFIRMED]).
ADJUSTED_FACTOR = Decimal("0.4")
# BMI above which the weight basis is unsettled (clinical.md §7a, §14 [UNCONFIRMED]; the same
# figure as EligibilityThresholds.bmi_above_kg_m2).
BASIS_UNSETTLED_BMI = Decimal(30)

Number = Decimal | int | str


def _q(value: Decimal, step: Decimal) -> Decimal:
    return value.quantize(step, rounding=ROUND_HALF_UP)


def _decimal(name: str, value: object) -> Decimal:
    """A finite Decimal from an int, str or Decimal; ValueError naming `name` otherwise.
    Floats are refused: 0.1 in binary is not 0.1 mg."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError(f"{name}: expected a decimal number, got {type(value).__name__}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{name}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{name}: {value!r} is not a finite number")
    return number


def _fmt(value: Decimal) -> str:
    """Plain notation (no exponent) keeping the given places: 35.0, 3.50, 0.35."""
    return f"{value:f}"


def _sex(value: object) -> SexAtBirth:
    if value is None:
        raise ValueError("sex: needed for an ideal or adjusted body-weight basis")
    try:
        sex = SexAtBirth(str(value))
    except ValueError:
        raise ValueError(f"sex: {value!r} is not one of {[s.value for s in SexAtBirth]}") from None
    if sex not in DEVINE_BASE_KG:
        raise ValueError("sex: ideal body weight (Devine) needs male or female; use actual weight")
    return sex


def _height(value: object) -> Decimal:
    if value is None:
        raise ValueError("height_cm: needed for an ideal or adjusted body-weight basis")
    height = _decimal("height_cm", value)
    problem = check_height(height)
    if problem:
        raise ValueError(f"height_cm: {problem}")
    return height


def _weight(value: object) -> Decimal:
    if value is None:
        raise ValueError("weight_kg: today's weight is needed for a weight-based dose")
    weight = _decimal("weight_kg", value)
    if weight <= 0:
        raise ValueError(f"weight_kg: must be greater than 0, got {weight}")
    problem = check_weight(weight)
    if problem:
        raise ValueError(f"weight_kg: {problem}")
    return weight


def ideal_body_weight(height_cm: Number, sex: SexAtBirth | str) -> Decimal:
    """Devine ideal body weight in kg, to 0.1 kg [UNCONFIRMED — clinic to verify].

    Refuses (ValueError naming height_cm) a height at which the formula gives less than the
    plausible minimum weight, since the formula is extrapolated below 5 ft."""
    height = _height(height_cm)
    base = DEVINE_BASE_KG[_sex(sex)]
    inches_over_5ft = (height - FIVE_FEET_CM) / CM_PER_INCH
    ibw = _q(base + DEVINE_KG_PER_INCH * inches_over_5ft, KG)
    if check_weight(ibw) is not None:
        raise ValueError(
            f"height_cm: the Devine formula gives {ibw} kg at {height} cm, which is not a "
            "plausible weight; use actual body weight"
        )
    return ibw


def adjusted_body_weight(weight_kg: Number, ideal_kg: Number) -> Decimal:
    """IBW + 0.4 × (actual − IBW), to 0.1 kg [UNCONFIRMED — clinic to verify]."""
    actual = _weight(weight_kg)
    ideal = _decimal("ideal_kg", ideal_kg)
    return _q(ideal + ADJUSTED_FACTOR * (actual - ideal), KG)


@dataclass(frozen=True)
class DoseCalculation:
    """One session's dose with its inputs, intermediate values and the working.

    `per_kg` is the mg/kg or mg/kg/h figure (None for fixed and device doses). `raw_mg` is the
    dose before rounding and cap; `capped` says a cap (dose or rate) was applied. `volume_ml`
    and `rate_ml_per_h` need a concentration; `rate_*` need an infusion time; `devices` is set
    for esketamine. `formula` is the working, one step a line; `warnings` need a look."""

    kind: DoseKind
    value: Decimal
    weight_kg: Decimal | None
    weight_used_kg: Decimal | None
    basis: WeightBasis | None
    per_kg: Decimal | None
    raw_mg: Decimal
    capped: bool
    max_dose_mg: Decimal | None
    max_rate_mg_per_h: Decimal | None
    dose_mg: Decimal
    concentration_mg_per_ml: Decimal | None
    volume_ml: Decimal | None
    duration_min: int | None
    rate_mg_per_h: Decimal | None
    rate_ml_per_h: Decimal | None
    devices: int | None
    device_interval_min: int | None
    formula: tuple[str, ...]
    warnings: tuple[str, ...]
    source: str


def _weight_used(
    rule: DoseRule,
    basis: WeightBasis,
    weight: Decimal,
    height_cm: object,
    sex: object,
    formula: list[str],
    warnings: list[str],
) -> Decimal:
    if basis is WeightBasis.ACTUAL:
        if height_cm is not None:
            height = _height(height_cm)
            index = bmi(weight, height)
            if index > BASIS_UNSETTLED_BMI:
                warnings.append(
                    f"BMI {index} is above {BASIS_UNSETTLED_BMI}: the weight basis for mg/kg "
                    "dosing is not standardised (clinical.md §7a, §14 [UNCONFIRMED])."
                )
        return weight
    height = _height(height_cm)
    sex_value = _sex(sex)
    ibw = ideal_body_weight(height, sex_value)
    formula.append(
        f"ideal body weight (Devine, {sex_value.value}) = {DEVINE_BASE_KG[sex_value]} + "
        f"{DEVINE_KG_PER_INCH} × ({_fmt(height)} cm ÷ {CM_PER_INCH} − 60 in) = {ibw} kg"
    )
    warnings.append(
        "Ideal/adjusted body weight formulas are not in shared/reference "
        "[UNCONFIRMED — clinic to verify]."
    )
    if height < FIVE_FEET_CM:
        warnings.append("The Devine formula is extrapolated below 152.4 cm (5 ft).")
    computed = ibw
    if basis is WeightBasis.ADJUSTED:
        computed = adjusted_body_weight(weight, ibw)
        formula.append(
            f"adjusted body weight = {ibw} + {ADJUSTED_FACTOR} × ({_fmt(weight)} − {ibw}) "
            f"= {computed} kg"
        )
    if weight < computed:
        formula.append(
            f"actual weight {_fmt(weight)} kg is below the {basis.label} {computed} kg: "
            "the actual weight is used"
        )
        return weight
    return computed


def calculate_dose(
    protocol_or_rule: Protocol | DoseRule,
    *,
    weight_kg: Number | None = None,
    height_cm: Number | None = None,
    sex: SexAtBirth | str | None = None,
    concentration_mg_per_ml: Number | None = None,
    value: Number | None = None,
    basis: WeightBasis | str | None = None,
    phase: str | None = None,
    first_session: bool = False,
) -> DoseCalculation:
    """Work out one session's dose.

    `value` picks a titration step (mg/kg, mg/kg/h or mg); by default the rule's value, or its
    first-session value when `first_session`. `basis` overrides the rule's weight basis for a
    weight-based dose. `concentration_mg_per_ml` overrides the rule's default strength.
    Bad input raises ValueError naming the field.
    """
    if isinstance(protocol_or_rule, Protocol):
        rule = protocol_or_rule.dose_for(phase)
    elif phase is not None:
        raise ValueError("phase: only a protocol has phases")
    else:
        rule = protocol_or_rule

    chosen = rule.value
    if first_session and rule.first_session_value is not None:
        chosen = rule.first_session_value
    if value is not None:
        chosen = _decimal("value", value)
        if chosen <= 0:
            raise ValueError(f"value: must be greater than 0, got {chosen}")
        if rule.steps and chosen not in rule.steps:
            steps = ", ".join(_fmt(s) for s in rule.steps)
            raise ValueError(f"value: {_fmt(chosen)} {rule.unit} is not one of the steps {steps}")
        if rule.kind is DoseKind.DEVICES_28MG and chosen % rule.device_mg != 0:
            raise ValueError(f"value: {chosen} mg is not a whole number of {rule.device_mg} mg")
    # Esketamine's first session is the label's start dose whatever dose the plan chose: "84 mg
    # only after an initial 56 mg dose" (clinical.md §5a [LABEL]); 28 mg for the EU ≥ 65 start
    # (§5b [LABEL-EU]). A higher plan dose applies from the next session on.
    start_cap = None
    if (
        first_session
        and rule.kind is DoseKind.DEVICES_28MG
        and rule.first_session_value is not None
        and chosen > rule.first_session_value
    ):
        start_cap, chosen = chosen, rule.first_session_value

    concentration = rule.concentration_mg_per_ml
    if concentration_mg_per_ml is not None:
        concentration = _decimal("concentration_mg_per_ml", concentration_mg_per_ml)
        if concentration <= 0:
            raise ValueError(
                f"concentration_mg_per_ml: must be greater than 0, got {concentration}"
            )
    if rule.kind is DoseKind.DEVICES_28MG and concentration is not None:
        raise ValueError("concentration_mg_per_ml: esketamine is dosed in devices, not mL")

    formula: list[str] = []
    warnings: list[str] = []
    weight = _weight(weight_kg) if (weight_kg is not None or rule.is_weight_based) else None
    chosen_basis: WeightBasis | None = None
    weight_used: Decimal | None = None
    per_kg: Decimal | None = None
    rate_mg_per_h: Decimal | None = None
    capped = False
    duration = rule.duration_min

    if rule.is_weight_based:
        assert weight is not None  # _weight refuses None for a weight-based rule
        try:
            chosen_basis = WeightBasis(basis) if basis is not None else rule.weight_basis
        except ValueError:
            raise ValueError(f"basis: {basis!r} is not one of actual, ideal, adjusted") from None
        weight_used = _weight_used(rule, chosen_basis, weight, height_cm, sex, formula, warnings)
        per_kg = chosen
    elif basis is not None:
        raise ValueError("basis: a fixed or device dose does not use a weight basis")

    if rule.kind is DoseKind.MG_PER_KG:
        assert weight_used is not None and chosen_basis is not None
        raw = chosen * weight_used
        dose = _q(raw, MG)
        formula.append(
            f"{_fmt(chosen)} mg/kg × {_fmt(weight_used)} kg ({chosen_basis.label}) "
            f"= {_fmt(dose)} mg"
        )
    elif rule.kind is DoseKind.MG_PER_KG_PER_HOUR:
        assert weight_used is not None and chosen_basis is not None and duration is not None
        raw_rate = chosen * weight_used
        raw = raw_rate * duration / 60
        rate_mg_per_h = _q(raw_rate, MG_PER_H)
        shown = _fmt(rate_mg_per_h)
        if raw_rate != rate_mg_per_h:
            shown = f"{raw_rate.normalize():f} mg/h ({shown} rounded)"
        else:
            shown += " mg/h"
        formula.append(
            f"{_fmt(chosen)} mg/kg/h × {_fmt(weight_used)} kg ({chosen_basis.label}) = {shown}"
        )
        rate_used = raw_rate
        cap_rate = rule.max_rate_mg_per_h
        if cap_rate is not None and raw_rate > cap_rate:
            rate_used = cap_rate
            rate_mg_per_h = _q(cap_rate, MG_PER_H)
            capped = True
            formula.append(f"capped at the maximum rate {_fmt(cap_rate)} mg/h")
        elif cap_rate is not None:
            formula.append(f"maximum rate {_fmt(cap_rate)} mg/h not reached")
        # The dose comes from the unrounded rate, so only one rounding reaches the mg figure.
        dose = _q(rate_used * duration / 60, MG)
        formula.append(f"{rate_used.normalize():f} mg/h × {duration} min = {_fmt(dose)} mg")
    else:
        raw = chosen
        dose = chosen
        what = "esketamine" if rule.kind is DoseKind.DEVICES_28MG else "fixed dose"
        formula.append(f"{what} {_fmt(dose)} mg (whatever the weight)")
        if start_cap is not None:
            formula.append(
                f"first session: the label's start dose {_fmt(dose)} mg, not the plan's "
                f"{_fmt(start_cap)} mg (clinical.md §5a [LABEL])"
            )
            warnings.append(
                f"First session: {_fmt(dose)} mg, the label's start dose. The plan's "
                f"{_fmt(start_cap)} mg may be given from the next session, after an initial "
                f"{_fmt(dose)} mg dose."
            )

    dose_capped = False
    if rule.max_dose_mg is not None:
        if dose > rule.max_dose_mg:
            capped = dose_capped = True
            dose = rule.max_dose_mg
            formula.append(f"capped at the maximum dose {_fmt(rule.max_dose_mg)} mg")
        else:
            formula.append(f"maximum dose {_fmt(rule.max_dose_mg)} mg not reached")
    elif rule.is_weight_based:
        formula.append("no maximum total dose set for this protocol (a clinic setting)")

    if rule.min_dose_mg is not None and dose < rule.min_dose_mg:
        warnings.append(
            f"{_fmt(dose)} mg is below the suggested minimum total of {_fmt(rule.min_dose_mg)} mg "
            f"({rule.source})."
        )

    devices: int | None = None
    if rule.kind is DoseKind.DEVICES_28MG:
        devices = int(dose / rule.device_mg)
        formula.append(
            f"{_fmt(dose)} mg ÷ {_fmt(rule.device_mg)} mg per device = {devices} devices, "
            f"{rule.device_interval_min} min apart"
        )

    volume: Decimal | None = None
    if concentration is not None:
        volume = _q(dose / concentration, ML)
        formula.append(f"{_fmt(dose)} mg ÷ {_fmt(concentration)} mg/mL = {_fmt(volume)} mL")

    rate_ml_per_h: Decimal | None = None
    if duration is not None:
        if rate_mg_per_h is None or dose_capped:
            rate_mg_per_h = _q(dose * 60 / duration, MG_PER_H)
        if rule.kind is DoseKind.MG_PER_KG:
            formula.append(f"{_fmt(dose)} mg over {duration} min = {_fmt(rate_mg_per_h)} mg/h")
        if volume is not None:
            exact = volume * 60 / duration
            rate_ml_per_h = _q(exact, ML_PER_H)
            formula.append(
                f"{_fmt(volume)} mL over {duration} min = {_fmt(rate_ml_per_h)} mL/h"
                + ("" if exact == rate_ml_per_h else f" ({exact.normalize():f} rounded)")
            )

    return DoseCalculation(
        kind=rule.kind,
        value=chosen,
        weight_kg=weight,
        weight_used_kg=weight_used,
        basis=chosen_basis,
        per_kg=per_kg,
        raw_mg=raw,
        capped=capped,
        max_dose_mg=rule.max_dose_mg,
        max_rate_mg_per_h=rule.max_rate_mg_per_h,
        dose_mg=dose,
        concentration_mg_per_ml=concentration,
        volume_ml=volume,
        duration_min=duration,
        rate_mg_per_h=rate_mg_per_h,
        rate_ml_per_h=rate_ml_per_h,
        devices=devices,
        device_interval_min=rule.device_interval_min,
        formula=tuple(formula),
        warnings=tuple(warnings),
        source=rule.source,
    )


# --- the dose actually given ---------------------------------------------------------------

# The highest esketamine dose in one session: 84 mg = 3 devices of 28 mg (clinical.md §5a
# [LABEL] S2, S4, S5; the label doses are 56 or 84 mg). A hard limit: no role may exceed it.
ESKETAMINE_MAX_SESSION_MG = Decimal(84)


@dataclass(frozen=True)
class GivenDoseDecision:
    """Whether a dose may be given at the chair instead of the calculated one.

    `field` names the form field a refusal is about (`given_mg`); `reasons` say why, or (when
    allowed) note what the dose needs. `above_plan`/`below_plan` say how it differs from the
    planned dose: any difference needs a documented reason, which the caller checks."""

    allowed: bool
    field: str
    reasons: tuple[str, ...]
    above_plan: bool
    below_plan: bool


def _devices_text(doses: list[Decimal], device_mg: Decimal) -> str:
    mg = " or ".join(_fmt(d.normalize()) for d in doses)
    count = " or ".join(str(int(d / device_mg)) for d in doses)
    return f"{mg} mg ({count} devices of {_fmt(device_mg.normalize())} mg)"


def judge_given_dose(
    given_mg: Decimal,
    planned_mg: Decimal,
    *,
    kind: DoseKind,
    by_prescriber: bool,
    device_mg: Decimal = ESKETAMINE_DEVICE_MG,
    plan_doses_mg: tuple[Decimal, ...] = (),
    max_dose_mg: Decimal | None = None,
    first_session_max_mg: Decimal | None = None,
    previous_dose_mg: Decimal | None = None,
) -> GivenDoseDecision:
    """May `given_mg` be recorded as the dose to give, against the `planned_mg` the plan
    calculated? Pure: the caller says whether the person is a prescriber of the clinic.

    - more than 0 mg;
    - esketamine (`DEVICES_28MG`): whole devices, never above the label's 84 mg per session
      (clinical.md §5a [LABEL]) whoever records it, and one of the plan's doses in devices
      (`plan_doses_mg`: the protocol's steps, e.g. 56 or 84 mg; 28 mg only where the protocol
      allows it, e.g. the EU ≥ 65 start, §5b); at the first session of a course never above
      the label's start dose (`first_session_max_mg`: "84 mg only after an initial 56 mg
      dose", §5a [LABEL]); never more than one device above the dose taken at the plan's last
      session that had one (`previous_dose_mg`: "all dose changes in 28 mg steps", §5b
      [LABEL-EU]; the US label's 56 → 84 mg is one such step);
    - never above the protocol's maximum dose (`max_dose_mg`, a clinic setting), if it has one;
    - above the planned dose only when a prescriber records it (a dose below the plan may be
      given by the nurse; both need a documented reason, checked by the caller)."""
    field = "given_mg"

    def refuse(reason: str) -> GivenDoseDecision:
        return GivenDoseDecision(False, field, (reason,), given_mg > planned_mg, False)

    planned = _fmt(planned_mg.normalize())
    given = _fmt(given_mg.normalize())
    if not given_mg > 0:
        return refuse("Enter the dose given in mg (more than 0).")
    if kind is DoseKind.DEVICES_28MG:
        if given_mg % device_mg:
            return refuse(
                f"{given} mg is not a whole number of {_fmt(device_mg.normalize())} mg "
                "esketamine devices."
            )
        if given_mg > ESKETAMINE_MAX_SESSION_MG:
            return refuse(
                f"{given} mg is above the label's maximum of "
                f"{_fmt(ESKETAMINE_MAX_SESSION_MG)} mg "
                f"({int(ESKETAMINE_MAX_SESSION_MG / device_mg)} devices) in one session "
                "(clinical.md §5a [LABEL]): nobody may record it."
            )
        if first_session_max_mg is not None and given_mg > first_session_max_mg:
            return refuse(
                f"{given} mg is above the {_fmt(first_session_max_mg.normalize())} mg start dose "
                "at the first session: a higher dose only after an initial "
                f"{_fmt(first_session_max_mg.normalize())} mg dose (clinical.md §5a [LABEL])."
            )
        if previous_dose_mg is not None and given_mg > previous_dose_mg + device_mg:
            step = _fmt(device_mg.normalize())
            return refuse(
                f"{given} mg is more than one {step} mg device above the "
                f"{_fmt(previous_dose_mg.normalize())} mg taken at the last session: esketamine "
                f"doses go up in {step} mg steps (clinical.md §5b [LABEL-EU], §5a [LABEL])."
            )
    if max_dose_mg is not None and given_mg > max_dose_mg:
        return refuse(
            f"{given} mg is above the protocol's maximum dose of "
            f"{_fmt(max_dose_mg.normalize())} mg."
        )
    if given_mg > planned_mg and not by_prescriber:
        return refuse(
            f"{given} mg is above the planned {planned} mg: a prescriber must record a dose "
            "above the plan."
        )
    if kind is DoseKind.DEVICES_28MG and plan_doses_mg:
        doses = sorted(set(plan_doses_mg))
        if given_mg not in doses:
            return refuse(
                f"{given} mg is not one of this plan's esketamine doses: "
                f"{_devices_text(doses, device_mg)} (clinical.md §5a)."
            )
    notes: tuple[str, ...] = ()
    if given_mg > planned_mg:
        notes = (f"Above the planned {planned} mg, recorded by a prescriber.",)
    elif given_mg < planned_mg:
        notes = (f"Below the planned {planned} mg.",)
    return GivenDoseDecision(True, field, notes, given_mg > planned_mg, given_mg < planned_mg)
