"""Pre-dose respiration and sedation: a value that would raise an alert after dosing holds the
dose for the prescriber's decision (issue 6 item 2: "pre-dose vitals within limits")."""

from __future__ import annotations

from ketacare.clinical.vitals import VitalLimits, VitalSigns, pre_dose_hold

NORMAL = VitalSigns(systolic_mmhg=120, diastolic_mmhg=78, spo2_pct=98, heart_rate_bpm=72)


def _with_rr(rr: int) -> VitalSigns:
    return VitalSigns(
        systolic_mmhg=120, diastolic_mmhg=78, spo2_pct=98, heart_rate_bpm=72, resp_rate_per_min=rr
    )


def test_a_respiratory_rate_outside_the_limits_holds() -> None:
    for rr in (6, 9, 31, 40):
        hold = pre_dose_hold(_with_rr(rr))
        assert not hold.ok
        assert any(f"respiratory rate {rr}/min is outside 10–30" in r for r in hold.reasons)


def test_the_limits_themselves_pass() -> None:
    for rr in (10, 16, 30):
        assert pre_dose_hold(_with_rr(rr)).ok
    assert pre_dose_hold(NORMAL).ok  # not measured: nothing to judge


def test_the_clinics_respiratory_limits_apply() -> None:
    assert pre_dose_hold(_with_rr(9), VitalLimits(resp_rate_min=8)).ok


def test_sedated_before_any_dose_holds() -> None:
    hold = pre_dose_hold(NORMAL, moaas=2)
    assert not hold.ok and any("MOAA/S 2" in r for r in hold.reasons)
    assert not pre_dose_hold(NORMAL, moaas=0).ok
    assert pre_dose_hold(NORMAL, moaas=3).ok and pre_dose_hold(NORMAL, moaas=5).ok
    assert pre_dose_hold(NORMAL, VitalLimits(moaas_alert_at_or_below=3), moaas=3).ok is False
