"""How findings become an outcome: hard stops, relative findings with and without a
prescriber's justification, cautions, notes, the summary and the first-dose check."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ketacare.clinical.eligibility import (
    DEFAULT_POLICY,
    AntidepressantTrial,
    BaselineVitals,
    Evaluation,
    Finding,
    Indication,
    Medication,
    Outcome,
    ResponseCategory,
    Route,
    Severity,
    SexAtBirth,
    Tag,
    TriState,
    decide,
    first_dose_check,
    outcome_for,
)

ESK = Route.ESKETAMINE_NASAL
IV = Route.IV_RACEMIC
TRIALS = (
    AntidepressantTrial("sertraline", True, weeks_at_dose=8, dose_adequate=True, improvement_pct=0),
    AntidepressantTrial(
        "bupropion", True, weeks_at_dose=6, dose_adequate=True, response=ResponseCategory.PARTIAL
    ),
)


def clean(*history: str, **changes: Any) -> Evaluation:
    fields: dict[str, Any] = {
        "age_years": 45,
        "indication": Indication.TRD,
        "sex_at_birth": SexAtBirth.FEMALE,
        "pregnant": TriState.NO,
        "breastfeeding": TriState.NO,
        "planning_pregnancy": TriState.NO,
        "antidepressant_trials": TRIALS,
        "vitals": BaselineVitals(118, 76, 64, 99, Decimal("27")),
        "audit_c_positive": False,
        "rems_enrolled": True,
        "rems_patient_id": "REMS-42",
        "rems_enrolled_on": date(2026, 2, 2),
        "medical_history": frozenset(history),
    }
    return Evaluation(**(fields | changes))


def finding(code: str, severity: Severity, justification: str | None = None) -> Finding:
    return Finding(code, severity, code, "", "clinical.md §0", Tag.PRACTICE, False, justification)


# --- outcome_for --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("findings", "outcome"),
    [
        ([], Outcome.ELIGIBLE),
        ([finding("a", Severity.INFO)], Outcome.ELIGIBLE),
        ([finding("a", Severity.CAUTION)], Outcome.ELIGIBLE_WITH_CONDITIONS),
        ([finding("a", Severity.RELATIVE)], Outcome.NOT_ELIGIBLE),
        ([finding("a", Severity.RELATIVE, "reviewed")], Outcome.ELIGIBLE_WITH_CONDITIONS),
        ([finding("a", Severity.HARD_STOP)], Outcome.NOT_ELIGIBLE),
        ([finding("a", Severity.HARD_STOP, "ignored")], Outcome.NOT_ELIGIBLE),
        (
            [finding("a", Severity.CAUTION), finding("b", Severity.HARD_STOP)],
            Outcome.NOT_ELIGIBLE,
        ),
    ],
)
def test_outcome_follows_from_the_findings(findings: list[Finding], outcome: Outcome) -> None:
    assert outcome_for(findings) is outcome


def test_outcomes_are_ordered_by_eligibility() -> None:
    assert Outcome.NOT_ELIGIBLE.rank < Outcome.ELIGIBLE_WITH_CONDITIONS.rank < Outcome.ELIGIBLE.rank


# --- decide -------------------------------------------------------------------------------


def test_nothing_found_is_eligible() -> None:
    decision = decide(clean(), ESK)
    assert decision.outcome is Outcome.ELIGIBLE
    assert decision.findings == ()
    assert decision.summary[0].startswith("Eligible for esketamine nasal spray")
    assert decision.policy is DEFAULT_POLICY


def test_notes_alone_leave_the_patient_eligible() -> None:
    decision = decide(clean(), IV)
    assert decision.outcome is Outcome.ELIGIBLE
    assert [f.code for f in decision.notes] == ["off_label_consent"]
    assert any(line.startswith("Notes: Off-label use") for line in decision.summary)


def test_cautions_alone_make_it_eligible_with_conditions() -> None:
    decision = decide(clean(age_years=70), ESK)
    assert decision.outcome is Outcome.ELIGIBLE_WITH_CONDITIONS
    assert [f.code for f in decision.conditions] == ["age_65_or_over"]
    assert "Conditions: Aged 65 or over." in decision.summary


def test_a_hard_stop_makes_it_not_eligible_and_cannot_be_overridden() -> None:
    overrides = {"intracerebral_haemorrhage": "Neurosurgery cleared"}
    decision = decide(clean("intracerebral_haemorrhage"), ESK, overrides=overrides)
    assert decision.outcome is Outcome.NOT_ELIGIBLE
    assert [f.code for f in decision.hard_stops] == ["intracerebral_haemorrhage"]
    assert decision.hard_stops[0].justification is None
    assert decision.summary[0] == (
        "Not eligible for esketamine nasal spray (SPRAVATO): hard stop — "
        "History of intracerebral haemorrhage."
    )
    assert (
        "Override for intracerebral_haemorrhage not applied: a hard stop cannot be overridden."
        in decision.summary
    )


def test_a_relative_finding_without_justification_is_not_eligible_until_overridden() -> None:
    decision = decide(clean("severe_hepatic_impairment"), ESK)
    assert decision.outcome is Outcome.NOT_ELIGIBLE
    assert decision.hard_stops == ()
    assert [f.code for f in decision.awaiting_justification] == ["severe_hepatic_impairment"]
    assert decision.summary[0] == (
        "Not eligible for esketamine nasal spray (SPRAVATO) until a prescriber documents a "
        "justification for: Severe hepatic impairment."
    )


def test_a_justified_relative_finding_becomes_a_condition() -> None:
    text = "Hepatology agrees; extended monitoring planned."
    decision = decide(
        clean("severe_hepatic_impairment"),
        ESK,
        overrides={"severe_hepatic_impairment": f"  {text} "},
    )
    assert decision.outcome is Outcome.ELIGIBLE_WITH_CONDITIONS
    (condition,) = decision.conditions
    assert condition.code == "severe_hepatic_impairment"
    assert condition.justification == text
    assert condition.severity is Severity.RELATIVE  # the grading is kept, only justified


def test_every_relative_finding_needs_its_own_justification() -> None:
    evaluation = clean("psychosis_history", "raised_intraocular_pressure_glaucoma")
    decision = decide(evaluation, IV, overrides={"psychosis_history": "Remote, drug-induced."})
    assert decision.outcome is Outcome.NOT_ELIGIBLE
    assert [f.code for f in decision.awaiting_justification] == [
        "raised_intraocular_pressure_glaucoma"
    ]


def test_an_empty_justification_is_not_applied() -> None:
    decision = decide(clean("psychosis_history"), IV, overrides={"psychosis_history": "   "})
    assert decision.outcome is Outcome.NOT_ELIGIBLE
    assert "Override for psychosis_history not applied: the justification is empty." in (
        decision.summary
    )


def test_overrides_for_cautions_or_absent_findings_are_reported_not_applied() -> None:
    decision = decide(
        clean(age_years=70), ESK, overrides={"age_65_or_over": "ok", "pregnancy": "n/a"}
    )
    assert decision.outcome is Outcome.ELIGIBLE_WITH_CONDITIONS
    assert decision.conditions[0].justification is None
    assert "Override for age_65_or_over not needed: it is a caution." in decision.summary
    assert "Override for pregnancy not used: no such finding in this evaluation." in (
        decision.summary
    )


def test_hard_stop_and_relative_findings_are_both_reported() -> None:
    decision = decide(clean("aneurysmal_vascular_disease", "seizure_disorder_recent"), IV)
    assert decision.summary[0].startswith("Not eligible for IV racemic ketamine")
    assert decision.summary[1] == (
        "Also needs a prescriber's documented justification: Recent seizures."
    )


def test_findings_are_listed_strongest_first() -> None:
    evaluation = clean("arteriovenous_malformation", "psychosis_history", age_years=70)
    strengths = [f.severity.strength for f in decide(evaluation, IV).findings]
    assert strengths == sorted(strengths, reverse=True)
    assert strengths[0] == Severity.HARD_STOP.strength


def test_summary_carries_trd_count_unrecognised_medicines_and_policy() -> None:
    decision = decide(clean(current_medications=(Medication("Zzyzx 5 mg"),)), IV)
    assert decision.trd is not None and decision.trd.count == 2
    assert any(line.startswith("2 adequate failed antidepressant") for line in decision.summary)
    assert "Not recognised by the interaction check: Zzyzx 5 mg." in decision.summary
    assert decision.summary[-1] == (
        "Policy: KetaCare defaults (shared/reference/clinical.md); 0 rule(s) changed from the "
        "defaults."
    )


def test_not_eligible_lists_cautions_as_also_to_address() -> None:
    decision = decide(clean("ketamine_hypersensitivity", age_years=70), ESK)
    assert "Also to address: Aged 65 or over." in decision.summary


def test_route_may_be_given_as_its_string_value() -> None:
    assert decide(clean(), "esketamine_nasal").route is ESK  # type: ignore[arg-type]


# --- first dose ---------------------------------------------------------------------------


def test_first_esketamine_dose_needs_rems_enrolment() -> None:
    """clinical.md §2c, S6/S7 [REMS]: enrolled before the first treatment."""
    evaluation = clean(rems_enrolled=False, rems_patient_id=None, rems_enrolled_on=None)
    check = first_dose_check(decide(evaluation, ESK), evaluation)
    assert not check.allowed
    assert check.reasons == (
        "SPRAVATO REMS: enrolment, REMS patient identifier, enrolment date not recorded; the "
        "patient must be enrolled before the first treatment (clinical.md §2c, S6, S7 [REMS]).",
    )
    enrolled = clean()
    assert first_dose_check(decide(enrolled, ESK), enrolled).allowed


def test_racemic_first_dose_does_not_need_rems() -> None:
    evaluation = clean(rems_enrolled=False, rems_patient_id=None, rems_enrolled_on=None)
    assert first_dose_check(decide(evaluation, IV), evaluation).allowed


def test_no_first_dose_while_not_eligible() -> None:
    evaluation = clean("psychosis_current")
    check = first_dose_check(decide(evaluation, IV), evaluation)
    assert not check.allowed
    assert check.reasons == ("The eligibility decision is 'not eligible'.",)
