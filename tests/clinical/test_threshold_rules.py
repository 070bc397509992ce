"""clinical.thresholds: the pure rules behind a clinic's scoring thresholds — what is
configurable, the checks each value passes, the risk-flag floor, and the parameters handed to
the scale library (none at all on the defaults)."""

from __future__ import annotations

from dataclasses import replace

from ketacare.clinical import thresholds as t
from ketacare.clinical.risk import decide_flag
from ketacare.clinical.scales import score


def test_the_defaults_pass_no_parameters_so_scores_match_the_library() -> None:
    for code in ("pcl5", "gad7", "madrs", "pain_nrs", "phq2", "phq9", "auditc"):
        assert t.score_params(code, t.DEFAULTS) == {}
    assert t.check_values({}) == {}
    assert t.thresholds_from({}) is t.DEFAULTS
    assert t.thresholds_from(t.values_of(t.DEFAULTS)) == t.DEFAULTS


def test_every_setting_names_its_source_section() -> None:
    for spec in t.SPECS:
        assert "§" in spec.source, spec.key
    keys = {spec.key for spec in t.SPECS}
    assert "phq2_cutoff" not in keys and not any("cssrs" in k for k in keys)


def test_changed_values_reach_the_scale_library() -> None:
    changed = t.thresholds_from({"pcl5_cutoff": 31, "madrs_severe_from": 31})
    assert t.score_params("pcl5", changed) == {"cutoff": 31}
    madrs = {f"madrs-{n}": 4 if n <= 8 else 0 for n in range(1, 11)}  # 32
    assert score("madrs", madrs).band == "moderate"
    assert score("madrs", madrs, **t.score_params("madrs", changed)).band == "severe"
    eppoc = t.thresholds_from({"pain_nrs_bands": "eppoc"})
    nrs = score("pain_nrs", {"pain_nrs-1": 4}, **t.score_params("pain_nrs", eppoc))
    assert nrs.band == "none to mild"


def test_the_floor_keeps_every_risk_answer_flagged_and_the_top_answer_high() -> None:
    assert not t.check_answer_level("phq9_item9", 1, "none", None).ok
    assert not t.check_answer_level("phq9_item9", 3, "moderate", "low").ok
    assert not t.check_answer_level("qids_item12", 2, "low", "high").ok
    ok = t.check_answer_level("phq9_item9", 1, "low", None)
    assert ok.ok and ok.reasons == ("PHQ-9 item 9 answered 1 → low.",)
    sensitive = t.thresholds_from({"phq9_item9.1": "high"})
    decision = decide_flag("phq9", {"phq9-9": 1}, None, sensitive.risk)
    assert decision is not None and decision.level == "high"
    # "More than half the days" may not go below moderate (escalation within hours, not the
    # next business day).
    assert not t.check_answer_level("phq9_item9", 2, "low", "low").ok
    assert (
        "cannot be below moderate" in t.check_answer_level("phq9_item9", 2, "low", None).reasons[0]
    )
    lowest = t.thresholds_from({"phq9_item9.1": "low", "phq9_item9.2": "moderate"})
    for answer, level in ((1, "low"), (2, "moderate"), (3, "high")):
        decision = decide_flag("phq9", {"phq9-9": answer}, None, lowest.risk)
        assert decision is not None and decision.level == level and decision.requires_cssrs


def test_problems_are_all_reported_by_key() -> None:
    problems = t.check_values(
        {
            "pcl5_cutoff": 30,
            "gad7_cutoff": True,
            "madrs_mild_from": 20,
            "phq9_item9.3": "low",
            "unknown": 1,
        }
    )
    assert set(problems) == {
        "pcl5_cutoff",
        "gad7_cutoff",
        "madrs_moderate_from",
        "phq9_item9.3",
        "unknown",
    }


def test_madrs_bands_cover_the_scale_in_order() -> None:
    bands = t.madrs_bands(replace(t.DEFAULTS, madrs_severe_from=31))
    assert [(b.low, b.high) for b in bands] == [(0, 6), (7, 19), (20, 30), (31, 60)]
    assert not t.check_madrs_bands(7, 35, 35).ok
    assert t.check_madrs_bands(1, 2, 60).ok
