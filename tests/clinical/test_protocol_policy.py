"""A clinic admin's edits to a library protocol: a new version with a documented reason,
stored as differences from the default, and refused where they cross the esketamine
[LABEL]/[REMS] floor (clinical.md tag table, §5, §6)."""

from __future__ import annotations

from decimal import Decimal as D
from typing import Any

import pytest

from ketacare.clinical.dosing import calculate_dose
from ketacare.clinical.protocols import (
    EDITABLE_FIELDS,
    LIBRARY,
    Frequency,
    ProtocolEdits,
    WeightBasis,
    apply_edits,
    protocol_changes,
)

IV = LIBRARY["iv_ketamine_depression"]
ESK = LIBRARY["esketamine_trd_us"]
REASON = "Medical director sign-off, 2026-05-01"


def edit(protocol, **changes: Any):
    return apply_edits(protocol, ProtocolEdits(changes, REASON))


def paths(**changes: Any) -> dict[str, Any]:
    return {k.replace("__", "."): v for k, v in changes.items()}


def test_an_iv_edit_returns_a_new_version_and_leaves_the_library_alone():
    clinic = apply_edits(
        IV,
        ProtocolEdits(
            {
                "dose.max_dose_mg": "100",
                "dose.weight_basis": "adjusted",
                "dose.concentration_mg_per_ml": "10",
                "phases.induction.min_interval_hours": 44,
            },
            REASON,
        ),
    )
    assert clinic.version == 2 and clinic.change_note == REASON
    assert clinic.dose.max_dose_mg == D(100)
    assert clinic.dose.weight_basis is WeightBasis.ADJUSTED
    assert clinic.phase("induction").min_interval_hours == 44
    assert IV.version == 1 and IV.dose.max_dose_mg is None
    assert apply_edits(clinic, ProtocolEdits({"name": "IV (clinic)"}, REASON)).version == 3


def test_the_edited_cap_and_strength_are_used_by_the_calculation():
    clinic = apply_edits(
        IV, ProtocolEdits({"dose.max_dose_mg": "40", "dose.concentration_mg_per_ml": "10"}, REASON)
    )
    calc = calculate_dose(clinic, weight_kg=100)
    assert calc.capped and calc.dose_mg == D(40) and calc.volume_ml == D("4.00")


def test_stored_changes_round_trip_to_the_same_protocol():
    changes = {
        "dose.steps": ["0.4", "0.6", "0.8"],
        "dose.value": "0.6",
        "monitoring.min_observation_min": 60,
        "monitoring.required_checks": ["pulse_oximetry", "continuous_ecg"],
        "phases.maintenance.frequencies": [[1, 7], [1, 14]],
        "phases.maintenance.weeks": [4, 8],
        "stop_rule.min_improvement_pct": "25",
    }
    clinic = apply_edits(IV, ProtocolEdits(changes, REASON))
    stored = protocol_changes(clinic)
    assert stored == changes
    rebuilt = apply_edits(IV, ProtocolEdits(stored, REASON, version=clinic.version))
    assert rebuilt == clinic
    assert protocol_changes(IV) == {}


def test_steps_and_value_are_checked_together():
    clinic = edit(IV, **paths(dose__steps=["0.4", "0.6"], dose__value="0.6"))
    assert clinic.dose.value == D("0.6")
    # In plain numbers and the unit, not Python's reprs ("(Decimal('0.4'), …)").
    with pytest.raises(
        ValueError, match=r"^dose.value: 0.5 mg/kg is not one of the steps 0.4, 0.6$"
    ):
        edit(IV, **paths(dose__steps=["0.4", "0.6"]))


def test_racemic_observation_and_stop_rule_are_clinic_settings():
    clinic = edit(IV, **paths(monitoring__min_observation_min=60, stop_rule__after_session=3))
    assert clinic.monitoring.min_observation_min == 60
    assert clinic.stop_rule is not None and clinic.stop_rule.after_session == 3


def test_crps_rate_cap_is_a_guideline_default_a_clinic_may_change():
    crps = edit(LIBRARY["iv_ketamine_crps"], **paths(dose__max_rate_mg_per_h="30"))
    assert calculate_dose(crps, weight_kg=80).rate_mg_per_h == D("28.0")


def test_a_reason_is_required():
    with pytest.raises(ValueError, match=r"^reason:"):
        ProtocolEdits({"dose.max_dose_mg": "100"}, "  ")


def test_version_must_increase():
    with pytest.raises(ValueError, match=r"^version:"):
        apply_edits(IV, ProtocolEdits({"name": "x"}, REASON, version=1))
    assert apply_edits(IV, ProtocolEdits({"name": "x"}, REASON, version=7)).version == 7


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dose.kind": "fixed_mg"}, "dose.kind"),
        ({"version": 5}, "version"),
        ({"phases.induction.label": "x"}, "phases.induction.label"),
        ({"phases.booster.sessions": 2}, "phases.booster.sessions"),
        ({"dose.max_dose_mg": 100.5}, "dose.max_dose_mg"),
        ({"dose.max_dose_mg": "lots"}, "dose.max_dose_mg"),
        ({"dose.max_dose_mg": "0"}, "dose.max_dose_mg"),
        ({"dose.weight_basis": "lean"}, "dose.weight_basis"),
        ({"monitoring.min_observation_min": "60"}, "monitoring.min_observation_min"),
        ({"monitoring.required_checks": ["yoga"]}, "monitoring.required_checks"),
        ({"monitoring.bp_check_times_min": [40, 0]}, "monitoring.bp_check_times_min"),
        ({"phases.induction.frequencies": [[0, 7]]}, "phases.induction.frequencies"),
        ({"phases.induction.frequencies": []}, "phases.induction.frequencies"),
        ({"phases.induction.weeks": [3, 2]}, "phases.induction.weeks"),
        ({"stop_rule.min_improvement_pct": "150"}, "stop_rule.min_improvement_pct"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_edits_are_refused_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=rf"^{field}"):
        apply_edits(IV, ProtocolEdits(changes, REASON))


def test_protocols_without_a_stop_rule_refuse_stop_rule_edits():
    with pytest.raises(ValueError, match=r"^stop_rule.after_session: iv_ketamine_ptsd has no"):
        edit(LIBRARY["iv_ketamine_ptsd"], **paths(stop_rule__after_session=3))


def test_editable_fields_list_the_paths():
    assert "monitoring.min_observation_min" in EDITABLE_FIELDS
    assert "phases.<phase>.min_interval_hours" in EDITABLE_FIELDS


# --- esketamine: the label floor ------------------------------------------------------------


def test_esketamine_observation_can_be_lengthened_not_shortened_below_120_min():
    longer = edit(ESK, **paths(monitoring__min_observation_min=150))
    assert longer.monitoring.min_observation_min == 150
    with pytest.raises(ValueError, match=r"^monitoring.min_observation_min: at least 120 min"):
        edit(ESK, **paths(monitoring__min_observation_min=90))
    with pytest.raises(ValueError, match=r"^monitoring.min_observation_min"):
        edit(longer, **paths(monitoring__min_observation_min=119))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dose.device_interval_min": 3}, "dose.device_interval_min"),
        ({"dose.device_interval_min": None}, "dose.device_interval_min"),
        ({"dose.steps": ["56", "84", "112"]}, "dose.steps"),
        ({"dose.value": "70"}, "dose.value"),  # not whole devices
        ({"dose.first_session_value": "84"}, "dose.first_session_value"),
        ({"dose.first_session_value": None}, "dose.first_session_value"),
        ({"dose.steps": ["28", "56", "84"], "dose.first_session_value": "28"}, "dose.steps"),
        ({"dose.max_dose_mg": "28"}, "dose.max_dose_mg"),
        ({"dose.weight_basis": "ideal"}, "dose.weight_basis"),
        ({"dose.duration_min": 40}, "dose.duration_min"),
        ({"monitoring.bp_check_times_min": [0]}, "monitoring.bp_check_times_min"),
        ({"monitoring.required_checks": ["pulse_oximetry"]}, "monitoring.required_checks"),
        ({"phases.induction.frequencies": [[3, 7]]}, "phases.induction.frequencies"),
        ({"phases.induction.sessions": 6}, "phases.induction.sessions"),
        ({"phases.maintenance_weekly.weeks": [2, 2]}, "phases.maintenance_weekly.weeks"),
    ],
)
def test_esketamine_edits_that_cross_the_label_are_refused_naming_the_field(changes, field):
    with pytest.raises(ValueError, match=rf"^{field}"):
        apply_edits(ESK, ProtocolEdits(changes, REASON))


def test_esketamine_edits_within_the_label_are_accepted():
    clinic = apply_edits(
        ESK,
        ProtocolEdits(
            {
                # Stricter: only every-2-weeks from week 9, BP also at 90 min, devices 10 min
                # apart, and 56 mg only.
                "phases.maintenance_ongoing.frequencies": [[1, 14]],
                "monitoring.bp_check_times_min": [0, 40, 90],
                "dose.device_interval_min": 10,
                "dose.steps": ["56"],
                "monitoring.vitals_interval_after_min": 30,
                "phases.induction.min_interval_hours": 60,
            },
            REASON,
        ),
    )
    assert clinic.phase("maintenance_ongoing").frequencies == (Frequency(1, 14),)
    assert calculate_dose(clinic).device_interval_min == 10
    with pytest.raises(ValueError, match=r"^value: 84 mg is not one of the steps 56"):
        calculate_dose(clinic, value=84)


def test_mdsi_keeps_the_56_mg_tolerability_step():
    mdsi = LIBRARY["esketamine_mdsi_us"]
    with pytest.raises(ValueError, match=r"^dose.steps: the label's lower doses must stay"):
        edit(mdsi, **paths(dose__steps=["84"]))


def test_the_us_protocol_refuses_the_eu_28_mg_start_which_the_eu_protocol_has():
    with pytest.raises(ValueError, match=r"^dose.steps"):
        edit(ESK, **{"dose.steps": ["28", "56", "84"], "dose.first_session_value": "28"})
    eu = LIBRARY["esketamine_trd_eu_65plus"]
    assert edit(eu, **paths(monitoring__min_observation_min=135)).dose.first_session_value == 28
