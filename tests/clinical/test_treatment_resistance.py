"""Treatment resistance from prior antidepressant trials (clinical.md §2a): adequate duration,
non-response, current episode, different drugs, and the EU-PEARL alternative."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.treatment_resistance import (
    AntidepressantTrial,
    ReasonStopped,
    ResponseCategory,
    TrdRules,
    adequate_failed_trials,
    assess_trd,
    judge_trial,
)

EU_PEARL = TrdRules(non_response_below_pct=25)


def trial(drug: str = "sertraline", **changes: Any) -> AntidepressantTrial:
    fields: dict[str, Any] = {
        "in_current_episode": True,
        "weeks_at_dose": 8,
        "dose_mg": 150,
        "dose_adequate": True,
        "improvement_pct": 10,
        "reason_stopped": ReasonStopped.INEFFECTIVE,
    }
    return AntidepressantTrial(drug, **(fields | changes))


def test_two_adequate_failed_trials_of_different_drugs_meet_the_definition() -> None:
    """clinical.md §2a, S9 [LABEL-EU]: ≥2 different antidepressants of adequate dose and
    duration in the current episode."""
    result = assess_trd([trial("sertraline"), trial("duloxetine")])
    assert result.count == 2
    assert result.meets_definition
    assert [t.drug for t in result.failed_trials] == ["sertraline", "duloxetine"]
    assert result.excluded == ()
    assert result.reasons[0].startswith("2 adequate failed antidepressant trial(s)")


def test_one_failed_trial_does_not_meet_the_definition() -> None:
    result = assess_trd([trial()])
    assert (result.count, result.meets_definition) == (1, False)


@pytest.mark.parametrize(("weeks", "counts"), [(3.9, False), (4, True), (0, False)])
def test_a_trial_under_four_weeks_does_not_count(weeks: float, counts: bool) -> None:
    """clinical.md §2a, S26 [GUIDELINE]: adequate duration 4-6 weeks; EU-PEARL: stopped before
    week 4 without clear non-response is not a failure."""
    verdict = judge_trial(trial(weeks_at_dose=weeks, reason_stopped=ReasonStopped.SIDE_EFFECTS))
    assert verdict.counts is counts
    if not counts:
        assert "not a failure (EU-PEARL, S26)" in verdict.reason


def test_six_weeks_can_be_required_instead() -> None:
    """clinical.md §2a: the adequate-duration range is 4-6 weeks."""
    assert not judge_trial(trial(weeks_at_dose=5), TrdRules(min_weeks_at_dose=6)).counts


@pytest.mark.parametrize(("improvement", "counts"), [(49.9, True), (50, False), (80, False)])
def test_fifty_percent_improvement_or_more_is_not_a_failure(
    improvement: float, counts: bool
) -> None:
    """clinical.md §2a, S26 [GUIDELINE]: non-response = <50% symptom reduction."""
    verdict = judge_trial(trial(improvement_pct=improvement))
    assert verdict.counts is counts


def test_worsening_is_a_failure() -> None:
    assert judge_trial(trial(improvement_pct=-20)).counts


def test_eu_pearl_uses_under_25_percent() -> None:
    """clinical.md §2a, S26 [GUIDELINE] (EU-PEARL): failed treatment = <25% improvement."""
    assert judge_trial(trial(improvement_pct=24.9), EU_PEARL).counts
    assert not judge_trial(trial(improvement_pct=30), EU_PEARL).counts
    assert judge_trial(trial(improvement_pct=30)).counts  # default <50%


def test_trials_outside_the_current_episode_do_not_count() -> None:
    """clinical.md §2a: "in the current episode"."""
    verdict = judge_trial(trial(in_current_episode=False))
    assert not verdict.counts
    assert "not in the current episode" in verdict.reason


def test_the_same_drug_twice_counts_once() -> None:
    """clinical.md §2a: "different antidepressants"."""
    result = assess_trd([trial("Sertraline"), trial("sertraline ", dose_mg=200)])
    assert result.count == 1
    assert "same drug as an earlier failed trial" in result.excluded[0].reason
    assert assess_trd([trial(), trial()], TrdRules(distinct_drugs=False)).count == 2


def test_an_excluded_trial_does_not_block_a_later_trial_of_the_same_drug() -> None:
    result = assess_trd([trial(weeks_at_dose=2), trial(weeks_at_dose=8), trial("bupropion")])
    assert [v.counts for v in result.verdicts] == [False, True, True]
    assert result.meets_definition


@pytest.mark.parametrize(
    ("adequate", "rules", "counts"),
    [
        (True, TrdRules(), True),
        (False, TrdRules(), False),
        (None, TrdRules(), False),
        (None, TrdRules(count_unattested_dose=True), True),
        (False, TrdRules(count_unattested_dose=True), False),
    ],
)
def test_dose_must_be_attested_adequate(
    adequate: bool | None, rules: TrdRules, counts: bool
) -> None:
    """clinical.md §2a: "adequate dose"; no dose table in the reference, so the prescriber
    attests it ([PRACTICE] switch to count unattested trials)."""
    assert judge_trial(trial(dose_adequate=adequate), rules).counts is counts


@pytest.mark.parametrize(
    ("response", "rules", "counts", "reason"),
    [
        (ResponseCategory.NONE, TrdRules(), True, "under the 50% threshold"),
        (ResponseCategory.PARTIAL, TrdRules(), True, "under the 50% threshold"),
        (ResponseCategory.RESPONSE, TrdRules(), False, "not a failure"),
        (ResponseCategory.REMISSION, TrdRules(), False, "not a failure"),
        (ResponseCategory.NONE, EU_PEARL, True, "under the 25% threshold"),
        (ResponseCategory.PARTIAL, EU_PEARL, False, "not a failure"),
        (
            ResponseCategory.PARTIAL,
            TrdRules(non_response_below_pct=30),
            False,
            "cannot be placed against the 30% threshold",
        ),
        (ResponseCategory.UNKNOWN, TrdRules(), False, "response not recorded"),
    ],
)
def test_response_bands_stand_in_when_no_percentage_was_measured(
    response: ResponseCategory, rules: TrdRules, counts: bool, reason: str
) -> None:
    """Bands from clinical.md §12: none <25%, partial 25-49%, response ≥50%."""
    verdict = judge_trial(trial(improvement_pct=None, response=response), rules)
    assert verdict.counts is counts
    assert reason in verdict.reason


def test_a_measured_percentage_wins_over_the_band() -> None:
    verdict = judge_trial(trial(improvement_pct=60, response=ResponseCategory.NONE))
    assert not verdict.counts


def test_missing_duration_is_named() -> None:
    verdict = judge_trial(trial(weeks_at_dose=None))
    assert (verdict.counts, verdict.reason) == (False, "sertraline: weeks at dose not recorded")


def test_every_trial_gets_a_reason() -> None:
    trials = [trial(), trial("bupropion", in_current_episode=False), trial("duloxetine")]
    result = assess_trd(trials)
    assert len(result.reasons) == 1 + len(trials)
    assert adequate_failed_trials(trials) == (trials[0], trials[2])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weeks_at_dose": -1}, "weeks_at_dose"),
        ({"dose_mg": True}, "dose_mg"),
        ({"improvement_pct": 101}, "improvement_pct"),
        ({"improvement_pct": "30"}, "improvement_pct"),
    ],
)
def test_bad_trial_values_are_refused_naming_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        trial(**changes)


def test_a_trial_needs_a_drug_name() -> None:
    with pytest.raises(ValueError, match=r"^drug:"):
        AntidepressantTrial(" ", True)


@pytest.mark.parametrize(
    "changes",
    [{"min_failed_trials": 0}, {"min_weeks_at_dose": 0}, {"non_response_below_pct": 0}],
)
def test_bad_rules_are_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TrdRules(**changes)


trials = st.builds(
    AntidepressantTrial,
    drug=st.sampled_from(["sertraline", "duloxetine", "bupropion", "mirtazapine"]),
    in_current_episode=st.booleans(),
    weeks_at_dose=st.none() | st.floats(min_value=0, max_value=20),
    dose_adequate=st.none() | st.booleans(),
    improvement_pct=st.none() | st.floats(min_value=-50, max_value=100),
    response=st.sampled_from(list(ResponseCategory)),
)


@given(st.lists(trials, max_size=6), trials)
def test_adding_a_trial_never_lowers_the_count(
    existing: list[AntidepressantTrial], extra: AntidepressantTrial
) -> None:
    assert assess_trd([*existing, extra]).count >= assess_trd(existing).count


@given(st.lists(trials, max_size=6))
def test_counted_trials_are_adequate_current_and_distinct(
    given_trials: list[AntidepressantTrial],
) -> None:
    failed = assess_trd(given_trials).failed_trials
    assert len({t.drug for t in failed}) == len(failed)
    for t in failed:
        assert t.in_current_episode and t.dose_adequate
        assert t.weeks_at_dose is not None and t.weeks_at_dose >= 4
