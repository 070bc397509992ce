"""The pure "booster may be due" rule (clinical/booster.py)."""

from __future__ import annotations

from datetime import date

import pytest

from ketacare.clinical.booster import booster_due
from ketacare.clinical.response import ResponseRules

D = [date(2026, 3, d) for d in range(1, 29)]


def test_responder_whose_score_rose_past_the_threshold_is_due() -> None:
    # Baseline 20; response at ≤10; best 4; latest 10 = +30 % of baseline.
    d = booster_due("phq9", 20, [(D[0], 15), (D[3], 9), (D[6], 4), (D[9], 10)], rise_pct=25)
    assert d.due
    assert d.best == (D[6], 4) and d.latest == (D[9], 10) and d.rise_pct == 30
    assert d.responded_on == D[3]
    assert any("clinical.md §7d" in r for r in d.reasons)


def test_rise_below_the_threshold_is_not_due_and_threshold_is_the_setting() -> None:
    scores = [(D[0], 8), (D[3], 4), (D[6], 8)]  # +20 % of baseline 20
    assert not booster_due("phq9", 20, scores, rise_pct=25).due
    assert booster_due("phq9", 20, scores, rise_pct=20).due


def test_non_responder_is_never_due() -> None:
    d = booster_due("phq9", 20, [(D[0], 14), (D[3], 12), (D[6], 19)], rise_pct=5)
    assert not d.due and "Not a responder" in d.reasons[0]


def test_latest_is_the_best_is_not_due_and_order_does_not_matter() -> None:
    d = booster_due("phq9", 20, [(D[6], 3), (D[0], 9), (D[3], 6)], rise_pct=5)
    assert not d.due and d.best == (D[6], 3)


def test_clinic_response_rules_change_who_responded() -> None:
    strict = ResponseRules(early_improvement_pct=20, partial_response_pct=30, response_pct=60)
    scores = [(D[0], 10), (D[3], 16)]  # 50 % fall then +30 %
    assert booster_due("phq9", 20, scores, rise_pct=25).due
    assert not booster_due("phq9", 20, scores, rise_pct=25, rules=strict).due


def test_baseline_zero_and_bad_input() -> None:
    assert not booster_due("phq9", 0, [(D[0], 3)]).due
    with pytest.raises(ValueError, match="rise_pct"):
        booster_due("phq9", 20, [], rise_pct=0)
    with pytest.raises(ValueError, match=r"scores\[1\]"):
        booster_due("phq9", 20, [(D[0], 3), (D[1], -1)])
    with pytest.raises(ValueError, match="baseline"):
        booster_due("phq9", -2, [])
