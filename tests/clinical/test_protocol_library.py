"""The default protocol library: each protocol the issue lists, with the numbers of
shared/reference/clinical.md and a source on every part."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ketacare.clinical.eligibility import Indication
from ketacare.clinical.findings import Route, Tag
from ketacare.clinical.protocols import (
    LIBRARY,
    DoseKind,
    DoseRule,
    Frequency,
    ObservationStart,
    PhaseKind,
    Protocol,
    RequiredCheck,
    StopRule,
    check_label_floor,
    get_protocol,
)
from ketacare.clinical.protocols.policy import label_floor_problems

ESKETAMINE = ("esketamine_trd_us", "esketamine_trd_eu_65plus", "esketamine_mdsi_us")
RACEMIC = (
    "iv_ketamine_depression",
    "im_ketamine",
    "oral_ketamine",
    "sublingual_ketamine",
    "iv_ketamine_ptsd",
    "iv_ketamine_crps",
)


def test_the_library_holds_every_protocol_the_issue_lists_at_version_1():
    assert set(LIBRARY) == {*ESKETAMINE, *RACEMIC}
    assert all(p.version == 1 and p.change_note == "" for p in LIBRARY.values())


@pytest.mark.parametrize("code", sorted(LIBRARY))
def test_every_part_of_every_protocol_cites_its_source(code):
    protocol = LIBRARY[code]
    parts = [protocol.dose, *protocol.phases, protocol.monitoring, *protocol.review_points]
    if protocol.stop_rule is not None:
        parts.append(protocol.stop_rule)
    for part in parts:
        assert part.source.startswith("clinical.md §"), part
        assert isinstance(part.tag, Tag)
    assert protocol.sources
    for phase in protocol.phases:
        assert phase.interval_source, phase.code


@pytest.mark.parametrize("code", sorted(LIBRARY))
def test_library_protocols_sit_on_their_own_label_floor(code):
    assert label_floor_problems(LIBRARY[code]) == ()
    check_label_floor(LIBRARY[code])


def test_esketamine_is_on_label_and_racemic_ketamine_off_label():
    for code in ESKETAMINE:
        protocol = LIBRARY[code]
        assert protocol.route is Route.ESKETAMINE_NASAL and not protocol.off_label
        assert protocol.label_floor is not None
        assert protocol.tag in (Tag.LABEL, Tag.LABEL_EU)
    for code in RACEMIC:
        protocol = LIBRARY[code]
        assert protocol.off_label and protocol.label_floor is None
        assert protocol.tag not in (Tag.LABEL, Tag.REMS)


def test_iv_depression_is_half_mg_per_kg_over_40_min_six_infusions_then_weekly():
    protocol = LIBRARY["iv_ketamine_depression"]
    assert protocol.route is Route.IV_RACEMIC and protocol.indication is Indication.TRD
    dose = protocol.dose
    assert (dose.kind, dose.value, dose.duration_min) == (DoseKind.MG_PER_KG, D("0.5"), 40)
    assert dose.max_dose_mg is None  # no cap in shared/reference: a clinic setting
    induction, maintenance, taper = protocol.phases
    assert induction.kind is PhaseKind.INDUCTION and induction.sessions == 6
    assert induction.weeks == (2, 3)
    assert set(induction.frequencies) == {Frequency(2, 7), Frequency(3, 7)}
    assert maintenance.frequencies == (Frequency(1, 7),)
    assert taper.kind is PhaseKind.TAPER and taper.tag is Tag.PRACTICE
    assert protocol.monitoring.vitals_interval_during_min == 10
    assert protocol.monitoring.vitals_interval_after_min == 15
    assert protocol.monitoring.bp_check_times_min == (0, 40)


def test_iv_stop_rule_is_under_20_percent_madrs_improvement_24_h_after_infusion_4():
    rule = LIBRARY["iv_ketamine_depression"].stop_rule
    assert rule is not None
    assert (rule.after_session, rule.hours_after, rule.scale) == (4, 24, "madrs")
    assert rule.min_improvement_pct == D(20) and "S33" in rule.source
    assert rule.fires(baseline=30, score=25) is True  # 16.7%
    assert rule.fires(baseline=30, score=24) is False  # exactly 20%
    assert rule.fires(baseline=0, score=0) is None


def test_esketamine_trd_follows_the_us_label_schedule():
    protocol = LIBRARY["esketamine_trd_us"]
    dose = protocol.dose
    assert dose.kind is DoseKind.DEVICES_28MG
    assert (dose.first_session_value, dose.steps) == (D(56), (D(56), D(84)))
    assert dose.device_interval_min == 5
    induction, weekly, ongoing = protocol.phases
    assert (induction.weeks, induction.frequencies) == ((4, 4), (Frequency(2, 7),))
    assert (weekly.weeks, weekly.frequencies) == ((4, 4), (Frequency(1, 7),))
    assert set(ongoing.frequencies) == {Frequency(1, 7), Frequency(1, 14)}
    assert ongoing.weeks is None and ongoing.sessions is None
    assert any(r.after_week == 4 for r in protocol.review_points)
    assert protocol.stop_rule is not None and protocol.stop_rule.after_week == 4


def test_esketamine_monitoring_is_two_hours_from_the_first_device_with_bp_at_0_and_40():
    monitoring = LIBRARY["esketamine_trd_us"].monitoring
    assert monitoring.min_observation_min == 120
    assert monitoring.observation_from is ObservationStart.FIRST_DEVICE
    assert monitoring.bp_check_times_min == (0, 40)
    assert {
        RequiredCheck.PULSE_OXIMETRY,
        RequiredCheck.NO_FOOD_2H,
        RequiredCheck.NO_LIQUIDS_30MIN,
        RequiredCheck.PRESCRIBER_ON_SITE,
        RequiredCheck.REMS_MONITORING_FORM,
    } <= set(monitoring.required_checks)
    assert monitoring.tag is Tag.LABEL


def test_esketamine_mdsi_is_84_mg_twice_weekly_for_4_weeks_with_an_oral_antidepressant():
    protocol = LIBRARY["esketamine_mdsi_us"]
    assert protocol.indication is Indication.MDD_SUICIDAL_IDEATION
    assert (protocol.dose.value, protocol.dose.first_session_value) == (D(84), D(84))
    assert D(56) in protocol.dose.steps  # may reduce for tolerability
    (phase,) = protocol.phases
    assert (phase.weeks, phase.sessions, phase.frequencies) == ((4, 4), 8, (Frequency(2, 7),))
    assert RequiredCheck.ORAL_ANTIDEPRESSANT in protocol.monitoring.required_checks
    assert RequiredCheck.ORAL_ANTIDEPRESSANT not in (
        LIBRARY["esketamine_trd_us"].monitoring.required_checks
    )


def test_esketamine_eu_over_65_starts_at_28_mg_and_needs_an_ssri_or_snri():
    protocol = LIBRARY["esketamine_trd_eu_65plus"]
    assert protocol.dose.first_session_value == D(28)
    assert protocol.dose.steps == (D(28), D(56), D(84))
    assert protocol.tag is Tag.LABEL_EU
    assert RequiredCheck.SSRI_OR_SNRI in protocol.monitoring.required_checks


def test_ptsd_is_six_half_mg_per_kg_infusions_over_two_weeks():
    protocol = LIBRARY["iv_ketamine_ptsd"]
    assert protocol.indication is Indication.PTSD
    assert (protocol.dose.value, protocol.dose.duration_min) == (D("0.5"), 40)
    (phase,) = protocol.phases
    assert (phase.sessions, phase.weeks, phase.frequencies) == (6, (2, 2), (Frequency(3, 7),))
    assert protocol.stop_rule is None


def test_crps_is_035_mg_per_kg_per_h_over_4_h_daily_for_10_days_max_25_mg_per_h():
    protocol = LIBRARY["iv_ketamine_crps"]
    dose = protocol.dose
    assert dose.kind is DoseKind.MG_PER_KG_PER_HOUR
    assert (dose.value, dose.duration_min, dose.max_rate_mg_per_h) == (D("0.35"), 240, D(25))
    (phase,) = protocol.phases
    assert (phase.sessions, phase.frequencies) == (10, (Frequency(1, 1),))
    assert RequiredCheck.CONTINUOUS_ECG in protocol.monitoring.required_checks
    assert protocol.monitoring.vitals_interval_during_min == 15


def test_other_routes_are_present_and_take_home_routes_carry_the_fda_warning():
    assert LIBRARY["im_ketamine"].route is Route.IM_RACEMIC
    assert LIBRARY["im_ketamine"].dose.steps == (D("0.25"), D("0.5"), D("0.75"))
    for code in ("oral_ketamine", "sublingual_ketamine"):
        protocol = LIBRARY[code]
        assert protocol.route is Route.ORAL_SUBLINGUAL_RACEMIC
        assert RequiredCheck.TAKE_HOME_RATIONALE in protocol.monitoring.required_checks
        assert any("FDA" in w for w in protocol.warnings)
    oral = LIBRARY["oral_ketamine"].dose
    assert (oral.value, oral.max_dose_mg, oral.steps[1] - oral.steps[0]) == (D(50), D(300), 25)


def test_minimum_intervals_not_in_the_reference_are_marked_unconfirmed():
    phase = LIBRARY["iv_ketamine_depression"].phase("induction")
    assert phase.min_interval_hours == 48
    assert "UNCONFIRMED" in phase.interval_source


def test_phase_descriptions_read_as_a_schedule():
    assert LIBRARY["iv_ketamine_depression"].phases[0].describe() == (
        "Induction: twice weekly or 3 times weekly 6 sessions over 2–3 weeks"
    )
    assert Frequency(1, 14).describe() == "every 2 weeks"
    assert Frequency(1, 3).describe() == "every 3 days"
    assert Frequency(1, 1).describe() == "daily"


def test_unknown_protocol_and_phase_are_refused_by_name():
    with pytest.raises(ValueError, match=r"^protocol: no library protocol 'nope'"):
        get_protocol("nope")
    with pytest.raises(ValueError, match=r"^phase:"):
        LIBRARY["iv_ketamine_crps"].phase("maintenance")
    assert get_protocol("iv_ketamine_crps") is LIBRARY["iv_ketamine_crps"]


SRC, TAG = "clinical.md §0", Tag.PRACTICE


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": DoseKind.MG_PER_KG, "value": D("0.6"), "steps": (D("0.5"),)}, "dose.value"),
        ({"kind": DoseKind.MG_PER_KG, "value": D(0)}, "dose.value"),
        ({"kind": DoseKind.MG_PER_KG, "value": D(1), "steps": (D(2), D(1))}, "dose.steps"),
        ({"kind": DoseKind.DEVICES_28MG, "value": D(70)}, "dose.value"),
        ({"kind": DoseKind.DEVICES_28MG, "value": D(56), "duration_min": 5}, "dose.duration_min"),
        ({"kind": DoseKind.MG_PER_KG_PER_HOUR, "value": D("0.35")}, "dose.duration_min"),
        (
            {"kind": DoseKind.MG_PER_KG, "value": D(1), "max_rate_mg_per_h": D(25)},
            "dose.max_rate_mg_per_h",
        ),
    ],
)
def test_inconsistent_dose_rules_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}:"):
        DoseRule(source=SRC, tag=TAG, **kwargs)


def test_esketamine_must_be_dosed_in_devices_and_devices_are_esketamine_only():
    esk = LIBRARY["esketamine_trd_us"]
    iv = LIBRARY["iv_ketamine_depression"]
    fields = {f: getattr(esk, f) for f in esk.__dataclass_fields__}
    with pytest.raises(ValueError, match=r"^dose.kind:"):
        Protocol(**{**fields, "dose": iv.dose})
    with pytest.raises(ValueError, match=r"^label_floor:"):
        Protocol(**{**fields, "label_floor": None})
    with pytest.raises(ValueError, match=r"^dose.kind:"):
        Protocol(**{**fields, "route": Route.IV_RACEMIC, "label_floor": None})


def test_a_numeric_stop_rule_needs_a_scale():
    with pytest.raises(ValueError, match=r"^stop_rule.scale:"):
        StopRule("c", "a", SRC, TAG, after_session=4, min_improvement_pct=D(20))
    with pytest.raises(ValueError, match=r"^stop_rule:"):
        StopRule("c", "a", SRC, TAG)
