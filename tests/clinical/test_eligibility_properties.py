"""Properties of the eligibility engine over generated patients and clinic policies
(hypothesis). Outcomes are ordered eligible > eligible with conditions > not eligible:

- adding a hard-stop finding never makes a patient more eligible (it makes them not eligible);
- adding any condition, medicine or finding never makes a patient more eligible;
- making a rule stricter never makes a patient more eligible;
- a prescriber's justification never makes a patient less eligible and never lifts a hard stop;
- every finding cites its source, and only relative findings are overridable.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from types import MappingProxyType

from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.eligibility import (
    DEFAULT_POLICY,
    DEFAULT_SEVERITIES,
    MEDICAL_HISTORY,
    RULES,
    AntidepressantTrial,
    BaselineVitals,
    EligibilityPolicy,
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
    outcome_for,
)
from ketacare.clinical.treatment_resistance import ReasonStopped

KEYS = sorted(MEDICAL_HISTORY)
# Keys that are rules of their own (bipolar disorder and mania are read with the
# mood-stabiliser answer).
DIRECT_KEYS = [k for k in KEYS if k in RULES]
DIAGNOSES = ["F33.2", "F32.A", "F31.9", "F30.10", "F20.9", "F33.3", "F43.10", "F41.1", "M79.7"]
MEDICINES = [
    "lorazepam",
    "Xanax 0.5 mg",
    "clorazepate",
    "oxycodone",
    "zolpidem",
    "methylphenidate",
    "phenelzine",
    "lamotrigine",
    "naltrexone",
    "fluticasone",
    "sertraline",
    "lithium",
    "Zzyzx",
]
DRUGS = ["sertraline", "escitalopram", "venlafaxine", "bupropion", "mirtazapine"]

routes = st.sampled_from(list(Route))
medications = st.builds(
    Medication,
    name=st.sampled_from(MEDICINES),
    daily_dose_mg=st.none() | st.decimals(min_value=0, max_value=60, places=2),
)
trials = st.builds(
    AntidepressantTrial,
    drug=st.sampled_from(DRUGS),
    in_current_episode=st.booleans(),
    weeks_at_dose=st.none() | st.floats(min_value=0, max_value=20),
    dose_adequate=st.none() | st.booleans(),
    improvement_pct=st.none() | st.floats(min_value=-50, max_value=100),
    response=st.sampled_from(list(ResponseCategory)),
    reason_stopped=st.sampled_from(list(ReasonStopped)),
)
vitals = st.builds(
    BaselineVitals,
    systolic_mmhg=st.none() | st.integers(70, 210),
    diastolic_mmhg=st.none() | st.integers(40, 130),
    heart_rate_bpm=st.none() | st.integers(35, 150),
    spo2_pct=st.none() | st.integers(85, 100),
    bmi_kg_m2=st.none() | st.decimals(min_value=15, max_value=50, places=1),
)
evaluations = st.builds(
    Evaluation,
    age_years=st.integers(12, 95),
    indication=st.sampled_from(list(Indication)),
    sex_at_birth=st.sampled_from(list(SexAtBirth)),
    pregnant=st.sampled_from(list(TriState)),
    breastfeeding=st.sampled_from(list(TriState)),
    planning_pregnancy=st.sampled_from(list(TriState)),
    diagnosis_codes=st.frozensets(st.sampled_from(DIAGNOSES), max_size=3),
    medical_history=st.frozensets(st.sampled_from(KEYS), max_size=5),
    mood_stabiliser_current=st.booleans(),
    oral_antidepressant_current=st.booleans(),
    current_medications=st.lists(medications, max_size=4).map(tuple),
    antidepressant_trials=st.lists(trials, max_size=4).map(tuple),
    vitals=vitals,
    audit_c_positive=st.none() | st.booleans(),
    rems_enrolled=st.booleans(),
    rems_patient_id=st.none() | st.just("REMS-7"),
    rems_enrolled_on=st.none() | st.just(date(2026, 1, 5)),
)


def allowed_severities(route: Route, code: str) -> list[Severity]:
    spec = RULES[code].spec(route)
    assert spec is not None
    return [s for s in Severity if not spec.locked or s.strength >= spec.severity.strength]


@st.composite
def policies(draw: st.DrawFn) -> EligibilityPolicy:
    """A clinic policy: any severities the floors allow, on a random set of rules."""
    keys = draw(st.lists(st.sampled_from(sorted(DEFAULT_SEVERITIES)), max_size=20, unique=True))
    changes = {(r, c): draw(st.sampled_from(allowed_severities(r, c))) for r, c in keys}
    return EligibilityPolicy(MappingProxyType(changes))


# No justification, one for every rule (relative findings all become conditions, so any
# difference between a hard stop and a relative finding shows), or a random mix.
overrides: st.SearchStrategy[dict[str, str]] = st.one_of(
    st.just({}),
    st.just({code: "Reviewed by the prescriber." for code in RULES}),
    st.dictionaries(
        st.sampled_from(sorted(RULES)), st.sampled_from(["Reviewed by the prescriber.", " "])
    ),
)


def rank(evaluation: Evaluation, route: Route, policy: EligibilityPolicy, just: dict) -> int:
    return decide(evaluation, route, policy, just).outcome.rank


def with_condition(evaluation: Evaluation, key: str) -> Evaluation:
    return replace(evaluation, medical_history=evaluation.medical_history | {key})


@given(evaluations, routes, policies(), overrides, st.data())
def test_adding_a_hard_stop_condition_makes_the_patient_not_eligible(
    evaluation: Evaluation,
    route: Route,
    policy: EligibilityPolicy,
    just: dict[str, str],
    data: st.DataObject,
) -> None:
    hard = [
        k
        for k in DIRECT_KEYS
        if (route, k) in policy.severities and policy.severity(route, k) is Severity.HARD_STOP
    ]
    key = data.draw(st.sampled_from(hard))  # never empty: hypersensitivity is locked
    before = rank(evaluation, route, policy, just)
    after = decide(with_condition(evaluation, key), route, policy, just)
    assert after.outcome is Outcome.NOT_ELIGIBLE
    assert after.outcome.rank <= before
    assert key in {f.code for f in after.hard_stops}


@given(evaluations, routes, policies(), overrides, st.sampled_from(KEYS))
def test_adding_any_condition_never_makes_the_patient_more_eligible(
    evaluation: Evaluation,
    route: Route,
    policy: EligibilityPolicy,
    just: dict[str, str],
    key: str,
) -> None:
    before = rank(evaluation, route, policy, just)
    assert rank(with_condition(evaluation, key), route, policy, just) <= before


@given(evaluations, routes, st.sampled_from(KEYS))
def test_adding_any_condition_never_helps_under_the_default_policy(
    evaluation: Evaluation, route: Route, key: str
) -> None:
    before = rank(evaluation, route, DEFAULT_POLICY, {})
    assert rank(with_condition(evaluation, key), route, DEFAULT_POLICY, {}) <= before


@given(evaluations, routes, policies(), medications)
def test_adding_a_medicine_never_makes_the_patient_more_eligible(
    evaluation: Evaluation, route: Route, policy: EligibilityPolicy, medicine: Medication
) -> None:
    more = replace(evaluation, current_medications=(*evaluation.current_medications, medicine))
    assert rank(more, route, policy, {}) <= rank(evaluation, route, policy, {})


def _finding(severity: Severity, justified: bool) -> Finding:
    return Finding(
        "x", severity, "x", "", "clinical.md §0", Tag.PRACTICE, False, "ok" if justified else None
    )


findings = st.builds(_finding, st.sampled_from(list(Severity)), st.booleans())


@given(st.lists(findings, max_size=6), findings)
def test_adding_any_finding_never_improves_the_outcome(
    existing: list[Finding], extra: Finding
) -> None:
    assert outcome_for([*existing, extra]).rank <= outcome_for(existing).rank
    if extra.severity is Severity.HARD_STOP:
        assert outcome_for([*existing, extra]) is Outcome.NOT_ELIGIBLE


@given(evaluations, routes, policies(), st.data())
def test_a_stricter_rule_never_makes_the_patient_more_eligible(
    evaluation: Evaluation, route: Route, policy: EligibilityPolicy, data: st.DataObject
) -> None:
    code = data.draw(st.sampled_from(sorted(c for r, c in policy.severities if r is route)))
    current = policy.severity(route, code)
    stricter = data.draw(st.sampled_from([s for s in Severity if s.strength >= current.strength]))
    tightened = policy.with_severity(code, stricter, route)
    just = {code: "Reviewed."}
    assert rank(evaluation, route, tightened, just) <= rank(evaluation, route, policy, just)


@given(evaluations, routes, policies(), overrides)
def test_justifications_never_hurt_and_never_lift_a_hard_stop(
    evaluation: Evaluation, route: Route, policy: EligibilityPolicy, just: dict[str, str]
) -> None:
    plain = decide(evaluation, route, policy)
    justified = decide(evaluation, route, policy, just)
    assert justified.outcome.rank >= plain.outcome.rank
    assert [f.code for f in justified.hard_stops] == [f.code for f in plain.hard_stops]
    if plain.hard_stops:
        assert justified.outcome is Outcome.NOT_ELIGIBLE


@given(evaluations, routes, policies(), overrides)
def test_every_finding_is_sourced_and_only_relative_ones_are_overridable(
    evaluation: Evaluation, route: Route, policy: EligibilityPolicy, just: dict[str, str]
) -> None:
    decision = decide(evaluation, route, policy, just)
    assert decision.outcome is outcome_for(decision.findings)
    codes = [f.code for f in decision.findings]
    assert len(codes) == len(set(codes))
    for f in decision.findings:
        assert f.source.startswith("clinical.md §")
        assert f.detail and f.title
        assert f.overridable == (f.severity is Severity.RELATIVE)
        assert f.severity is policy.severity(route, f.code)
        assert f.justification is None or f.severity is Severity.RELATIVE


@given(evaluations)
def test_decimal_doses_survive_the_engine(evaluation: Evaluation) -> None:
    report = decide(evaluation, Route.IV_RACEMIC).interactions
    total = report.diazepam_eq_mg_per_day
    assert total is None or (isinstance(total, Decimal) and total >= 0)
