"""Properties of the dose calculation over generated patients, rules and strengths
(hypothesis):

- the dose never exceeds the cap (and a per-hour rate never exceeds the rate cap);
- the dose is non-decreasing in weight, on every weight basis;
- units agree within the stated rounding: volume × concentration ≈ dose (0.005 mL),
  rate × time ≈ volume (0.05 mL/h), mg/h × time ≈ dose (0.05 mg/h);
- esketamine: devices × 28 mg = dose, for every allowed step;
- rounded figures carry their stated places (0.1 mg, 0.01 mL, 0.1 mL/h).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.dosing import calculate_dose
from ketacare.clinical.protocols import LIBRARY, DoseKind, WeightBasis

WEIGHT_BASED = sorted(code for code, p in LIBRARY.items() if p.dose.is_weight_based)
ESKETAMINE = sorted(code for code, p in LIBRARY.items() if p.route.is_esketamine)

weights = st.integers(200, 3500).map(lambda n: Decimal(n) / 10)  # 20.0-350.0 kg
heights = st.integers(1530, 2100).map(lambda n: Decimal(n) / 10)  # cm
sexes = st.sampled_from(["female", "male"])
bases = st.sampled_from(list(WeightBasis))
strengths = st.sampled_from([Decimal(1), Decimal(10), Decimal(50), Decimal(100), Decimal("2.5")])
caps = st.none() | st.integers(10, 300).map(Decimal)


@st.composite
def weight_based_rules(draw):
    protocol = LIBRARY[draw(st.sampled_from(WEIGHT_BASED))]
    dose = protocol.dose
    value = draw(st.sampled_from(dose.steps or (dose.value,)))
    changes = {"max_dose_mg": draw(caps), "weight_basis": draw(bases)}
    if dose.kind is DoseKind.MG_PER_KG_PER_HOUR:
        changes["max_rate_mg_per_h"] = draw(st.none() | st.integers(5, 60).map(Decimal))
    if dose.kind is DoseKind.MG_PER_KG:
        changes["duration_min"] = draw(st.none() | st.sampled_from([20, 40, 60, 100]))
    return replace(dose, **changes, min_dose_mg=None), value


@given(weight_based_rules(), weights, heights, sexes, strengths)
def test_dose_never_exceeds_the_cap(rule_value, weight, height, sex, strength):
    rule, value = rule_value
    calc = calculate_dose(
        rule,
        weight_kg=weight,
        height_cm=height,
        sex=sex,
        value=value,
        concentration_mg_per_ml=strength,
    )
    if rule.max_dose_mg is not None:
        assert calc.dose_mg <= rule.max_dose_mg
    if rule.max_rate_mg_per_h is not None:
        assert calc.rate_mg_per_h is not None and calc.rate_mg_per_h <= rule.max_rate_mg_per_h
    assert calc.dose_mg > 0
    rounded_raw = calc.raw_mg.quantize(Decimal("0.1"), "ROUND_HALF_UP")
    assert calc.dose_mg <= rounded_raw
    assert calc.capped or calc.dose_mg == rounded_raw


@given(weight_based_rules(), weights, weights, heights, sexes)
def test_dose_is_non_decreasing_in_weight(rule_value, w1, w2, height, sex):
    rule, value = rule_value
    low, high = sorted((w1, w2))
    kwargs = {"height_cm": height, "sex": sex, "value": value}
    lighter = calculate_dose(rule, weight_kg=low, **kwargs)
    heavier = calculate_dose(rule, weight_kg=high, **kwargs)
    assert lighter.dose_mg <= heavier.dose_mg
    assert lighter.weight_used_kg is not None and heavier.weight_used_kg is not None
    assert lighter.weight_used_kg <= heavier.weight_used_kg


@given(weight_based_rules(), weights, heights, sexes)
def test_weight_used_is_never_above_the_actual_weight(rule_value, weight, height, sex):
    rule, value = rule_value
    calc = calculate_dose(rule, weight_kg=weight, height_cm=height, sex=sex, value=value)
    assert calc.weight_used_kg is not None and calc.weight_used_kg <= weight


@given(weight_based_rules(), weights, heights, sexes, strengths)
def test_units_agree_within_the_stated_rounding(rule_value, weight, height, sex, strength):
    rule, value = rule_value
    calc = calculate_dose(
        rule,
        weight_kg=weight,
        height_cm=height,
        sex=sex,
        value=value,
        concentration_mg_per_ml=strength,
    )
    assert calc.volume_ml is not None
    # volume is dose ÷ strength rounded to 0.01 mL.
    assert abs(calc.volume_ml * strength - calc.dose_mg) <= Decimal("0.005") * strength
    assert calc.dose_mg == calc.dose_mg.quantize(Decimal("0.1"))
    assert calc.volume_ml.as_tuple().exponent == -2
    if calc.duration_min is None:
        assert calc.rate_ml_per_h is None and calc.rate_mg_per_h is None
        return
    minutes = calc.duration_min
    assert calc.rate_ml_per_h is not None and calc.rate_mg_per_h is not None
    # rate is volume ÷ time rounded to 0.1 mL/h; mg/h to 0.1 mg/h. Compared × 60 (per hour
    # × minutes) to stay exact.
    assert abs(calc.rate_ml_per_h * minutes - calc.volume_ml * 60) <= Decimal("0.05") * minutes
    assert abs(calc.rate_mg_per_h * minutes - calc.dose_mg * 60) <= Decimal("0.05") * minutes
    assert calc.rate_ml_per_h.as_tuple().exponent == -1


@given(weights, strengths)
def test_mg_per_kg_dose_is_value_times_weight_rounded_when_uncapped(weight, strength):
    rule = LIBRARY["iv_ketamine_depression"].dose
    calc = calculate_dose(rule, weight_kg=weight, concentration_mg_per_ml=strength)
    assert calc.dose_mg == (rule.value * weight).quantize(Decimal("0.1"), "ROUND_HALF_UP")


@given(st.sampled_from(ESKETAMINE), st.data())
def test_esketamine_devices_times_28_mg_is_the_dose(code, data):
    protocol = LIBRARY[code]
    value = data.draw(st.sampled_from(protocol.dose.steps))
    calc = calculate_dose(protocol, value=value)
    assert calc.devices is not None and calc.devices * 28 == calc.dose_mg
    assert calc.volume_ml is None and calc.rate_ml_per_h is None
    assert calc.device_interval_min is not None and calc.device_interval_min >= 5
