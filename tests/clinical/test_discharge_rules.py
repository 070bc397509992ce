"""Discharge readiness (clinical/discharge.py): every unmet criterion is listed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ketacare.clinical.discharge import DischargeInputs, discharge_readiness
from ketacare.clinical.vitals import VitalSigns

FIRST_DEVICE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
READY = DischargeInputs(
    now=FIRST_DEVICE + timedelta(minutes=125),
    observation_started_at=FIRST_DEVICE,
    min_observation_min=120,
    esketamine=True,
    latest_vitals=VitalSigns(systolic_mmhg=128, diastolic_mmhg=80, heart_rate_bpm=76, spo2_pct=98),
    baseline_vitals=VitalSigns(systolic_mmhg=124, diastolic_mmhg=78),
    latest_moaas=5,
    baseline_moaas=5,
    latest_cadss6=0,
    open_alerts=0,
    escort_confirmed=True,
)


def test_a_stable_patient_after_two_hours_may_leave() -> None:
    decision = discharge_readiness(READY)
    assert decision.allowed and decision.missing == () and decision.minutes_observed == 125


def test_esketamine_at_100_minutes_is_refused_and_the_floor_cannot_be_overridden() -> None:
    decision = discharge_readiness(replace(READY, now=FIRST_DEVICE + timedelta(minutes=100)))
    assert not decision.allowed
    assert "Observed 100 min of the required 120 min (20 min to go)" in decision.missing[0]
    assert decision.not_overridable == decision.missing


def test_racemic_observation_shortfall_may_be_overridden() -> None:
    decision = discharge_readiness(
        replace(READY, esketamine=False, now=FIRST_DEVICE + timedelta(minutes=30))
    )
    assert not decision.allowed and decision.not_overridable == ()


def test_every_missing_criterion_is_listed_at_once() -> None:
    decision = discharge_readiness(
        replace(
            READY,
            latest_vitals=VitalSigns(systolic_mmhg=184, diastolic_mmhg=96, spo2_pct=97),
            latest_moaas=4,
            latest_cadss6=6,
            open_alerts=1,
            escort_confirmed=False,
        )
    )
    text = " ".join(decision.missing)
    # The BP is both above 180 and a rise of 60 from pre-dose: two vitals reasons.
    assert len(decision.missing) == 6
    for words in ("184/96", "rose +60", "MOAA/S 4", "CADSS-6 6", "1 alert", "Escort"):
        assert words in text


def test_missing_scores_and_no_dose_are_reasons_too() -> None:
    decision = discharge_readiness(
        replace(
            READY,
            observation_started_at=None,
            latest_vitals=None,
            latest_moaas=None,
            latest_cadss6=None,
        )
    )
    assert len(decision.missing) == 5 and decision.minutes_observed is None
    assert any("No pulse oximetry (SpO2)" in m for m in decision.missing)


def test_discharge_needs_a_pulse_oximetry_reading_from_the_pre_discharge_window() -> None:
    """Respiratory status including pulse oximetry at each session (§6b [LABEL]); as for the
    BP, the ~40-minute SpO2 does not clear a discharge at 2 hours."""
    no_spo2 = discharge_readiness(
        replace(READY, latest_vitals=VitalSigns(systolic_mmhg=128, diastolic_mmhg=80))
    )
    assert not no_spo2.allowed
    assert no_spo2.missing == (
        "No pulse oximetry (SpO2) recorded since dosing: take one before discharge "
        "(clinical.md §6b: respiratory status including pulse oximetry at each session).",
    )
    old = discharge_readiness(replace(READY, latest_spo2_observed_min=40))
    assert not old.allowed
    assert (
        "No SpO2 since 90 min on the observation clock (the last was at 40 min)" in (old.missing[0])
    )
    assert discharge_readiness(replace(READY, latest_spo2_observed_min=95)).allowed


def test_sedation_must_return_to_the_pre_dose_score() -> None:
    decision = discharge_readiness(replace(READY, baseline_moaas=4, latest_moaas=4))
    assert decision.allowed
