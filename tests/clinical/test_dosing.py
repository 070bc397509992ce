"""Dose calculation against hand-worked examples from shared/reference/clinical.md (§5, §7a,
§15c), and refusal of bad input naming the field.

Rounding under test: dose 0.1 mg, volume 0.01 mL, rate 0.1 mL/h and 0.1 mg/h, half-up.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from ketacare.clinical.dosing import (
    adjusted_body_weight,
    calculate_dose,
    ideal_body_weight,
)
from ketacare.clinical.protocols import LIBRARY, DoseKind, WeightBasis

IV = LIBRARY["iv_ketamine_depression"]
CRPS = LIBRARY["iv_ketamine_crps"]
ESK = LIBRARY["esketamine_trd_us"]


def test_iv_half_mg_per_kg_for_70_kg_is_35_mg_over_40_min_at_5_3_ml_per_h():
    # §7a: 0.5 mg/kg over 40 min. 0.5 × 70 = 35 mg; 35 ÷ 10 = 3.5 mL; 3.5 mL × 60/40 =
    # 5.25 mL/h → 5.3 (half-up); 35 mg × 60/40 = 52.5 mg/h.
    calc = calculate_dose(IV, weight_kg=70, concentration_mg_per_ml=10)
    assert calc.dose_mg == D("35.0")
    assert calc.volume_ml == D("3.50")
    assert calc.rate_ml_per_h == D("5.3")
    assert calc.rate_mg_per_h == D("52.5")
    assert calc.duration_min == 40
    assert calc.basis is WeightBasis.ACTUAL
    assert calc.weight_used_kg == D(70)
    assert not calc.capped
    assert calc.formula == (
        "0.5 mg/kg × 70 kg (actual body weight) = 35.0 mg",
        "no maximum total dose set for this protocol (a clinic setting)",
        "35.0 mg ÷ 10 mg/mL = 3.50 mL",
        "35.0 mg over 40 min = 52.5 mg/h",
        "3.50 mL over 40 min = 5.3 mL/h (5.25 rounded)",
    )
    assert calc.warnings == ()
    assert "§7a" in calc.source


def test_iv_without_a_concentration_gives_mg_and_mg_per_h_only():
    calc = calculate_dose(IV, weight_kg="72.0")
    assert calc.dose_mg == D("36.0")
    assert calc.volume_ml is None and calc.rate_ml_per_h is None
    assert calc.rate_mg_per_h == D("54.0")


def test_crps_rate_for_80_kg_is_capped_at_25_mg_per_h_giving_100_mg_over_4_h():
    # §15c: 0.35 mg/kg/h × 80 kg = 28 mg/h > max 25 mg/h; 25 mg/h × 4 h = 100 mg.
    calc = calculate_dose(CRPS, weight_kg=80, concentration_mg_per_ml=10)
    assert calc.capped
    assert calc.rate_mg_per_h == D("25.0")
    assert calc.dose_mg == D("100.0")
    assert calc.raw_mg == D("112.00")
    assert calc.volume_ml == D("10.00")
    assert calc.rate_ml_per_h == D("2.5")
    assert calc.formula[:3] == (
        "0.35 mg/kg/h × 80 kg (actual body weight) = 28.0 mg/h",
        "capped at the maximum rate 25 mg/h",
        "25 mg/h × 240 min = 100.0 mg",
    )


def test_crps_rate_below_the_cap_is_used_as_is():
    # 0.35 × 70 = 24.5 mg/h; × 4 h = 98 mg.
    calc = calculate_dose(CRPS, weight_kg=70)
    assert not calc.capped
    assert (calc.rate_mg_per_h, calc.dose_mg) == (D("24.5"), D("98.0"))
    assert "maximum rate 25 mg/h not reached" in calc.formula


def test_crps_total_below_80_mg_warns_but_is_not_refused():
    # 0.35 × 50 = 17.5 mg/h × 4 h = 70 mg < ~80 mg minimum (§15c, secondary source).
    calc = calculate_dose(CRPS, weight_kg=50)
    assert calc.dose_mg == D("70.0")
    assert any("below the suggested minimum total of 80 mg" in w for w in calc.warnings)


@pytest.mark.parametrize(("mg", "devices"), [(56, 2), (84, 3)])
def test_esketamine_doses_are_whole_28_mg_devices_5_minutes_apart(mg, devices):
    # §5a: 56 mg = 2 devices, 84 mg = 3 devices, 5-minute rest between devices.
    calc = calculate_dose(ESK, value=mg)
    assert calc.devices == devices
    assert calc.dose_mg == D(mg)
    assert calc.device_interval_min == 5
    assert calc.kind is DoseKind.DEVICES_28MG
    assert calc.formula[-1] == f"{mg} mg ÷ 28 mg per device = {devices} devices, 5 min apart"


def test_esketamine_first_session_is_56_mg_us_and_28_mg_eu_over_65():
    assert calculate_dose(ESK, first_session=True).devices == 2
    eu = calculate_dose(LIBRARY["esketamine_trd_eu_65plus"], first_session=True)
    assert (eu.dose_mg, eu.devices) == (D(28), 1)
    assert calculate_dose(LIBRARY["esketamine_mdsi_us"]).devices == 3


def test_esketamine_refuses_doses_off_the_label_steps_and_a_concentration():
    with pytest.raises(ValueError, match=r"^value: 112 mg is not one of the steps 56, 84"):
        calculate_dose(ESK, value=112)
    with pytest.raises(ValueError, match=r"^value:"):
        calculate_dose(ESK, value=70)
    with pytest.raises(ValueError, match=r"^concentration_mg_per_ml:"):
        calculate_dose(ESK, concentration_mg_per_ml=10)
    with pytest.raises(ValueError, match=r"^basis:"):
        calculate_dose(ESK, basis="ideal")


def test_a_clinic_cap_limits_the_dose_and_says_so():
    capped_iv = replace(IV, dose=replace(IV.dose, max_dose_mg=D(40)))
    calc = calculate_dose(capped_iv, weight_kg=100, concentration_mg_per_ml=10)
    assert calc.capped and calc.dose_mg == D(40) and calc.raw_mg == D("50.0")
    assert "capped at the maximum dose 40 mg" in calc.formula
    assert calc.volume_ml == D("4.00") and calc.rate_ml_per_h == D("6.0")
    below = calculate_dose(capped_iv, weight_kg=70)
    assert not below.capped and "maximum dose 40 mg not reached" in below.formula


def test_titration_step_changes_the_mg_per_kg():
    assert calculate_dose(IV, weight_kg=70, value="0.75").dose_mg == D("52.5")
    with pytest.raises(ValueError, match=r"^value: 0.6 mg/kg is not one of the steps"):
        calculate_dose(IV, weight_kg=70, value="0.6")


def test_devine_ideal_body_weight_hand_worked():
    # Male 180 cm: 180 / 2.54 = 70.87 in; 50 + 2.3 × 10.87 = 74.99 → 75.0 kg.
    assert ideal_body_weight(180, "male") == D("75.0")
    # Female 160 cm: 62.99 in; 45.5 + 2.3 × 2.99 = 52.38 → 52.4 kg.
    assert ideal_body_weight(160, "female") == D("52.4")
    # Adjusted: 75 + 0.4 × (100 − 75) = 85.0 kg.
    assert adjusted_body_weight(100, D("75.0")) == D("85.0")


def test_ideal_and_adjusted_basis_use_the_computed_weight_and_flag_it_unconfirmed():
    ideal = calculate_dose(IV, weight_kg=100, height_cm=180, sex="male", basis="ideal")
    assert (ideal.weight_used_kg, ideal.dose_mg) == (D("75.0"), D("37.5"))
    assert any("UNCONFIRMED" in w for w in ideal.warnings)
    adjusted = calculate_dose(IV, weight_kg=100, height_cm=180, sex="male", basis="adjusted")
    assert (adjusted.weight_used_kg, adjusted.dose_mg) == (D("85.0"), D("42.5"))
    assert adjusted.formula[1] == "adjusted body weight = 75.0 + 0.4 × (100 − 75.0) = 85.0 kg"


def test_a_clinic_basis_setting_on_the_protocol_is_used_by_default():
    ideal_iv = replace(IV, dose=replace(IV.dose, weight_basis=WeightBasis.IDEAL))
    calc = calculate_dose(ideal_iv, weight_kg=100, height_cm=180, sex="male")
    assert calc.basis is WeightBasis.IDEAL and calc.weight_used_kg == D("75.0")


def test_actual_weight_below_ideal_is_used_instead():
    calc = calculate_dose(IV, weight_kg=60, height_cm=180, sex="male", basis="ideal")
    assert calc.weight_used_kg == D(60)
    assert any("below the ideal body weight" in line for line in calc.formula)


def test_actual_basis_warns_when_bmi_is_above_30():
    calc = calculate_dose(IV, weight_kg=110, height_cm=170)
    assert any("BMI 38.1 is above 30" in w for w in calc.warnings)
    assert calculate_dose(IV, weight_kg=70, height_cm=170).warnings == ()


def test_short_stature_warns_that_devine_is_extrapolated():
    calc = calculate_dose(IV, weight_kg=60, height_cm=150, sex="female", basis="ideal")
    assert any("extrapolated below 152.4 cm" in w for w in calc.warnings)


def test_fixed_doses_ignore_weight_and_use_the_default_strength():
    sublingual = calculate_dose(LIBRARY["sublingual_ketamine"])
    assert (sublingual.dose_mg, sublingual.volume_ml) == (D(10), D("0.10"))
    oral = calculate_dose(LIBRARY["oral_ketamine"], weight_kg=90, value=75)
    assert oral.dose_mg == D(75) and oral.weight_used_kg is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"weight_kg": 0}, "weight_kg"),
        ({"weight_kg": -5}, "weight_kg"),
        ({"weight_kg": 700}, "weight_kg"),  # pounds typed into kg
        ({"weight_kg": 70.5}, "weight_kg"),  # float refused
        ({"weight_kg": "abc"}, "weight_kg"),
        ({"weight_kg": "NaN"}, "weight_kg"),
        ({}, "weight_kg"),
        ({"weight_kg": 70, "concentration_mg_per_ml": 0}, "concentration_mg_per_ml"),
        ({"weight_kg": 70, "concentration_mg_per_ml": "-1"}, "concentration_mg_per_ml"),
        ({"weight_kg": 70, "basis": "ideal"}, "height_cm"),
        ({"weight_kg": 70, "basis": "ideal", "height_cm": 175}, "sex"),
        ({"weight_kg": 70, "basis": "ideal", "height_cm": 175, "sex": "intersex"}, "sex"),
        ({"weight_kg": 70, "basis": "ideal", "height_cm": 1.75, "sex": "male"}, "height_cm"),
        ({"weight_kg": 70, "basis": "lean"}, "basis"),
        ({"weight_kg": 70, "value": 0}, "value"),
        ({"weight_kg": 70, "phase": "nonexistent"}, "phase"),
    ],
)
def test_bad_input_is_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        calculate_dose(IV, **kwargs)


def test_devine_refuses_a_height_where_it_gives_an_implausible_weight():
    with pytest.raises(ValueError, match=r"^height_cm: the Devine formula gives"):
        ideal_body_weight(110, "female")


def test_phase_needs_a_protocol():
    with pytest.raises(ValueError, match=r"^phase:"):
        calculate_dose(IV.dose, weight_kg=70, phase="induction")
    assert calculate_dose(IV, weight_kg=70, phase="maintenance").dose_mg == D("35.0")


@pytest.mark.parametrize(
    ("code", "value", "first"),
    [("esketamine_trd_us", 84, 56), ("esketamine_trd_eu_65plus", 84, 28)],
)
def test_a_chosen_esketamine_dose_still_starts_at_the_label_start_dose(
    code: str, value: int, first: int
) -> None:
    """84 mg only after an initial 56 mg dose (§5a [LABEL]; 28 mg for EU ≥ 65, §5b): the plan's
    own dose applies from the second session."""
    calc = calculate_dose(LIBRARY[code], value=value, first_session=True)
    assert calc.dose_mg == first and calc.devices == first // 28
    assert any(f"not the plan's {value} mg" in line for line in calc.formula)
    assert any("from the next session" in w for w in calc.warnings)
    assert calculate_dose(LIBRARY[code], value=value).dose_mg == value


def test_a_chosen_dose_at_or_below_the_start_dose_is_kept() -> None:
    calc = calculate_dose(LIBRARY["esketamine_trd_eu_65plus"], value=28, first_session=True)
    assert calc.dose_mg == 28 and not any("start dose" in w for w in calc.warnings)
    # MDSI starts at 84 mg (§5c): nothing to cap.
    assert calculate_dose(LIBRARY["esketamine_mdsi_us"], value=84, first_session=True).dose_mg == 84
