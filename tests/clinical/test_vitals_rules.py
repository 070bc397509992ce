"""Vital-sign rules at the chair (clinical/vitals.py): plausibility, pre-dose hold, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.vitals import (
    AlertLevel,
    VitalLimits,
    VitalSigns,
    evaluate_reading,
    evaluate_sedation,
    implausible,
    next_vitals_due,
    pre_dose_hold,
    vitals_overdue,
)

NORMAL = VitalSigns(systolic_mmhg=122, diastolic_mmhg=78, heart_rate_bpm=72, spo2_pct=98)


def codes(reading: VitalSigns, baseline: VitalSigns | None = None) -> set[str]:
    return {a.code for a in evaluate_reading(reading, VitalLimits(), baseline)}


def test_impossible_values_are_named_by_field() -> None:
    problems = dict(implausible(VitalSigns(systolic_mmhg=20, diastolic_mmhg=200, spo2_pct=140)))
    assert set(problems) == {"systolic_mmhg", "diastolic_mmhg", "spo2_pct"}
    assert "140" in problems["spo2_pct"]


def test_half_a_blood_pressure_is_refused() -> None:
    assert implausible(VitalSigns(systolic_mmhg=120))[0][0] == "diastolic_mmhg"


def test_diastolic_at_or_above_systolic_is_refused() -> None:
    assert implausible(VitalSigns(systolic_mmhg=90, diastolic_mmhg=95))[0][0] == "diastolic_mmhg"


def test_a_normal_reading_is_plausible_and_raises_nothing() -> None:
    assert implausible(NORMAL) == [] and codes(NORMAL) == set()


def test_pre_dose_bp_above_140_90_holds_for_a_prescriber() -> None:
    hold = pre_dose_hold(VitalSigns(systolic_mmhg=142, diastolic_mmhg=80, spo2_pct=98))
    assert not hold.ok and "142/80" in hold.reasons[0] and "140/90" in hold.reasons[0]
    assert pre_dose_hold(VitalSigns(systolic_mmhg=140, diastolic_mmhg=90, spo2_pct=98)).ok


def test_pre_dose_without_bp_or_oximetry_holds() -> None:
    hold = pre_dose_hold(VitalSigns(heart_rate_bpm=70))
    assert len(hold.reasons) == 2


def test_the_pre_dose_limit_is_a_clinic_setting() -> None:
    strict = VitalLimits(pre_dose_systolic_max=130, pre_dose_diastolic_max=85)
    assert not pre_dose_hold(
        VitalSigns(systolic_mmhg=135, diastolic_mmhg=80, spo2_pct=97), strict
    ).ok


def test_severe_hypertension_warns_and_very_severe_is_critical() -> None:
    assert codes(VitalSigns(systolic_mmhg=180, diastolic_mmhg=90)) == {"bp_high"}
    assert codes(VitalSigns(systolic_mmhg=150, diastolic_mmhg=110)) == {"bp_high"}
    [alert] = evaluate_reading(VitalSigns(systolic_mmhg=205, diastolic_mmhg=100))
    assert alert.code == "bp_critical" and alert.level is AlertLevel.CRITICAL


def test_a_large_rise_from_pre_dose_warns_even_below_180() -> None:
    baseline = VitalSigns(systolic_mmhg=110, diastolic_mmhg=70)
    assert codes(VitalSigns(systolic_mmhg=150, diastolic_mmhg=80), baseline) == {"bp_rise"}
    assert codes(VitalSigns(systolic_mmhg=149, diastolic_mmhg=94), baseline) == set()
    assert codes(VitalSigns(systolic_mmhg=120, diastolic_mmhg=95), baseline) == {"bp_rise"}


def test_heart_rate_oxygen_and_breathing_alerts() -> None:
    assert codes(VitalSigns(heart_rate_bpm=121)) == {"hr_out_of_range"}
    assert codes(VitalSigns(heart_rate_bpm=120)) == set()
    [low] = evaluate_reading(VitalSigns(spo2_pct=91))
    assert low.level is AlertLevel.WARNING
    [very_low] = evaluate_reading(VitalSigns(spo2_pct=87))
    assert very_low.level is AlertLevel.CRITICAL
    [slow] = evaluate_reading(VitalSigns(resp_rate_per_min=8))
    assert slow.level is AlertLevel.CRITICAL and "respiratory depression" in slow.message


def test_sedation_alerts_at_two_and_loss_of_consciousness_at_zero() -> None:
    assert evaluate_sedation(3) == ()
    assert evaluate_sedation(2)[0].code == "deep_sedation"
    assert evaluate_sedation(0)[0].level is AlertLevel.CRITICAL
    with pytest.raises(ValueError, match="moaas"):
        evaluate_sedation(6)


def test_limits_refuse_contradictions_naming_the_field() -> None:
    with pytest.raises(ValueError, match="systolic_alert_at"):
        VitalLimits(systolic_alert_at=210)
    with pytest.raises(ValueError, match="spo2_min"):
        VitalLimits(spo2_min=-1)


def test_vitals_overdue_after_the_protocol_interval() -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    last = start + timedelta(minutes=10)
    assert not vitals_overdue(last, start, last + timedelta(minutes=15), 15)
    assert vitals_overdue(last, start, last + timedelta(minutes=16), 15)
    assert vitals_overdue(None, start, start + timedelta(minutes=16), 15)
    assert not vitals_overdue(None, start, start + timedelta(hours=3), None)
    assert next_vitals_due(last, start, 15) == last + timedelta(minutes=15)


def test_temperature_accepts_decimals() -> None:
    assert implausible(VitalSigns(temperature_c=Decimal("36.8"))) == []
    assert implausible(VitalSigns(temperature_c=Decimal("46")))[0][0] == "temperature_c"


bp = st.integers(min_value=60, max_value=260)


@given(sbp=bp, dbp=st.integers(min_value=30, max_value=150), extra=st.integers(0, 40))
def test_a_higher_systolic_never_raises_fewer_bp_alerts(sbp: int, dbp: int, extra: int) -> None:
    low = evaluate_reading(VitalSigns(systolic_mmhg=sbp, diastolic_mmhg=dbp))
    high = evaluate_reading(VitalSigns(systolic_mmhg=sbp + extra, diastolic_mmhg=dbp))
    severity = {"bp_high": 1, "bp_critical": 2}
    assert max((severity[a.code] for a in high), default=0) >= max(
        (severity[a.code] for a in low), default=0
    )


@given(spo2=st.integers(min_value=50, max_value=100))
def test_every_spo2_below_the_minimum_alerts(spo2: int) -> None:
    alerted = bool(evaluate_reading(VitalSigns(spo2_pct=spo2)))
    assert alerted == (spo2 < VitalLimits().spo2_min)


def test_a_label_timed_bp_check_is_due_until_a_bp_answers_it() -> None:
    """Esketamine: BP pre-dose and ~40 min after the first device (clinical.md §6b)."""
    from ketacare.clinical.vitals import BP_CHECK_EARLY_MIN, bp_check_due

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    at_40 = start + timedelta(minutes=40)
    assert bp_check_due(start, (0, 40), None) == at_40  # the pre-dose BP is a pre-dose check
    assert bp_check_due(start, (0, 40), start + timedelta(minutes=5)) == at_40
    early = at_40 - timedelta(minutes=BP_CHECK_EARLY_MIN)
    assert bp_check_due(start, (0, 40), early) is None  # the 30-60 min window
    assert bp_check_due(start, (0, 40), early - timedelta(seconds=1)) == at_40
    assert bp_check_due(start, (0, 40), start + timedelta(minutes=75)) is None  # late but done
    assert bp_check_due(start, (), None) is None  # racemic: intervals, no timed checks
    assert bp_check_due(start, (40, 90), start + timedelta(minutes=41)) == start + timedelta(
        minutes=90
    )


def test_a_bp_alert_names_the_number_that_crossed_its_limit() -> None:
    from ketacare.clinical.vitals import VitalSigns, evaluate_reading

    def message(sbp: int, dbp: int) -> str:
        [alert] = [
            a
            for a in evaluate_reading(VitalSigns(systolic_mmhg=sbp, diastolic_mmhg=dbp))
            if a.code.startswith("bp_")
        ]
        return alert.message

    assert message(176, 112).startswith("BP 176/112: diastolic 112 at or above 110")
    assert message(184, 96).startswith("BP 184/96: systolic 184 at or above 180")
    assert message(186, 114).startswith("BP 186/114: systolic and diastolic at or above 180/110")


def test_a_repeat_is_due_5_minutes_after_the_value_until_a_later_bp_answers_it() -> None:
    """clinical.md §9: out of range → repeat in 5 min."""
    from datetime import UTC, datetime, timedelta

    from ketacare.clinical.vitals import repeat_due

    high = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert repeat_due(high, None) == high + timedelta(minutes=5)
    assert repeat_due(high, high) == high + timedelta(minutes=5)  # the high BP itself
    assert repeat_due(high, high + timedelta(minutes=4)) is None
    assert repeat_due(None, high) is None
