"""Eligibility for ketamine or esketamine treatment: a pure engine (clinical.md §2-§4, §14).

`decide(evaluation, route, policy, overrides)` returns an `EligibilityDecision`: eligible /
eligible with conditions / not eligible, with every finding, its severity, reason and source.
inputs.py holds what is decided on, rules.py the rule catalogue, policy.py the clinic's
editable severities and thresholds, engine.py the decision. See engine.py for the outcome rules.
"""

from ketacare.clinical.eligibility.engine import (
    EligibilityDecision,
    FirstDoseCheck,
    Outcome,
    decide,
    first_dose_check,
    outcome_for,
    rems_missing,
)
from ketacare.clinical.eligibility.inputs import (
    DIAGNOSIS_IMPLIES,
    MEDICAL_HISTORY,
    BaselineVitals,
    Evaluation,
    HistoryItem,
    Indication,
    SexAtBirth,
    TriState,
)
from ketacare.clinical.eligibility.policy import (
    DEFAULT_POLICY,
    DEFAULT_SEVERITIES,
    EligibilityPolicy,
    EligibilityThresholds,
)
from ketacare.clinical.eligibility.rules import RULES, Rule, RuleSpec
from ketacare.clinical.findings import Finding, Route, Severity, Tag
from ketacare.clinical.interactions import DrugClass, Medication
from ketacare.clinical.treatment_resistance import (
    AntidepressantTrial,
    ReasonStopped,
    ResponseCategory,
)

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_SEVERITIES",
    "DIAGNOSIS_IMPLIES",
    "MEDICAL_HISTORY",
    "RULES",
    "AntidepressantTrial",
    "BaselineVitals",
    "DrugClass",
    "EligibilityDecision",
    "EligibilityPolicy",
    "EligibilityThresholds",
    "Evaluation",
    "Finding",
    "FirstDoseCheck",
    "HistoryItem",
    "Indication",
    "Medication",
    "Outcome",
    "ReasonStopped",
    "ResponseCategory",
    "Route",
    "Rule",
    "RuleSpec",
    "Severity",
    "SexAtBirth",
    "Tag",
    "TriState",
    "decide",
    "first_dose_check",
    "outcome_for",
    "rems_missing",
]
