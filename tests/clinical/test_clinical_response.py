"""Course classification against baseline: hand-worked cases for every status."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from ketacare.clinical.response import CourseStatus, ResponseRules, classify_course
from ketacare.clinical.scales import ScaleInputError

START = date(2026, 3, 2)


def weekly(*totals: int) -> list[tuple[date, int]]:
    return [(START + timedelta(weeks=i + 1), total) for i, total in enumerate(totals)]


@pytest.mark.parametrize(
    ("latest", "status", "change"),
    [
        (17, CourseStatus.NO_IMPROVEMENT, -15.0),  # 3/20 = 15% < 20%
        (16, CourseStatus.EARLY_IMPROVEMENT, -20.0),  # exactly 20%
        (15, CourseStatus.EARLY_IMPROVEMENT, -25.0),  # below the 30% partial threshold
        (14, CourseStatus.PARTIAL_RESPONSE, -30.0),  # exactly 30%
        (11, CourseStatus.PARTIAL_RESPONSE, -45.0),
        (10, CourseStatus.RESPONSE, -50.0),  # exactly 50%
        (5, CourseStatus.RESPONSE, -75.0),  # PHQ-9 remission is < 5
        (4, CourseStatus.REMISSION, -80.0),
        (20, CourseStatus.NO_IMPROVEMENT, 0.0),
        (23, CourseStatus.WORSENING, 15.0),
    ],
)
def test_phq9_single_follow_up_from_baseline_20(
    latest: int, status: CourseStatus, change: float
) -> None:
    result = classify_course("phq9", 20, weekly(latest))
    assert result.status is status
    assert result.percent_change == change
    assert result.events == ((START + timedelta(weeks=1), status),)


def test_reasons_say_how_the_status_was_reached() -> None:
    result = classify_course("madrs", 30, weekly(15))
    assert result.status is CourseStatus.RESPONSE
    assert result.reasons[0] == "Latest: 15 vs baseline 30 (-50.0%): a fall of at least 50%."
    assert "remission ≤10" in result.reasons[-1]


def test_baseline_of_zero_is_refused_with_the_reason() -> None:
    result = classify_course("phq9", 0, weekly(0, 3))
    assert result.status is CourseStatus.UNDETERMINED
    assert result.percent_change is None
    assert "undefined" in result.reasons[0]


def test_no_follow_up_scores_is_undetermined() -> None:
    result = classify_course("phq9", 15, [])
    assert result.status is CourseStatus.UNDETERMINED
    assert result.events == ()


def test_relapse_after_response_and_it_persists_until_response_is_regained() -> None:
    result = classify_course("madrs", 30, weekly(25, 14, 20, 16, 12))
    assert [status for _, status in result.events] == [
        CourseStatus.NO_IMPROVEMENT,  # 16.7%
        CourseStatus.RESPONSE,  # 53.3%
        CourseStatus.RELAPSE,  # 33.3%: response lost
        CourseStatus.RELAPSE,  # 46.7%: still below response, still relapse
        CourseStatus.RESPONSE,  # 60%: regained
    ]
    assert result.status is CourseStatus.RESPONSE


def test_relapse_reason_names_the_response_date_and_the_rule() -> None:
    result = classify_course("madrs", 30, weekly(14, 20))
    assert result.status is CourseStatus.RELAPSE
    response_day = (START + timedelta(weeks=1)).isoformat()
    assert f"after response on {response_day}" in result.reasons[0]
    assert "[PRACTICE]" in result.reasons[0]


def test_relapse_can_require_two_consecutive_assessments() -> None:
    rules = ResponseRules(relapse_consecutive=2)
    result = classify_course("madrs", 30, weekly(14, 20, 14, 20, 21), rules)
    assert [status for _, status in result.events] == [
        CourseStatus.RESPONSE,
        CourseStatus.PARTIAL_RESPONSE,  # one miss: not yet relapse
        CourseStatus.RESPONSE,  # the miss count resets
        CourseStatus.PARTIAL_RESPONSE,
        CourseStatus.RELAPSE,  # second consecutive miss
    ]


def test_a_score_still_in_remission_is_not_a_relapse() -> None:
    # PHQ-9 baseline 8: 4 is remission (< 5) though only a 50% fall; 3 stays remission.
    result = classify_course("phq9", 8, weekly(4, 3))
    assert [s for _, s in result.events] == [CourseStatus.REMISSION, CourseStatus.REMISSION]


def test_a_baseline_already_in_remission_range_is_called_out() -> None:
    result = classify_course("phq9", 4, weekly(2))
    assert result.status is CourseStatus.REMISSION
    assert any("already within remission" in reason for reason in result.reasons)


def test_no_relapse_without_an_earlier_response() -> None:
    result = classify_course("madrs", 30, weekly(18, 25))
    assert result.status is CourseStatus.NO_IMPROVEMENT


def test_madrs_remission_threshold_can_follow_the_esketamine_programmes() -> None:
    scores = weekly(12)
    assert classify_course("madrs", 30, scores).status is CourseStatus.RESPONSE
    transform = ResponseRules(remission_at_or_below={"madrs": 12})
    assert classify_course("madrs", 30, scores, transform).status is CourseStatus.REMISSION


def test_qids_remission_at_5() -> None:
    assert classify_course("qids_sr16", 16, weekly(5)).status is CourseStatus.REMISSION
    assert classify_course("qids_sr16", 16, weekly(6)).status is CourseStatus.RESPONSE


def test_scale_without_remission_definition_says_so() -> None:
    # A programme whose rules list no remission for MADRS: response only. (GAD-7 used to be
    # called a "response" here; it has no response definition at all, see below.)
    no_remission = ResponseRules(remission_at_or_below={"phq9": 4})
    result = classify_course("madrs", 16, weekly(3), no_remission)
    assert result.status is CourseStatus.RESPONSE
    assert "No remission threshold is set for madrs." in result.reasons


def test_partial_response_threshold_can_use_the_25_percent_band() -> None:
    rules = replace(ResponseRules(), partial_response_pct=25)
    assert classify_course("madrs", 40, weekly(30), rules).status is CourseStatus.PARTIAL_RESPONSE
    assert classify_course("madrs", 40, weekly(30)).status is CourseStatus.EARLY_IMPROVEMENT


def test_scores_are_put_in_date_order_and_the_latest_decides() -> None:
    scores = [(date(2026, 4, 1), 13), (date(2026, 3, 1), 25)]
    result = classify_course("madrs", 30, scores)
    assert [when for when, _ in result.events] == [date(2026, 3, 1), date(2026, 4, 1)]
    assert result.status is CourseStatus.RESPONSE


def test_mixed_dates_and_datetimes_are_refused() -> None:
    with pytest.raises(ScaleInputError) as caught:
        classify_course("madrs", 30, [(date(2026, 3, 1), 20), (datetime(2026, 3, 8, 9), 18)])
    assert caught.value.field == "scores"


def test_a_total_outside_the_scale_range_is_refused_naming_it() -> None:
    with pytest.raises(ScaleInputError) as caught:
        classify_course("phq9", 20, weekly(10, 28))
    assert caught.value.field == "scores[1]"


def test_a_baseline_outside_the_scale_range_is_refused() -> None:
    with pytest.raises(ScaleInputError) as caught:
        classify_course("phq9", 30, weekly(10))
    assert caught.value.field == "baseline"


def test_scales_without_a_total_cannot_be_followed() -> None:
    with pytest.raises(ScaleInputError) as caught:
        classify_course("cssrs_recent", 1, weekly(0))
    assert caught.value.field == "scale_code"


def test_rules_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError):
        ResponseRules(early_improvement_pct=40, partial_response_pct=30)
    with pytest.raises(ValueError):
        ResponseRules(relapse_below_pct=60)
    with pytest.raises(ValueError):
        ResponseRules(relapse_consecutive=0)


def test_the_rules_used_are_returned_with_the_result() -> None:
    rules = ResponseRules(remission_at_or_below={"madrs": 12})
    assert classify_course("madrs", 30, weekly(12), rules).rules is rules


# --- response is defined on depression scales only (clinical.md §12) ------------------------


@pytest.mark.parametrize("code", ["gad7", "pcl5", "isi", "pain_nrs"])
def test_no_response_or_remission_is_named_on_a_scale_without_a_definition(code: str) -> None:
    """A 50 % fall on GAD-7, PCL-5, ISI or the pain NRS is not called a response: §12 defines
    response on MADRS, HAM-D, QIDS-SR16 and PHQ-9; PTSD response is on the CAPS-5 (≥30 %), and
    the pain definition is unconfirmed. The change is shown; a rise is still worse."""
    fell = classify_course(code, 10, [(date(2026, 3, 1), 7), (date(2026, 3, 8), 2)])
    assert fell.status is CourseStatus.NOT_CLASSIFIED
    assert fell.percent_change == -80.0
    assert all(status is CourseStatus.NOT_CLASSIFIED for _, status in fell.events)
    assert any("depression scales only" in r for r in fell.reasons)
    rose = classify_course(code, 6, [(date(2026, 3, 1), 9)])
    assert rose.status is CourseStatus.WORSENING


def test_depression_scales_are_still_classified() -> None:
    for code in ("phq9", "madrs", "qids_sr16"):
        result = classify_course(code, 20, [(date(2026, 3, 1), 9)])
        assert result.status in (CourseStatus.RESPONSE, CourseStatus.REMISSION)
