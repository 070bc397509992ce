"""The eligibility rules one by one against shared/reference/clinical.md.

Each test names the rule and its source (section and source IDs) in the docstring. The
baseline patient is clean: eligible for esketamine with no finding at all.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import simple_icd_10_cm as icd

from ketacare.clinical.eligibility import (
    DIAGNOSIS_IMPLIES,
    MEDICAL_HISTORY,
    RULES,
    AntidepressantTrial,
    BaselineVitals,
    Evaluation,
    Finding,
    Indication,
    Medication,
    ResponseCategory,
    Route,
    Severity,
    SexAtBirth,
    Tag,
    TriState,
    decide,
)

ESK = Route.ESKETAMINE_NASAL
IV = Route.IV_RACEMIC
RACEMIC = (Route.IV_RACEMIC, Route.IM_RACEMIC, Route.ORAL_SUBLINGUAL_RACEMIC)
NO = TriState.NO

TRIALS = (
    AntidepressantTrial(
        "sertraline", True, weeks_at_dose=8, dose_adequate=True, improvement_pct=10
    ),
    AntidepressantTrial(
        "venlafaxine", True, weeks_at_dose=6, dose_adequate=True, response=ResponseCategory.NONE
    ),
)


def clean(**changes: Any) -> Evaluation:
    fields: dict[str, Any] = {
        "age_years": 40,
        "indication": Indication.TRD,
        "sex_at_birth": SexAtBirth.MALE,
        "pregnant": NO,
        "breastfeeding": NO,
        "planning_pregnancy": NO,
        "antidepressant_trials": TRIALS,
        "vitals": BaselineVitals(120, 80, 70, 98, Decimal("24")),
        "audit_c_positive": False,
        "rems_enrolled": True,
        "rems_patient_id": "REMS-0001",
        "rems_enrolled_on": date(2026, 3, 1),
    }
    return Evaluation(**(fields | changes))


def found(evaluation: Evaluation, route: Route) -> dict[str, Finding]:
    return {f.code: f for f in decide(evaluation, route).findings}


def history(*keys: str, **changes: Any) -> Evaluation:
    return clean(medical_history=frozenset(keys), **changes)


def severity(evaluation: Evaluation, route: Route, code: str) -> Severity | None:
    finding = found(evaluation, route).get(code)
    return finding.severity if finding else None


def test_clean_patient_has_no_finding_for_esketamine() -> None:
    assert decide(clean(), ESK).findings == ()


# --- §3a label contraindications ---------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["aneurysmal_vascular_disease", "arteriovenous_malformation", "intracerebral_haemorrhage"],
)
def test_esketamine_label_contraindication_is_a_locked_hard_stop(key: str) -> None:
    """clinical.md §3a, S3/S12 [LABEL]: aneurysmal vascular disease or AVM, and a history of
    intracerebral haemorrhage, are esketamine contraindications."""
    finding = found(history(key), ESK)[key]
    assert finding.severity is Severity.HARD_STOP
    assert not finding.overridable
    assert finding.tag is Tag.LABEL
    assert "§3a" in finding.source
    spec = RULES[key].esketamine
    assert spec is not None and spec.locked


@pytest.mark.parametrize(
    "key",
    ["aneurysmal_vascular_disease", "arteriovenous_malformation", "intracerebral_haemorrhage"],
)
@pytest.mark.parametrize("route", RACEMIC)
def test_label_contraindications_block_racemic_ketamine_by_clinic_policy(
    key: str, route: Route
) -> None:
    """clinical.md §3c "Suggested encoding" [PRACTICE]: the three esketamine label
    contraindications also block racemic ketamine, as an editable clinic default."""
    finding = found(history(key), route)[key]
    assert finding.severity is Severity.HARD_STOP
    assert finding.tag is Tag.PRACTICE
    assert "suggested encoding" in finding.source
    spec = RULES[key].racemic
    assert spec is not None and not spec.locked


@pytest.mark.parametrize("route", list(Route))
def test_hypersensitivity_is_a_hard_stop_on_every_route(route: Route) -> None:
    """clinical.md §3a, S3/S12 [LABEL] (esketamine) and §3c, S14 [LABEL] (ketamine injection):
    hypersensitivity to ketamine, esketamine or an excipient."""
    finding = found(history("ketamine_hypersensitivity"), route)["ketamine_hypersensitivity"]
    assert finding.severity is Severity.HARD_STOP
    assert finding.tag is Tag.LABEL


# --- psychosis, mania ---------------------------------------------------------------------


def test_active_psychosis_is_relative_for_esketamine() -> None:
    """clinical.md §3a note and §3b, S2 (5.2) [LABEL]: psychosis is a label warning, not a
    contraindication — "don't copy those lists as hard stops"."""
    finding = found(history("psychosis_current"), ESK)["psychosis_current"]
    assert finding.severity is Severity.RELATIVE
    assert finding.overridable


@pytest.mark.parametrize("route", RACEMIC)
def test_active_psychosis_blocks_racemic_ketamine_by_clinic_policy(route: Route) -> None:
    """clinical.md §3c "Suggested encoding" [PRACTICE]: active psychosis is absolute (clinic
    policy, not law)."""
    assert severity(history("psychosis_current"), route, "psychosis_current") is Severity.HARD_STOP


@pytest.mark.parametrize("route", list(Route))
def test_history_of_psychosis_is_relative(route: Route) -> None:
    """clinical.md §3b, S2 (5.2) [LABEL] for esketamine; §3c, P4 [PRACTICE] for racemic."""
    assert severity(history("psychosis_history"), route, "psychosis_history") is Severity.RELATIVE


def test_primary_psychotic_disorder_is_relative_and_read_from_the_diagnosis() -> None:
    """clinical.md §3b S2 (5.2) [LABEL]; §3c lifetime primary psychotic disorder [PRACTICE].
    An F2x diagnosis implies it even when the checklist box is not ticked."""
    by_code = found(clean(diagnosis_codes=frozenset({"F20.9"})), IV)
    assert by_code["schizophrenia_spectrum"].severity is Severity.RELATIVE
    assert "F20.9" in by_code["schizophrenia_spectrum"].detail
    assert "psychosis_history" in by_code


def test_depression_with_psychotic_features_implies_psychosis_history() -> None:
    """ICD-10-CM F33.3 (MDD recurrent severe with psychotic symptoms) -> §3b psychosis rule."""
    assert "psychosis_history" in found(clean(diagnosis_codes=frozenset({"F333"})), ESK)


@pytest.mark.parametrize("code", ["F30.2", "F31.2", "F31.5", "F31.64", "F06.2"])
def test_mood_and_organic_disorders_with_psychotic_features_imply_psychosis_history(
    code: str,
) -> None:
    """Psychosis is a label warning (§3b) and a common racemic exclusion (§3c), whatever
    disorder carries it; F31.x stays bipolar too."""
    by_code = found(clean(diagnosis_codes=frozenset({code})), IV)
    assert "psychosis_history" in by_code and code in by_code["psychosis_history"].detail
    if code.startswith("F31"):
        assert "mania_without_mood_stabiliser" in by_code


def test_substance_induced_psychosis_implies_psychosis_history_and_nothing_else_does() -> None:
    """F1x.[129]5x is exactly the substance-induced psychotic disorders of the tabular."""
    import re

    from ketacare.clinical.eligibility.inputs import implied_by

    for code in icd.get_all_codes(with_dots=True):
        if not re.match(r"^F1\d\.", code):
            continue
        psychotic = "psychotic" in icd.get_description(code).lower()
        assert ("psychosis_history" in implied_by(code)) is psychotic, code
    assert "psychosis_history" in found(clean(diagnosis_codes=frozenset({"F12.259"})), IV)


def test_family_history_of_psychosis_is_a_caution() -> None:
    """clinical.md §3c (psyon.cz exclusion list) [PRACTICE]."""
    evaluation = history("family_history_psychosis")
    assert severity(evaluation, IV, "family_history_psychosis") is Severity.CAUTION


@pytest.mark.parametrize("key", ["bipolar_disorder", "mania_history"])
def test_bipolar_or_mania_without_mood_stabiliser_is_relative(key: str) -> None:
    """clinical.md §2b, §14, P6 [PRACTICE]: most protocols require a current mood stabiliser
    or antipsychotic; §3c P4: history of mania is a common exclusion."""
    evaluation = history(key, indication=Indication.PTSD)
    by_code = found(evaluation, IV)
    assert by_code["mania_without_mood_stabiliser"].severity is Severity.RELATIVE
    assert "bipolar_mania_monitoring" not in by_code


def test_bipolar_on_a_mood_stabiliser_is_a_caution_to_monitor_mania() -> None:
    """clinical.md §14 [PRACTICE/EVIDENCE]: add-on with a mood stabiliser, monitor YMRS."""
    by_code = found(history("bipolar_disorder", mood_stabiliser_current=True), IV)
    assert by_code["bipolar_mania_monitoring"].severity is Severity.CAUTION
    assert "mania_without_mood_stabiliser" not in by_code


def test_bipolar_diagnosis_code_counts_as_bipolar_disorder() -> None:
    """ICD-10-CM F31.x is bipolar disorder: §14 applies without the checklist box."""
    by_code = found(clean(diagnosis_codes=frozenset({"F31.81"})), IV)
    assert "F31.81" in by_code["mania_without_mood_stabiliser"].detail


def test_diagnosis_prefixes_are_the_icd10cm_categories_they_claim() -> None:
    """The code prefixes in DIAGNOSIS_IMPLIES exist in the April 2026 ICD-10-CM tabular."""
    expected = {
        "F30": "Manic episode",
        "F31": "Bipolar disorder",
        "F32.3": "Major depressive disorder, single episode, severe with psychotic features",
        "F33.3": "Major depressive disorder, recurrent, severe with psychotic symptoms",
        "F30.2": "Manic episode, severe with psychotic symptoms",
        "F31.2": "Bipolar disorder, current episode manic severe with psychotic features",
        "F31.5": "Bipolar disorder, current episode depressed, severe, with psychotic features",
        "F31.64": "Bipolar disorder, current episode mixed, severe, with psychotic features",
        "F06.2": "Psychotic disorder with delusions due to known physiological condition",
    }
    for prefix, _ in DIAGNOSIS_IMPLIES:
        if prefix == "F2":
            assert icd.get_description("F20") == "Schizophrenia"
            assert icd.get_description("F29").startswith("Unspecified psychosis")
        else:
            assert icd.get_description(prefix) == expected[prefix]


# --- cardiovascular, neurological, respiratory --------------------------------------------


@pytest.mark.parametrize("route", list(Route))
def test_uncontrolled_hypertension_is_relative(route: Route) -> None:
    """clinical.md §3b, S9/S12 [LABEL] (do not give where a BP rise poses a serious risk);
    §3c, S14 ketamine label, S25 [GUIDELINE]."""
    evaluation = history("uncontrolled_hypertension")
    assert severity(evaluation, route, "uncontrolled_hypertension") is Severity.RELATIVE


def test_hypertensive_encephalopathy_history_is_a_caution_to_monitor_more() -> None:
    """clinical.md §3b, S12 [LABEL]: monitor more intensively and more often."""
    finding = found(history("hypertensive_encephalopathy"), ESK)["hypertensive_encephalopathy"]
    assert finding.severity is Severity.CAUTION
    assert "more intensively" in finding.detail


@pytest.mark.parametrize("route", list(Route))
def test_unstable_cardiovascular_disease_is_relative(route: Route) -> None:
    """clinical.md §2b, S9 [LABEL-EU] (esketamine); §3c, S25 [GUIDELINE] (racemic: do not use
    in poorly controlled cardiovascular disease)."""
    evaluation = history("unstable_cardiovascular_disease")
    assert severity(evaluation, route, "unstable_cardiovascular_disease") is Severity.RELATIVE


def test_unstable_respiratory_condition_is_a_caution_for_the_setting() -> None:
    """clinical.md §2b, §19, S9 [LABEL-EU]: resuscitation equipment and CPR-trained staff."""
    finding = found(history("respiratory_disease_unstable"), ESK)["respiratory_disease_unstable"]
    assert finding.severity is Severity.CAUTION
    assert "resuscitation" in finding.detail


@pytest.mark.parametrize("route", list(Route))
def test_raised_intracranial_pressure_is_relative(route: Route) -> None:
    """clinical.md §3b, S9/S12 [LABEL]; §3c, S25 grade C [GUIDELINE], P4."""
    evaluation = history("raised_intracranial_pressure")
    assert severity(evaluation, route, "raised_intracranial_pressure") is Severity.RELATIVE


@pytest.mark.parametrize("route", list(Route))
def test_raised_intraocular_pressure_is_relative(route: Route) -> None:
    """clinical.md §3c, S25 grade C [GUIDELINE]; P4 [PRACTICE]."""
    evaluation = history("raised_intraocular_pressure_glaucoma")
    code = "raised_intraocular_pressure_glaucoma"
    assert severity(evaluation, route, code) is Severity.RELATIVE


def test_recent_seizures_are_relative() -> None:
    """clinical.md §3c, P4 [PRACTICE]: recent epilepsy is a common clinic exclusion."""
    evaluation = history("seizure_disorder_recent")
    assert severity(evaluation, IV, "seizure_disorder_recent") is Severity.RELATIVE


# --- substance use, liver, bladder --------------------------------------------------------


@pytest.mark.parametrize("route", list(Route))
def test_active_substance_use_disorder_is_relative(route: Route) -> None:
    """clinical.md §2b/§3b, S2 (5.3), S4 [LABEL]; §3c, §14, S25 [GUIDELINE] (no serial
    infusions with active abuse)."""
    evaluation = history("active_substance_use_disorder")
    assert severity(evaluation, route, "active_substance_use_disorder") is Severity.RELATIVE


def test_substance_use_disorder_history_is_a_caution() -> None:
    """clinical.md §3b, S4 [LABEL]: careful consideration and monitoring."""
    evaluation = history("substance_use_disorder_history")
    assert severity(evaluation, ESK, "substance_use_disorder_history") is Severity.CAUTION


@pytest.mark.parametrize("route", list(Route))
def test_severe_hepatic_impairment_is_relative(route: Route) -> None:
    """clinical.md §3b/§14, S2 (8.6) [LABEL] (Child-Pugh C not recommended); §3c, S25 (avoid)."""
    evaluation = history("severe_hepatic_impairment")
    assert severity(evaluation, route, "severe_hepatic_impairment") is Severity.RELATIVE


def test_moderate_hepatic_impairment_is_a_caution_for_longer_monitoring() -> None:
    """clinical.md §3b, §6c, S2 (8.6) [LABEL]: Child-Pugh B may need longer monitoring."""
    finding = found(history("moderate_hepatic_impairment"), ESK)["moderate_hepatic_impairment"]
    assert finding.severity is Severity.CAUTION
    assert "longer monitoring" in finding.detail


def test_bladder_symptoms_are_a_caution() -> None:
    """clinical.md §18, S2 (5.9) [LABEL]: urinary tract symptoms; ask at visits."""
    assert severity(history("interstitial_cystitis"), ESK, "interstitial_cystitis") is (
        Severity.CAUTION
    )


# --- pregnancy, breastfeeding, age --------------------------------------------------------


def test_pregnancy_is_relative_for_esketamine() -> None:
    """clinical.md §3b, §14, S2 [LABEL]: may cause fetal harm, not recommended (a warning, not
    a contraindication: §3a note)."""
    evaluation = clean(sex_at_birth=SexAtBirth.FEMALE, pregnant=TriState.YES)
    assert severity(evaluation, ESK, "pregnancy") is Severity.RELATIVE


@pytest.mark.parametrize("route", RACEMIC)
def test_pregnancy_blocks_racemic_ketamine_by_clinic_policy(route: Route) -> None:
    """clinical.md §3c "Suggested encoding" [PRACTICE]: pregnancy is absolute by clinic policy."""
    evaluation = clean(sex_at_birth=SexAtBirth.FEMALE, pregnant=TriState.YES)
    assert severity(evaluation, route, "pregnancy") is Severity.HARD_STOP


@pytest.mark.parametrize("route", list(Route))
def test_breastfeeding_is_relative(route: Route) -> None:
    """clinical.md §3b/§14, S2 [LABEL] (not recommended); §3c, P4 [PRACTICE]."""
    evaluation = clean(sex_at_birth=SexAtBirth.FEMALE, breastfeeding=TriState.YES)
    assert severity(evaluation, route, "breastfeeding") is Severity.RELATIVE


def test_planning_a_pregnancy_is_a_caution() -> None:
    """clinical.md §2b, S2 (5.10) [LABEL]: advise on pregnancy planning and prevention."""
    evaluation = clean(sex_at_birth=SexAtBirth.FEMALE, planning_pregnancy=TriState.YES)
    assert severity(evaluation, ESK, "planning_pregnancy") is Severity.CAUTION


def test_unknown_pregnancy_status_is_a_caution_unless_male() -> None:
    """clinical.md §2b, S2 (5.10) [LABEL]: capture pregnancy status for people of reproductive
    potential."""
    unknown = {"pregnant": TriState.UNKNOWN}
    female = clean(sex_at_birth=SexAtBirth.FEMALE, **unknown)
    assert severity(female, ESK, "pregnancy_status_unknown") is Severity.CAUTION
    assert "pregnancy" in found(female, ESK)["pregnancy_status_unknown"].detail
    assert severity(
        clean(sex_at_birth=SexAtBirth.UNKNOWN, **unknown), ESK, "pregnancy_status_unknown"
    )
    assert severity(clean(**unknown), ESK, "pregnancy_status_unknown") is None  # male


@pytest.mark.parametrize(("age", "flagged"), [(17, True), (18, False)])
@pytest.mark.parametrize("route", list(Route))
def test_under_18_is_relative(age: int, flagged: bool, route: Route) -> None:
    """clinical.md §1/§3b, S3 [LABEL]: esketamine not approved under 18; §14: paediatric
    ketamine is research only."""
    expected = Severity.RELATIVE if flagged else None
    assert severity(clean(age_years=age), route, "under_18") is expected


@pytest.mark.parametrize(("age", "flagged"), [(64, False), (65, True)])
def test_65_or_over_is_a_caution(age: int, flagged: bool) -> None:
    """clinical.md §5b, §14, S9 [LABEL-EU] (28 mg start) and S37 [EVIDENCE] (BP surges rise
    with age)."""
    expected = Severity.CAUTION if flagged else None
    assert severity(clean(age_years=age), ESK, "age_65_or_over") is expected


# --- baseline vitals ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "flagged"),
    [(140, 90, False), (141, 80, True), (120, 91, True), (181, 111, True)],
)
@pytest.mark.parametrize("route", list(Route))
def test_baseline_bp_above_140_over_90_is_relative(
    systolic: int, diastolic: int, flagged: bool, route: Route
) -> None:
    """clinical.md §3b, §9, S12/S9 [LABEL] general guide >140/90 ("consider delaying");
    P3 [PRACTICE] for IV ketamine."""
    evaluation = clean(vitals=BaselineVitals(systolic, diastolic, 70, 98))
    expected = Severity.RELATIVE if flagged else None
    assert severity(evaluation, route, "baseline_bp_elevated") is expected


def test_missing_baseline_bp_is_a_caution() -> None:
    """clinical.md §2b, S12 [LABEL]: assess BP before initiating esketamine."""
    evaluation = clean(vitals=BaselineVitals(systolic_mmhg=120))
    assert severity(evaluation, ESK, "baseline_bp_missing") is Severity.CAUTION


@pytest.mark.parametrize(
    ("vitals", "flagged"),
    [
        (BaselineVitals(120, 80, 70, 94), True),  # SpO2 < 95
        (BaselineVitals(89, 60, 70, 98), True),  # SBP < 90
        (BaselineVitals(120, 80, 49, 98), True),  # HR < 50
        (BaselineVitals(120, 80, 121, 98), True),  # HR > 120
        (BaselineVitals(90, 60, 50, 95), False),  # all on the limits
        (BaselineVitals(120, 80, 120, 98), False),
    ],
)
def test_vitals_outside_trial_limits_are_a_caution(vitals: BaselineVitals, flagged: bool) -> None:
    """clinical.md §3c, §9, P1 [PRACTICE]: trial eligibility limits SpO2 <95%, SBP <90,
    HR <50 or >120."""
    expected = Severity.CAUTION if flagged else None
    assert severity(clean(vitals=vitals), IV, "baseline_vitals_outside_range") is expected


def test_bmi_above_30_is_a_note_on_weight_basis_for_racemic_routes_only() -> None:
    """clinical.md §7a, §14 [UNCONFIRMED]: mg/kg weight basis above BMI 30 is not settled."""
    evaluation = clean(vitals=BaselineVitals(120, 80, 70, 98, Decimal("30.1")))
    assert severity(evaluation, IV, "bmi_weight_basis") is Severity.INFO
    assert severity(evaluation, ESK, "bmi_weight_basis") is None  # fixed dose
    at_limit = clean(vitals=BaselineVitals(120, 80, 70, 98, Decimal("30")))
    assert severity(at_limit, IV, "bmi_weight_basis") is None


# --- screening, indication, REMS ----------------------------------------------------------


def test_positive_audit_c_is_a_caution() -> None:
    """clinical.md §2b/§4, S2 (5.3, 7.1) [LABEL]: alcohol is a CNS depressant and misuse risk;
    P4: 24 h without alcohol."""
    evaluation = clean(audit_c_positive=True)
    assert severity(evaluation, ESK, "alcohol_screen_positive") is Severity.CAUTION


@pytest.mark.parametrize("route", list(Route))
def test_trd_with_fewer_than_two_adequate_failed_trials_is_a_caution(route: Route) -> None:
    """clinical.md §2a, S9 [LABEL-EU], S26 [GUIDELINE]: TRD = ≥2 adequate failed trials in
    the current episode; the issue makes fewer a caution."""
    finding = found(clean(antidepressant_trials=TRIALS[:1]), route)["trd_fewer_than_min_trials"]
    assert finding.severity is Severity.CAUTION
    assert "1 adequate failed" in finding.detail


def test_trd_rule_applies_only_to_the_trd_indication() -> None:
    """clinical.md §2a: the count is for a TRD indication."""
    evaluation = clean(indication=Indication.PTSD, antidepressant_trials=())
    assert "trd_fewer_than_min_trials" not in found(evaluation, IV)
    assert decide(evaluation, IV).trd is None


def test_trd_with_bipolar_disorder_is_a_caution() -> None:
    """clinical.md §2a, §14, S26 [GUIDELINE]: bipolar depression is excluded from TRD."""
    evaluation = history("bipolar_disorder", mood_stabiliser_current=True)
    assert severity(evaluation, IV, "trd_definition_excludes_bipolar") is Severity.CAUTION


def test_mdsi_with_esketamine_requires_an_oral_antidepressant() -> None:
    """clinical.md §1, §5c, S4/S12 [LABEL]; appendix: hard-coded for esketamine."""
    mdsi = clean(indication=Indication.MDD_SUICIDAL_IDEATION)
    finding = found(mdsi, ESK)["mdsi_requires_oral_antidepressant"]
    assert finding.severity is Severity.HARD_STOP
    with_ad = clean(indication=Indication.MDD_SUICIDAL_IDEATION, oral_antidepressant_current=True)
    assert "mdsi_requires_oral_antidepressant" not in found(with_ad, ESK)
    assert "mdsi_requires_oral_antidepressant" not in found(mdsi, IV)


@pytest.mark.parametrize("route", list(Route))
def test_suicidal_ideation_indication_warns_it_does_not_replace_hospitalisation(
    route: Route,
) -> None:
    """clinical.md §1, §16, S3/S11 [LABEL]: not shown to prevent suicide; does not replace
    hospitalisation."""
    evaluation = clean(
        indication=Indication.MDD_SUICIDAL_IDEATION, oral_antidepressant_current=True
    )
    code = "suicidality_not_substitute_for_hospitalisation"
    assert severity(evaluation, route, code) is Severity.CAUTION


@pytest.mark.parametrize(
    "indication", [Indication.PTSD, Indication.ANXIETY, Indication.CHRONIC_PAIN, Indication.OTHER]
)
def test_esketamine_outside_its_labelled_indications_is_relative(indication: Indication) -> None:
    """clinical.md §1, S1/S10 [LABEL]: esketamine is indicated for TRD and MDSI in adults."""
    evaluation = clean(indication=indication)
    assert severity(evaluation, ESK, "esketamine_off_label_indication") is Severity.RELATIVE
    assert severity(evaluation, IV, "esketamine_off_label_indication") is None


@pytest.mark.parametrize("route", RACEMIC)
def test_racemic_ketamine_notes_off_label_consent(route: Route) -> None:
    """clinical.md §1, §2b, S21 (ASKP3) [GUIDELINE]: consent documents off-label status."""
    assert severity(clean(), route, "off_label_consent") is Severity.INFO


def test_take_home_note_is_for_the_oral_route_only() -> None:
    """clinical.md §1, S15 [PRACTICE]: take-home plans carry a warning and a rationale."""
    assert severity(clean(), Route.ORAL_SUBLINGUAL_RACEMIC, "take_home_warning") is Severity.INFO
    assert severity(clean(), IV, "take_home_warning") is None
    assert severity(clean(), Route.IM_RACEMIC, "take_home_warning") is None


@pytest.mark.parametrize(
    "changes",
    [
        {"rems_enrolled": False},
        {"rems_patient_id": None},
        {"rems_patient_id": "  "},
        {"rems_enrolled_on": None},
    ],
)
def test_missing_rems_enrolment_is_a_caution_for_esketamine(changes: dict[str, Any]) -> None:
    """clinical.md §2c, S6/S7 [REMS]: the patient must be enrolled before the first treatment."""
    evaluation = clean(**changes)
    assert severity(evaluation, ESK, "rems_enrolment_pending") is Severity.CAUTION
    assert severity(evaluation, IV, "rems_enrolment_pending") is None


def test_medication_flags_reach_the_decision() -> None:
    """clinical.md §4, S2 (7.1) [LABEL]: stimulants -> BP monitoring, CNS depressants ->
    sedation (details in test_interactions.py)."""
    evaluation = clean(current_medications=(Medication("methylphenidate"), Medication("zolpidem")))
    by_code = found(evaluation, ESK)
    assert by_code["stimulant_blood_pressure"].severity is Severity.CAUTION
    assert by_code["hypnotic_sedation"].severity is Severity.CAUTION


# --- catalogue-wide -----------------------------------------------------------------------


def test_every_rule_cites_a_section_of_the_reference_and_a_tag() -> None:
    """Style rule 5: each rule cites its source in shared/reference."""
    for code, rule in RULES.items():
        specs = [s for s in (rule.esketamine, rule.racemic) if s is not None]
        assert specs, code
        for spec in specs:
            assert spec.source.startswith("clinical.md §"), code
            assert spec.why.endswith((".", ")")), code
            assert spec.tag in Tag, code


def test_every_checklist_item_maps_to_a_rule() -> None:
    """The UI renders MEDICAL_HISTORY; each ticked box must reach a finding."""
    for key in MEDICAL_HISTORY:
        ticked = history(key, mood_stabiliser_current=False)
        codes = set(found(ticked, IV)) | set(found(ticked, ESK))
        assert codes - set(found(clean(), IV)) - set(found(clean(), ESK)), key


def test_unknown_checklist_key_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="medical_history: unknown condition key 'glaucoma'"):
        history("glaucoma")


def test_malformed_diagnosis_code_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="diagnosis_codes: 'XX' is not"):
        clean(diagnosis_codes=frozenset({"xx"}))


@pytest.mark.parametrize("age", [-1, 131, True])
def test_implausible_age_is_refused(age: Any) -> None:
    with pytest.raises(ValueError, match="age_years"):
        clean(age_years=age)
