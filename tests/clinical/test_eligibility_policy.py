"""A clinic admin's edits to the eligibility policy: what may change, what is a legal floor,
and how the stored changes round-trip."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketacare.clinical.eligibility import (
    DEFAULT_POLICY,
    RULES,
    AntidepressantTrial,
    BaselineVitals,
    DrugClass,
    EligibilityPolicy,
    EligibilityThresholds,
    Evaluation,
    Indication,
    Medication,
    Outcome,
    Route,
    Severity,
    SexAtBirth,
    TriState,
    decide,
)
from ketacare.clinical.interactions import DEFAULT_DRUG_TABLE, DrugEntry
from ketacare.clinical.treatment_resistance import TrdRules

ESK = Route.ESKETAMINE_NASAL
IV = Route.IV_RACEMIC
RACEMIC = (Route.IV_RACEMIC, Route.IM_RACEMIC, Route.ORAL_SUBLINGUAL_RACEMIC)


def patient(*history: str, **changes: Any) -> Evaluation:
    fields: dict[str, Any] = {
        "age_years": 38,
        "indication": Indication.PTSD,
        "sex_at_birth": SexAtBirth.MALE,
        "pregnant": TriState.NO,
        "breastfeeding": TriState.NO,
        "vitals": BaselineVitals(120, 80, 70, 98),
        "medical_history": frozenset(history),
    }
    return Evaluation(**(fields | changes))


@pytest.mark.parametrize(
    "code",
    [
        "aneurysmal_vascular_disease",
        "arteriovenous_malformation",
        "intracerebral_haemorrhage",
        "ketamine_hypersensitivity",
        "mdsi_requires_oral_antidepressant",
    ],
)
@pytest.mark.parametrize("weaker", [Severity.RELATIVE, Severity.CAUTION, Severity.INFO])
def test_esketamine_label_hard_stops_cannot_be_downgraded(code: str, weaker: Severity) -> None:
    """Tag table: [LABEL] is the legal floor for esketamine (clinical.md §3a, §5c)."""
    with pytest.raises(ValueError, match=f"^{code}: cannot be set below hard_stop for "):
        DEFAULT_POLICY.with_severity(code, weaker, ESK)


@pytest.mark.parametrize(
    ("code", "floor"),
    [
        ("pregnancy", "relative"),  # §3b [LABEL]
        ("psychosis_history", "relative"),  # §3b [LABEL]
        ("baseline_bp_elevated", "relative"),  # §3b/§9 [LABEL]
        ("rems_enrolment_pending", "caution"),  # §2c [REMS]
        ("stimulant_blood_pressure", "caution"),  # §4 [LABEL]
    ],
)
def test_other_esketamine_label_and_rems_rules_are_floors_too(code: str, floor: str) -> None:
    with pytest.raises(ValueError, match=f"^{code}: cannot be set below {floor}"):
        DEFAULT_POLICY.with_severity(code, Severity.INFO, ESK)


def test_racemic_hypersensitivity_is_a_floor_from_the_ketamine_label() -> None:
    """clinical.md §3c, S14 [LABEL]: hypersensitivity is on the ketamine injection label."""
    with pytest.raises(ValueError, match="ketamine_hypersensitivity: cannot be set below"):
        DEFAULT_POLICY.with_severity("ketamine_hypersensitivity", Severity.RELATIVE, IV)


def test_a_stricter_esketamine_policy_is_allowed() -> None:
    policy = DEFAULT_POLICY.with_severity("psychosis_current", Severity.HARD_STOP, ESK)
    decision = decide(patient("psychosis_current", indication=Indication.TRD), ESK, policy)
    assert decision.outcome is Outcome.NOT_ELIGIBLE
    assert decision.hard_stops[0].code == "psychosis_current"


def test_an_off_label_clinic_may_make_active_psychosis_relative() -> None:
    """clinical.md §3c: "absolute status of psychosis ... for racemic ketamine is clinic
    policy, not law"."""
    policy = DEFAULT_POLICY.with_severity("psychosis_current", Severity.RELATIVE, RACEMIC)
    evaluation = patient("psychosis_current")
    assert decide(evaluation, IV).outcome is Outcome.NOT_ELIGIBLE
    pending = decide(evaluation, IV, policy)
    assert pending.outcome is Outcome.NOT_ELIGIBLE
    assert [f.code for f in pending.awaiting_justification] == ["psychosis_current"]
    assert pending.awaiting_justification[0].overridable
    justified = decide(evaluation, IV, policy, {"psychosis_current": "Psychiatrist reviewed."})
    assert justified.outcome is Outcome.ELIGIBLE_WITH_CONDITIONS
    # Esketamine is untouched by a racemic-only change.
    assert policy.severity(ESK, "psychosis_current") is Severity.RELATIVE


def test_racemic_label_contraindication_defaults_are_clinic_policy() -> None:
    """clinical.md §3c suggested encoding [PRACTICE]: editable for racemic routes."""
    policy = DEFAULT_POLICY.with_severity("aneurysmal_vascular_disease", Severity.RELATIVE, IV)
    assert policy.severity(IV, "aneurysmal_vascular_disease") is Severity.RELATIVE
    assert policy.severity(Route.IM_RACEMIC, "aneurysmal_vascular_disease") is Severity.HARD_STOP


def test_an_eu_label_rule_is_a_jurisdiction_setting_not_a_floor() -> None:
    """[LABEL-EU] (28 mg start at 65, §5b) is configurable per jurisdiction."""
    policy = DEFAULT_POLICY.with_severity("age_65_or_over", Severity.INFO, ESK)
    evaluation = patient(age_years=70, indication=Indication.TRD)
    (older,) = [f for f in decide(evaluation, ESK, policy).findings if f.code == "age_65_or_over"]
    assert older.severity is Severity.INFO
    assert older not in decide(evaluation, ESK, policy).conditions


def test_unknown_codes_and_inapplicable_routes_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match=r"^glaucoma: no such eligibility rule"):
        DEFAULT_POLICY.with_severity("glaucoma", Severity.CAUTION)
    with pytest.raises(ValueError, match="mdsi_requires_oral_antidepressant: the rule does not"):
        DEFAULT_POLICY.with_severity("mdsi_requires_oral_antidepressant", Severity.CAUTION, IV)
    with pytest.raises(ValueError, match="'caution' is not a severity"):
        DEFAULT_POLICY.with_severity("seizure_disorder_recent", "caution")  # type: ignore[arg-type]


def test_without_routes_a_change_applies_wherever_the_rule_exists() -> None:
    policy = DEFAULT_POLICY.with_severity("seizure_disorder_recent", Severity.HARD_STOP)
    assert all(policy.severity(r, "seizure_disorder_recent") is Severity.HARD_STOP for r in Route)


def test_changes_round_trip_through_storage() -> None:
    policy = DEFAULT_POLICY.with_severity(
        "psychosis_current", Severity.RELATIVE, RACEMIC
    ).with_severity("interstitial_cystitis", Severity.RELATIVE, ESK)
    stored = policy.changes()
    assert stored == {
        "esketamine_nasal": {"interstitial_cystitis": "relative"},
        "im_racemic": {"psychosis_current": "relative"},
        "iv_racemic": {"psychosis_current": "relative"},
        "oral_sublingual_racemic": {"psychosis_current": "relative"},
    }
    rebuilt = EligibilityPolicy.from_changes(stored, name="Clinic A")
    assert rebuilt.severities == policy.severities
    assert DEFAULT_POLICY.changes() == {}
    summary = decide(patient(), IV, rebuilt).summary[-1]
    assert summary == "Policy: Clinic A; 4 rule(s) changed from the defaults."


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"intranasal_racemic": {"pregnancy": "relative"}}, "intranasal_racemic: no such route"),
        ({"iv_racemic": {"pregnancy": "blocked"}}, "pregnancy: 'blocked' is not a severity"),
        ({"iv_racemic": {"pregnancyy": "relative"}}, "pregnancyy: no such eligibility rule"),
        (
            {"esketamine_nasal": {"intracerebral_haemorrhage": "caution"}},
            "intracerebral_haemorrhage: cannot be set below hard_stop",
        ),
    ],
)
def test_bad_stored_changes_are_refused_by_name(
    changes: dict[str, dict[str, str]], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        EligibilityPolicy.from_changes(changes)


def test_every_rule_has_a_default_on_each_route_it_applies_to() -> None:
    for code, rule in RULES.items():
        for route in Route:
            has_default = (route, code) in DEFAULT_POLICY.severities
            assert has_default == (rule.spec(route) is not None), (code, route)


def test_clinic_thresholds_change_what_fires() -> None:
    """The 140/90 guide (§9) is a clinic setting; a stricter clinic can use 130/80."""
    evaluation = patient(vitals=BaselineVitals(135, 85, 70, 98))
    assert "baseline_bp_elevated" not in {f.code for f in decide(evaluation, IV).findings}
    strict = EligibilityPolicy(
        thresholds=EligibilityThresholds(bp_systolic_above_mmhg=130, bp_diastolic_above_mmhg=80)
    )
    assert "baseline_bp_elevated" in {f.code for f in decide(evaluation, IV, strict).findings}


def test_thresholds_are_validated() -> None:
    with pytest.raises(ValueError, match="adult_age_years"):
        EligibilityThresholds(adult_age_years=70)
    with pytest.raises(ValueError, match="heart_rate"):
        EligibilityThresholds(heart_rate_below_bpm=130)


def test_eu_pearl_trd_threshold_is_a_policy_setting() -> None:
    """clinical.md §2a, S26: <50% non-response by default, EU-PEARL <25% as alternative."""
    trials = tuple(
        AntidepressantTrial(d, True, weeks_at_dose=6, dose_adequate=True, improvement_pct=30)
        for d in ("sertraline", "duloxetine")
    )
    evaluation = patient(indication=Indication.TRD, antidepressant_trials=trials)
    assert decide(evaluation, IV).trd.meets_definition  # type: ignore[union-attr]
    eu_pearl = EligibilityPolicy(trd=TrdRules(non_response_below_pct=25))
    decision = decide(evaluation, IV, eu_pearl)
    assert decision.trd is not None and not decision.trd.meets_definition
    assert "trd_fewer_than_min_trials" in {f.code for f in decision.findings}


def test_clinic_drug_table_and_benzodiazepine_threshold_are_policy() -> None:
    """clinical.md §4: the drug table is clinic data; >8 mg/day is [EVIDENCE] S44."""
    meds = (Medication("bromazepam", daily_dose_mg=Decimal(3)),)
    evaluation = patient(current_medications=meds)
    assert decide(evaluation, IV).interactions.unrecognised == ("bromazepam",)
    table = DEFAULT_DRUG_TABLE.with_entries(
        {"Bromazepam": DrugEntry("bromazepam", DrugClass.BENZODIAZEPINE, Decimal("3.33"))}
    )
    decision = decide(evaluation, IV, EligibilityPolicy(drugs=table))
    assert decision.interactions.unrecognised == ()
    assert "benzodiazepine_dose_above_threshold" in {f.code for f in decision.findings}
