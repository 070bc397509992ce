"""C-SSRS screener (recent): triage, skip logic and incomplete answers."""

from __future__ import annotations

from itertools import product

import pytest

from ketacare.clinical.scales import RiskLevel, ScaleInputError, score


def q(**answers: int) -> dict[str, int]:
    """q(q1=1, q6b=0) -> {"cssrs_recent-1": 1, "cssrs_recent-6b": 0}."""
    return {f"cssrs_recent-{k.removeprefix('q')}": v for k, v in answers.items()}


def test_all_no_is_none_not_low() -> None:
    result = score("cssrs_recent", q(q1=0, q2=0, q6=0))
    assert result.complete
    assert result.risk_level == RiskLevel.NONE
    assert RiskLevel.NONE.value == "none"
    assert "HL7 BHP" in result.explanation[0]


def test_wish_to_be_dead_only_is_low_with_the_reason() -> None:
    result = score("cssrs_recent", q(q1=1, q2=0, q6=0))
    assert result.risk_level == "low"
    assert any("Q1 Yes" in line for line in result.explanation)


def test_method_without_intent_is_moderate() -> None:
    result = score("cssrs_recent", q(q1=1, q2=1, q3=1, q4=0, q5=0, q6=0))
    assert result.risk_level == "moderate"


def test_intent_is_high_and_explains_the_safety_action() -> None:
    result = score("cssrs_recent", q(q1=1, q2=1, q3=0, q4=1, q5=0, q6=0))
    assert result.risk_level == "high"
    assert any("Q4 Yes" in line for line in result.explanation)
    assert any("patient-safety precautions" in line for line in result.explanation)


def test_behaviour_within_3_months_is_high_even_with_no_ideation() -> None:
    assert score("cssrs_recent", q(q1=0, q2=0, q6=1, q6b=1)).risk_level == "high"


def test_behaviour_longer_ago_is_moderate() -> None:
    assert score("cssrs_recent", q(q1=0, q2=0, q6=1, q6b=0)).risk_level == "moderate"


@pytest.mark.parametrize("skipped", ["q3", "q4", "q5"])
def test_answer_to_q3_to_q5_when_q2_is_no_is_refused(skipped: str) -> None:
    with pytest.raises(ScaleInputError) as caught:
        score("cssrs_recent", q(q1=1, q2=0, q6=0, **{skipped: 0}))
    assert caught.value.field == f"cssrs_recent-{skipped[1:]}"


def test_answer_to_q6b_when_q6_is_no_is_refused() -> None:
    with pytest.raises(ScaleInputError) as caught:
        score("cssrs_recent", q(q1=0, q2=0, q6=0, q6b=1))
    assert caught.value.field == "cssrs_recent-6b"


def test_q2_yes_makes_q3_to_q5_required() -> None:
    result = score("cssrs_recent", q(q1=1, q2=1, q6=0))
    assert not result.complete
    assert result.missing_items == ("cssrs_recent-3", "cssrs_recent-4", "cssrs_recent-5")
    assert result.risk_level is None  # "low" so far, but Q3-Q5 could raise it


def test_q6_yes_makes_q6b_required() -> None:
    result = score("cssrs_recent", q(q1=0, q2=0, q6=1))
    assert result.missing_items == ("cssrs_recent-6b",)


def test_q6_yes_without_q6b_is_at_least_moderate_and_raises_a_flag() -> None:
    """Suicidal behaviour ever is moderate when more than 3 months ago and high when recent
    (§16b): with Q6b unanswered the screen is at least moderate, never "no level"."""
    from ketacare.clinical.risk import decide_flag

    answers = q(q1=0, q2=0, q6=1)
    result = score("cssrs_recent", answers)
    assert not result.complete and result.risk_level == "moderate"
    assert any("timing unknown" in line for line in result.explanation)
    decision = decide_flag("cssrs_recent", answers, result.risk_level)
    assert decision is not None and decision.level == "moderate"


def test_high_risk_is_reported_even_when_other_answers_are_missing() -> None:
    result = score("cssrs_recent", q(q2=1, q5=1))
    assert not result.complete
    assert result.risk_level == "high"
    assert "cssrs_recent-1" in result.missing_items


def test_moderate_is_reported_as_a_floor_when_answers_are_missing() -> None:
    """Q3 Yes and nothing after it: at least moderate (Q4-Q6b could only raise it), so a
    patient who stops there is flagged and sees crisis resources."""
    result = score("cssrs_recent", q(q1=1, q2=1, q3=1))
    assert not result.complete
    assert result.risk_level == "moderate"
    assert any("could only raise it to high" in line for line in result.explanation)


def test_an_incomplete_screen_that_reaches_moderate_raises_a_flag() -> None:
    from ketacare.clinical.risk import decide_flag

    answers = q(q1=1, q2=1, q3=1)
    decision = decide_flag("cssrs_recent", answers, score("cssrs_recent", answers).risk_level)
    assert decision is not None and decision.level == "moderate"


def expected_level(a: dict[str, int]) -> str:
    """The triage table of clinical.md §16b, written out independently of the module."""
    if a.get("4") or a.get("5") or (a["6"] and a.get("6b")):
        return "high"
    if a.get("3") or (a["6"] and a.get("6b") == 0):
        return "moderate"
    if a["1"] or a["2"]:
        return "low"
    return "none"


def every_complete_pattern() -> list[dict[str, int]]:
    patterns = []
    for q1, q2, q6 in product((0, 1), repeat=3):
        ideation = [dict(zip("345", v, strict=True)) for v in product((0, 1), repeat=3)]
        behaviour = [{"6b": 0}, {"6b": 1}] if q6 else [{}]
        for extra in ideation if q2 else [{}]:
            for recent in behaviour:
                patterns.append({"1": q1, "2": q2, "6": q6, **extra, **recent})
    return patterns


def test_every_complete_answer_pattern_matches_the_triage_table() -> None:
    patterns = every_complete_pattern()
    assert len(patterns) == 54
    for answers in patterns:
        result = score("cssrs_recent", {f"cssrs_recent-{k}": v for k, v in answers.items()})
        assert result.complete, answers
        assert result.total is None
        assert result.risk_level == expected_level(answers), answers
