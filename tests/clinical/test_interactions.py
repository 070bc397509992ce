"""Medication interaction flags (clinical.md §4): each class, benzodiazepine
diazepam-equivalents against 8 mg/day, free-text names, unknown medicines, clinic edits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketacare.clinical.findings import Route, Severity, Tag
from ketacare.clinical.interactions import (
    DEFAULT_DRUG_TABLE,
    EQUIVALENCE_SOURCE,
    FLAG_SPECS,
    DrugClass,
    DrugEntry,
    InteractionRules,
    Medication,
    classify,
    interaction_flags,
)


def codes(*medications: Medication, route: Route | None = None) -> dict[str, Severity]:
    return {f.code: f.severity for f in interaction_flags(medications, route).findings}


@pytest.mark.parametrize(
    ("drug", "code", "severity"),
    [
        ("lorazepam", "benzodiazepine_sedation", Severity.CAUTION),
        ("oxycodone", "opioid_sedation", Severity.CAUTION),
        ("zolpidem", "hypnotic_sedation", Severity.CAUTION),
        ("eszopiclone", "hypnotic_sedation", Severity.CAUTION),
    ],
)
def test_cns_depressants_flag_sedation(drug: str, code: str, severity: Severity) -> None:
    """clinical.md §4, S2 (7.1) [LABEL]: benzodiazepines, opioids, non-benzodiazepine
    hypnotics may increase sedation — monitor closely."""
    assert codes(Medication(drug))[code] is severity
    (finding,) = [f for f in interaction_flags([Medication(drug)]).findings if f.code == code]
    assert "sedation" in finding.detail
    assert finding.tag is Tag.LABEL


@pytest.mark.parametrize(
    ("drug", "code"),
    [
        ("dextroamphetamine", "stimulant_blood_pressure"),
        ("methylphenidate", "stimulant_blood_pressure"),
        ("modafinil", "stimulant_blood_pressure"),
        ("armodafinil", "stimulant_blood_pressure"),
        ("phenelzine", "maoi_blood_pressure"),
        ("tranylcypromine", "maoi_blood_pressure"),
    ],
)
def test_stimulants_and_maois_flag_blood_pressure(drug: str, code: str) -> None:
    """clinical.md §4, S2 §7 [LABEL]: psychostimulants and MAOIs may increase BP — monitor BP
    closely."""
    (finding,) = interaction_flags([Medication(drug)]).findings
    assert finding.code == code
    assert "monitor blood pressure closely" in finding.detail


def test_lamotrigine_is_a_note_on_adverse_effects() -> None:
    """clinical.md §4, S36 [EVIDENCE]: may reduce adverse effects; efficacy effect unknown."""
    (finding,) = interaction_flags([Medication("Lamictal")]).findings
    assert (finding.code, finding.severity, finding.tag) == (
        "lamotrigine_note",
        Severity.INFO,
        Tag.EVIDENCE,
    )


def test_naltrexone_is_an_unconfirmed_note() -> None:
    """clinical.md §4 and §20 item 9 [UNCONFIRMED]: conflicting small studies."""
    (finding,) = interaction_flags([Medication("naltrexone")]).findings
    assert (finding.severity, finding.tag) == (Severity.INFO, Tag.UNCONFIRMED)
    assert "clinician must verify" in finding.detail


def test_nasal_corticosteroids_are_timed_before_esketamine_only() -> None:
    """clinical.md §4, S11 [LABEL]: nasal corticosteroid or decongestant ≥1 h before."""
    spray = Medication("fluticasone nasal spray")
    assert "nasal_spray_timing" in codes(spray, route=Route.ESKETAMINE_NASAL)
    assert "nasal_spray_timing" not in codes(spray, route=Route.IV_RACEMIC)
    assert "nasal_spray_timing" in codes(spray)  # no route: every flag


@pytest.mark.parametrize(
    ("medications", "total", "flagged"),
    [
        ([Medication("lorazepam", daily_dose_mg=Decimal(1))], Decimal(10), True),
        ([Medication("diazepam", daily_dose_mg=Decimal(8))], Decimal(8), False),  # not > 8
        ([Medication("diazepam", daily_dose_mg=Decimal("8.01"))], Decimal("8.01"), True),
        (
            [
                Medication("alprazolam", daily_dose_mg=Decimal("0.25")),
                Medication("clonazepam", daily_dose_mg=Decimal("0.25")),
            ],
            Decimal(10),
            True,
        ),
        ([Medication("temazepam", daily_dose_mg=Decimal(10))], Decimal(5), False),
    ],
)
def test_benzodiazepine_dose_above_8_mg_diazepam_equivalent_is_flagged(
    medications: list[Medication], total: Decimal, flagged: bool
) -> None:
    """clinical.md §2b/§4, S44 [EVIDENCE]: >8 mg/day diazepam-equivalent distinguished
    non-responders (sens 80%, spec 85%). Equivalents are [UNCONFIRMED]."""
    report = interaction_flags(medications)
    assert report.diazepam_eq_mg_per_day == total
    assert report.diazepam_eq_complete
    by_code = {f.code: f for f in report.findings}
    assert ("benzodiazepine_dose_above_threshold" in by_code) is flagged
    if flagged:
        assert EQUIVALENCE_SOURCE in by_code["benzodiazepine_dose_above_threshold"].detail
        assert "[UNCONFIRMED — clinic to verify]" in EQUIVALENCE_SOURCE


def test_unknown_dose_or_factor_is_reported_and_the_sum_is_a_minimum() -> None:
    report = interaction_flags(
        [
            Medication("lorazepam", daily_dose_mg=Decimal(2)),
            Medication("clonazepam"),
            Medication("clorazepate", daily_dose_mg=Decimal(15)),
        ]
    )
    by_code = {f.code: f for f in report.findings}
    assert "clonazepam, clorazepate" in by_code["benzodiazepine_dose_unknown"].detail
    assert "at least 20 mg/day" in by_code["benzodiazepine_dose_above_threshold"].detail
    assert not report.diazepam_eq_complete


def test_the_threshold_is_a_rule_setting() -> None:
    meds = [Medication("diazepam", daily_dose_mg=Decimal(6))]
    rules = InteractionRules(benzodiazepine_diazepam_eq_above_mg=Decimal(5))
    report = interaction_flags(meds, rules=rules)
    assert "benzodiazepine_dose_above_threshold" in {f.code for f in report.findings}


def test_unknown_medicines_are_returned_and_flagged_never_ignored() -> None:
    report = interaction_flags([Medication("Zzyzx"), Medication("sertraline")])
    assert report.unrecognised == ("Zzyzx",)
    (finding,) = report.findings
    assert finding.code == "unrecognised_medication"
    assert finding.severity is Severity.CAUTION
    assert "Not recognised: Zzyzx." in finding.detail


def test_recognised_medicines_without_interactions_raise_nothing() -> None:
    """clinical.md §4, S36: most conventional antidepressants can be continued."""
    report = interaction_flags([Medication("escitalopram"), Medication("lithium carbonate")])
    assert report.findings == ()
    assert report.unrecognised == ()


@pytest.mark.parametrize(
    ("name", "generic"),
    [
        ("Xanax", "alprazolam"),
        ("Lorazepam 1 mg tablet", "lorazepam"),
        ("ADDERALL XR", "amphetamine"),
        ("  Klonopin  ", "clonazepam"),
    ],
)
def test_brand_names_and_free_text_are_recognised(name: str, generic: str) -> None:
    entries = DEFAULT_DRUG_TABLE.lookup(name)
    assert [e.generic for e in entries] == [generic]


def test_combination_products_raise_each_ingredients_flag() -> None:
    assert set(codes(Medication("naltrexone/bupropion"))) == {"naltrexone_note"}
    classified = classify(Medication("dextroamphetamine-amphetamine"))
    assert classified.classes == frozenset({DrugClass.STIMULANT})


def test_a_combination_benzodiazepine_dose_cannot_be_converted() -> None:
    report = interaction_flags(
        [Medication("chlordiazepoxide/amitriptyline", daily_dose_mg=Decimal(25))]
    )
    assert "benzodiazepine_dose_unknown" in {f.code for f in report.findings}


def test_a_clinician_given_class_wins_over_the_table() -> None:
    assert codes(Medication("Zzyzx", drug_class=DrugClass.OPIOID)) == {
        "opioid_sedation": Severity.CAUTION
    }
    reviewed = interaction_flags([Medication("Zzyzx", drug_class=DrugClass.OTHER)])
    assert (reviewed.findings, reviewed.unrecognised) == ((), ())
    dosed = interaction_flags(
        [Medication("lorazepam", drug_class=DrugClass.BENZODIAZEPINE, daily_dose_mg=Decimal(1))]
    )
    assert dosed.diazepam_eq_mg_per_day == Decimal(10)


def test_a_clinic_can_extend_the_drug_table() -> None:
    table = DEFAULT_DRUG_TABLE.with_entries(
        {"Solriamfetol": DrugEntry("solriamfetol", DrugClass.STIMULANT)}
    )
    report = interaction_flags([Medication("solriamfetol")], table=table)
    assert [f.code for f in report.findings] == ["stimulant_blood_pressure"]
    assert DEFAULT_DRUG_TABLE.lookup("solriamfetol") == ()


def test_one_finding_per_flag_lists_every_drug() -> None:
    report = interaction_flags([Medication("morphine"), Medication("methadone")])
    (finding,) = report.findings
    assert finding.detail.startswith("Taking morphine, methadone.")


def test_every_flag_cites_section_4() -> None:
    for spec in FLAG_SPECS.values():
        assert spec.source.startswith("clinical.md §"), spec.code
        assert "§4" in spec.source, spec.code


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": " "}, "^name:"),
        ({"name": "lorazepam", "daily_dose_mg": -1}, "^daily_dose_mg:"),
        ({"name": "lorazepam", "daily_dose_mg": "1"}, "^daily_dose_mg:"),
        ({"name": "lorazepam", "daily_dose_mg": True}, "^daily_dose_mg:"),
    ],
)
def test_bad_medication_input_is_refused_naming_the_field(
    kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Medication(**kwargs)


def test_float_doses_are_kept_as_typed() -> None:
    # Typed Decimal; a float from a form is accepted and converted as typed, not as binary.
    dose = Medication("alprazolam", daily_dose_mg=0.1)  # type: ignore[arg-type]  # on purpose
    assert dose.daily_dose_mg == Decimal("0.1")
