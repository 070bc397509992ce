"""The dose given at the chair against the planned one (`clinical.dosing.judge_given_dose`):
lower with a reason by anyone who runs the session, higher only by a prescriber, esketamine in
the plan's whole devices and never above the label's 84 mg (clinical.md §5a)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ketacare.clinical.dosing import ESKETAMINE_MAX_SESSION_MG, judge_given_dose
from ketacare.clinical.protocols import DoseKind

ESK = {"kind": DoseKind.DEVICES_28MG, "plan_doses_mg": (D(56), D(84))}
IV = {"kind": DoseKind.MG_PER_KG}


def test_the_label_maximum_is_84_mg() -> None:
    assert D(84) == ESKETAMINE_MAX_SESSION_MG


def test_the_planned_dose_is_allowed_for_anyone() -> None:
    decision = judge_given_dose(D(35), D(35), by_prescriber=False, **IV)
    assert decision.allowed and not decision.above_plan and not decision.below_plan
    assert decision.reasons == ()


def test_a_lower_dose_is_allowed_for_a_nurse_and_marked_below() -> None:
    decision = judge_given_dose(D(30), D(35), by_prescriber=False, **IV)
    assert decision.allowed and decision.below_plan
    assert decision.reasons == ("Below the planned 35 mg.",)


def test_a_higher_dose_is_refused_unless_a_prescriber_records_it() -> None:
    refused = judge_given_dose(D(350), D(35), by_prescriber=False, **IV)
    assert not refused.allowed and refused.field == "given_mg" and refused.above_plan
    assert refused.reasons == (
        "350 mg is above the planned 35 mg: a prescriber must record a dose above the plan.",
    )
    allowed = judge_given_dose(D(40), D(35), by_prescriber=True, **IV)
    assert allowed.allowed and allowed.above_plan


@pytest.mark.parametrize("given", [D(0), D(-5)])
def test_nothing_or_less_is_not_a_dose(given: D) -> None:
    decision = judge_given_dose(given, D(35), by_prescriber=True, **IV)
    assert not decision.allowed and "more than 0" in decision.reasons[0]


def test_the_protocol_maximum_binds_a_prescriber_too() -> None:
    decision = judge_given_dose(D(120), D(90), by_prescriber=True, max_dose_mg=D(100), **IV)
    assert not decision.allowed
    assert decision.reasons == ("120 mg is above the protocol's maximum dose of 100 mg.",)


def test_esketamine_above_84_mg_is_refused_even_for_a_prescriber() -> None:
    decision = judge_given_dose(D(140), D(56), by_prescriber=True, **ESK)
    assert not decision.allowed and decision.field == "given_mg"
    assert "maximum of 84 mg (3 devices)" in decision.reasons[0]
    assert "§5a" in decision.reasons[0]


def test_esketamine_is_whole_devices() -> None:
    decision = judge_given_dose(D(42), D(56), by_prescriber=True, **ESK)
    assert not decision.allowed and "whole number of 28 mg" in decision.reasons[0]


def test_esketamine_must_be_one_of_the_plans_doses() -> None:
    # 28 mg is whole devices but no dose of a US-label plan (56 or 84 mg).
    decision = judge_given_dose(D(28), D(56), by_prescriber=True, **ESK)
    assert not decision.allowed
    assert decision.reasons == (
        "28 mg is not one of this plan's esketamine doses: 56 or 84 mg "
        "(2 or 3 devices of 28 mg) (clinical.md §5a).",
    )
    # Where the protocol allows 28 mg (EU ≥ 65 start, §5b), a nurse may give it below 56.
    eu = judge_given_dose(
        D(28),
        D(56),
        by_prescriber=False,
        kind=DoseKind.DEVICES_28MG,
        plan_doses_mg=(D(28), D(56), D(84)),
    )
    assert eu.allowed and eu.below_plan


def test_esketamine_84_over_a_56_plan_needs_a_prescriber() -> None:
    nurse = judge_given_dose(D(84), D(56), by_prescriber=False, **ESK)
    assert not nurse.allowed and "a prescriber must record" in nurse.reasons[0]
    prescriber = judge_given_dose(D(84), D(56), by_prescriber=True, **ESK)
    assert prescriber.allowed and prescriber.above_plan


def test_esketamine_first_session_is_never_above_the_start_dose() -> None:
    decision = judge_given_dose(D(84), D(56), by_prescriber=True, first_session_max_mg=D(56), **ESK)
    assert not decision.allowed
    assert "only after an initial 56 mg dose" in decision.reasons[0]
    same = judge_given_dose(D(56), D(56), by_prescriber=False, first_session_max_mg=D(56), **ESK)
    assert same.allowed


EU65 = {"kind": DoseKind.DEVICES_28MG, "plan_doses_mg": (D(28), D(56), D(84))}


@pytest.mark.parametrize(
    ("previous", "given", "allowed"),
    [
        (D(28), D(56), True),  # one device up
        (D(28), D(84), False),  # two devices up (§5b: 28 mg steps)
        (D(56), D(84), True),  # the US label's 56 → 84 mg
        (D(84), D(28), True),  # going down is not limited here
        (None, D(84), True),  # no earlier session with a device taken
    ],
)
def test_esketamine_goes_up_one_device_per_session(
    previous: D | None, given: D, allowed: bool
) -> None:
    decision = judge_given_dose(given, D(84), by_prescriber=True, previous_dose_mg=previous, **EU65)
    assert decision.allowed is allowed
    if not allowed:
        assert decision.field == "given_mg"
        assert "more than one 28 mg device above the 28 mg taken" in decision.reasons[0]


def test_the_step_rule_is_for_esketamine_only() -> None:
    decision = judge_given_dose(D(70), D(70), by_prescriber=True, previous_dose_mg=D(35), **IV)
    assert decision.allowed
