"""C-SSRS screener edges: the stated missing-data policy matches what scoring does.

instruments.md §5 / clinical.md §16b: moderate = Q3 Yes or behaviour more than 3 months ago.
An incomplete screen that already reaches moderate reports it as a floor (missing answers
can only raise it), and the policy published with the scale (FHIR Questionnaire description)
must say so rather than "no risk level except high".
"""

from __future__ import annotations

from ketacare.clinical.scales import SCALES, score


def test_incomplete_screen_reaching_moderate_reports_moderate() -> None:
    # Q2 Yes, Q3 Yes, Q4/Q5 not yet answered: at least moderate.
    result = score("cssrs_recent", {"cssrs_recent-1": 1, "cssrs_recent-2": 1, "cssrs_recent-3": 1})
    assert result.complete is False and result.risk_level == "moderate"


def test_stated_missing_policy_names_the_moderate_floor() -> None:
    policy = SCALES["cssrs_recent"].missing_policy
    assert "moderate" in policy and "high" in policy
