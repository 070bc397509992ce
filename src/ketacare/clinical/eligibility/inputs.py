"""What the eligibility engine reads: the evaluation and the medical-history checklist.

`MEDICAL_HISTORY` is the fixed checklist the evaluation form renders (key -> label, section);
the engine maps each ticked key to a finding (rules.py). Diagnosis codes also imply some keys
(`DIAGNOSIS_IMPLIES`), so a chart coded F31.x is treated as bipolar even if the box was not
ticked. Keys outside the checklist are refused, naming the key: a misspelt condition must not
silently drop out of the check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from ketacare.clinical.icd10 import is_well_formed, normalise_code
from ketacare.clinical.interactions import Medication
from ketacare.clinical.treatment_resistance import AntidepressantTrial


class Indication(StrEnum):
    TRD = "trd"
    MDD_SUICIDAL_IDEATION = "mdd_suicidal_ideation"  # MDSI (esketamine label, §1, §5c)
    PTSD = "ptsd"
    ANXIETY = "anxiety"
    CHRONIC_PAIN = "chronic_pain"
    OTHER = "other"


class TriState(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class SexAtBirth(StrEnum):
    FEMALE = "female"
    MALE = "male"
    INTERSEX = "intersex"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class HistoryItem:
    label: str
    section: str


def _item(label: str, section: str) -> HistoryItem:
    return HistoryItem(label, section)


_NEURO = "Vascular and neurological"
_CARDIO = "Cardiovascular and respiratory"
_PSYCH = "Psychiatric"
_SUBSTANCE = "Substance use"
_OTHER = "Liver, eye, bladder and allergy"

MEDICAL_HISTORY: Mapping[str, HistoryItem] = MappingProxyType(
    {
        "aneurysmal_vascular_disease": _item(
            "Aneurysmal vascular disease (thoracic or abdominal aorta, intracranial or "
            "peripheral arteries)",
            _NEURO,
        ),
        "arteriovenous_malformation": _item("Arteriovenous malformation", _NEURO),
        "intracerebral_haemorrhage": _item("History of intracerebral haemorrhage", _NEURO),
        "raised_intracranial_pressure": _item(
            "Raised intracranial pressure, or a condition where a rise would be dangerous", _NEURO
        ),
        "seizure_disorder_recent": _item("Epilepsy or seizures, recent", _NEURO),
        "uncontrolled_hypertension": _item("Uncontrolled hypertension", _CARDIO),
        "hypertensive_encephalopathy": _item("History of hypertensive encephalopathy", _CARDIO),
        "unstable_cardiovascular_disease": _item(
            "Poorly controlled or unstable cardiovascular disease (e.g. ischaemic heart "
            "disease, heart failure, unstable arrhythmia)",
            _CARDIO,
        ),
        "respiratory_disease_unstable": _item(
            "Clinically significant or unstable respiratory condition", _CARDIO
        ),
        "psychosis_current": _item("Current (active) psychotic symptoms", _PSYCH),
        "psychosis_history": _item("History of psychosis", _PSYCH),
        "schizophrenia_spectrum": _item(
            "Schizophrenia, schizoaffective or other primary psychotic disorder (lifetime)", _PSYCH
        ),
        "family_history_psychosis": _item("First-degree relative with psychosis", _PSYCH),
        "mania_history": _item("History of mania or hypomania (including drug-induced)", _PSYCH),
        "bipolar_disorder": _item("Bipolar disorder", _PSYCH),
        "active_substance_use_disorder": _item(
            "Active substance use disorder (including alcohol)", _SUBSTANCE
        ),
        "substance_use_disorder_history": _item(
            "History of substance use disorder (including alcohol), not active", _SUBSTANCE
        ),
        "severe_hepatic_impairment": _item("Severe hepatic impairment (Child-Pugh C)", _OTHER),
        "moderate_hepatic_impairment": _item("Moderate hepatic impairment (Child-Pugh B)", _OTHER),
        "raised_intraocular_pressure_glaucoma": _item(
            "Raised intraocular pressure or glaucoma", _OTHER
        ),
        "interstitial_cystitis": _item(
            "Interstitial cystitis or lower urinary tract symptoms", _OTHER
        ),
        "ketamine_hypersensitivity": _item(
            "Hypersensitivity to ketamine, esketamine or an excipient", _OTHER
        ),
    }
)

# ICD-10-CM code prefix -> checklist keys it implies (codes checked against the April 2026
# tabular in simple-icd-10-cm, see tests). F2x = schizophrenia spectrum and other psychotic
# disorders; F30 manic episode; F31 bipolar disorder; F32.3/F33.3 = depression with psychotic
# features; F30.2/F31.2/F31.5/F31.64 = manic, bipolar depressed or mixed episode with psychotic
# features; F06.2 = psychotic disorder with delusions due to another condition (psychosis is a
# label warning, §3b, and a common racemic exclusion, §3c). A prefix implies every key of every
# prefix it starts with (F31.2 is bipolar and psychosis).
DIAGNOSIS_IMPLIES: tuple[tuple[str, frozenset[str]], ...] = (
    ("F2", frozenset({"schizophrenia_spectrum", "psychosis_history"})),
    ("F30", frozenset({"mania_history"})),
    ("F30.2", frozenset({"psychosis_history"})),
    ("F31", frozenset({"bipolar_disorder"})),
    ("F31.2", frozenset({"psychosis_history"})),
    ("F31.5", frozenset({"psychosis_history"})),
    ("F31.64", frozenset({"psychosis_history"})),
    ("F32.3", frozenset({"psychosis_history"})),
    ("F33.3", frozenset({"psychosis_history"})),
    ("F06.2", frozenset({"psychosis_history"})),
)

# Substance-induced psychotic disorder: F10-F19, use level 1 (abuse), 2 (dependence) or 9
# (use), then 5 (e.g. F10.159, F12.259, F15.959).
_SUBSTANCE_PSYCHOSIS = re.compile(r"^F1\d\.[129]5")


def implied_by(code: str) -> frozenset[str]:
    """The checklist keys one ICD-10-CM code implies."""
    keys = {
        key for prefix, implied in DIAGNOSIS_IMPLIES if code.startswith(prefix) for key in implied
    }
    if _SUBSTANCE_PSYCHOSIS.match(code):
        keys.add("psychosis_history")
    return frozenset(keys)


@dataclass(frozen=True)
class BaselineVitals:
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    heart_rate_bpm: int | None = None
    spo2_pct: int | None = None
    bmi_kg_m2: Decimal | None = None


@dataclass(frozen=True)
class Evaluation:
    """The facts of a comprehensive evaluation the engine decides on (clinical.md §2b)."""

    age_years: int
    indication: Indication
    sex_at_birth: SexAtBirth = SexAtBirth.UNKNOWN
    pregnant: TriState = TriState.UNKNOWN
    breastfeeding: TriState = TriState.UNKNOWN
    planning_pregnancy: TriState = TriState.UNKNOWN
    diagnosis_codes: frozenset[str] = frozenset()
    medical_history: frozenset[str] = frozenset()
    mood_stabiliser_current: bool = False  # mood stabiliser or antipsychotic (§14)
    oral_antidepressant_current: bool = False  # required for MDSI with esketamine (§5c)
    current_medications: tuple[Medication, ...] = ()
    antidepressant_trials: tuple[AntidepressantTrial, ...] = ()
    vitals: BaselineVitals = field(default_factory=BaselineVitals)
    audit_c_positive: bool | None = None  # None = not screened
    rems_enrolled: bool = False
    rems_patient_id: str | None = None
    rems_enrolled_on: date | None = None

    def __post_init__(self) -> None:
        if isinstance(self.age_years, bool) or not isinstance(self.age_years, int):
            raise ValueError(f"age_years: expected an integer, got {self.age_years!r}")
        if not 0 <= self.age_years <= 130:
            raise ValueError(f"age_years: {self.age_years} is outside 0-130")
        unknown = sorted(set(self.medical_history) - MEDICAL_HISTORY.keys())
        if unknown:
            raise ValueError(f"medical_history: unknown condition key {unknown[0]!r}")
        codes = frozenset(normalise_code(c) for c in self.diagnosis_codes)
        bad = sorted(c for c in codes if not is_well_formed(c))
        if bad:
            raise ValueError(f"diagnosis_codes: {bad[0]!r} is not a well-formed ICD-10-CM code")
        object.__setattr__(self, "diagnosis_codes", codes)
        object.__setattr__(self, "medical_history", frozenset(self.medical_history))
        object.__setattr__(self, "current_medications", tuple(self.current_medications))
        object.__setattr__(self, "antidepressant_trials", tuple(self.antidepressant_trials))

    @property
    def conditions(self) -> frozenset[str]:
        """Ticked checklist keys plus those the diagnosis codes imply."""
        implied = {key for code in self.diagnosis_codes for key in implied_by(code)}
        return self.medical_history | implied
