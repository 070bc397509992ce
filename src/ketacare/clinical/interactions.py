"""Concomitant medicines that bear on ketamine/esketamine treatment, and the flags they raise.

Source: shared/reference/clinical.md §4. CNS depressants (benzodiazepines, opioids,
non-benzodiazepine hypnotics; alcohol is screened by AUDIT-C in the engine) may increase
sedation ([LABEL] S2 7.1); psychostimulants and MAOIs may raise blood pressure ([LABEL], S2 §7
via summary); benzodiazepines above 8 mg/day diazepam-equivalent may blunt the antidepressant
response ([EVIDENCE] S44); lamotrigine may reduce adverse effects ([EVIDENCE] S36); naltrexone
blocking the effect is [UNCONFIRMED]; nasal corticosteroids/decongestants are taken at least
1 hour before esketamine ([LABEL] S11). The REMS monitoring form asks about the same classes
(S8).

The drug table maps generic and a few brand names to a class. It is data: a clinic extends
or corrects it with `DrugTable.with_entries`. **Diazepam equivalents are not in
shared/reference**: the factors below are the Ashton Manual (2002) equivalents as commonly
tabulated, [UNCONFIRMED — clinic to verify]; published tables disagree (e.g. the VA/DoD 2021
table puts alprazolam 1 mg = diazepam 10 mg, Ashton 0.5 mg). A name the table does not know is
never silently ignored: it is returned in `unrecognised` and raised as a caution.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType

from ketacare.clinical.findings import Finding, Route, Severity, Tag


class DrugClass(StrEnum):
    BENZODIAZEPINE = "benzodiazepine"
    NON_BENZODIAZEPINE_HYPNOTIC = "non_benzodiazepine_hypnotic"
    OPIOID = "opioid"
    STIMULANT = "stimulant"
    MAOI = "maoi"
    LAMOTRIGINE = "lamotrigine"
    NALTREXONE = "naltrexone"
    NASAL_CORTICOSTEROID = "nasal_corticosteroid"
    NASAL_DECONGESTANT = "nasal_decongestant"
    # Recognised, with no interaction listed in clinical.md §4 ("most conventional
    # antidepressants can be continued", S36).
    ANTIDEPRESSANT = "antidepressant"
    MOOD_STABILISER = "mood_stabiliser"
    ANTIPSYCHOTIC = "antipsychotic"
    OTHER = "other"


@dataclass(frozen=True)
class DrugEntry:
    generic: str
    drug_class: DrugClass
    # Benzodiazepines: mg of diazepam per mg of this drug. None = no factor: the daily
    # diazepam-equivalent cannot be computed and the engine says so.
    diazepam_mg_per_mg: Decimal | None = None


EQUIVALENCE_SOURCE = (
    "Ashton Manual (2002) diazepam equivalents as commonly tabulated; not in "
    "shared/reference [UNCONFIRMED — clinic to verify]"
)


def _entries() -> dict[str, DrugEntry]:
    table: dict[str, DrugEntry] = {}

    def add(drug_class: DrugClass, generic: str, *brands: str, factor: str | None = None) -> None:
        entry = DrugEntry(generic, drug_class, Decimal(factor) if factor else None)
        for name in (generic, *brands):
            table[name] = entry

    bzd = DrugClass.BENZODIAZEPINE
    # Factor = 10 mg diazepam / the Ashton dose equivalent to it [UNCONFIRMED].
    add(bzd, "diazepam", "valium", factor="1")
    add(bzd, "alprazolam", "xanax", factor="20")  # 0.5 mg
    add(bzd, "clonazepam", "klonopin", "rivotril", factor="20")  # 0.5 mg
    add(bzd, "lorazepam", "ativan", factor="10")  # 1 mg
    add(bzd, "chlordiazepoxide", "librium", factor="0.4")  # 25 mg
    add(bzd, "oxazepam", factor="0.5")  # 20 mg
    add(bzd, "temazepam", "restoril", factor="0.5")  # 20 mg
    add(bzd, "clobazam", "onfi", factor="0.5")  # 20 mg
    add(bzd, "nitrazepam", factor="1")  # 10 mg
    add(bzd, "triazolam", "halcion", factor="20")  # 0.5 mg
    # Ashton gives a range or no oral equivalent: no factor, the engine asks for review.
    for name in ("clorazepate", "estazolam", "flurazepam", "midazolam", "quazepam"):
        add(bzd, name)
    for generic, *brands in (
        ("zolpidem", "ambien"),
        ("zaleplon", "sonata"),
        ("eszopiclone", "lunesta"),
        ("zopiclone",),
    ):
        add(DrugClass.NON_BENZODIAZEPINE_HYPNOTIC, generic, *brands)
    for name in (
        "morphine",
        "oxycodone",
        "hydrocodone",
        "hydromorphone",
        "oxymorphone",
        "fentanyl",
        "methadone",
        "buprenorphine",
        "tramadol",
        "tapentadol",
        "codeine",
    ):
        add(DrugClass.OPIOID, name)
    # clinical.md §4 names amphetamines, methylphenidate, modafinil, armodafinil.
    for generic, *brands in (
        ("amphetamine", "adderall"),
        ("dextroamphetamine", "dexedrine"),
        ("lisdexamfetamine", "vyvanse"),
        ("methylphenidate", "ritalin", "concerta"),
        ("dexmethylphenidate", "focalin"),
        ("modafinil", "provigil"),
        ("armodafinil", "nuvigil"),
    ):
        add(DrugClass.STIMULANT, generic, *brands)
    for generic, *brands in (
        ("phenelzine", "nardil"),
        ("tranylcypromine", "parnate"),
        ("isocarboxazid", "marplan"),
        ("selegiline", "emsam"),
        ("moclobemide",),
    ):
        add(DrugClass.MAOI, generic, *brands)
    add(DrugClass.LAMOTRIGINE, "lamotrigine", "lamictal")
    add(DrugClass.NALTREXONE, "naltrexone", "vivitrol", "revia")
    for name in ("fluticasone", "mometasone"):
        add(DrugClass.NASAL_CORTICOSTEROID, name)
    for name in ("oxymetazoline", "xylometazoline"):
        add(DrugClass.NASAL_DECONGESTANT, name)
    for generic, *brands in (
        ("sertraline", "zoloft"),
        ("fluoxetine", "prozac"),
        ("escitalopram", "lexapro"),
        ("citalopram", "celexa"),
        ("paroxetine", "paxil"),
        ("fluvoxamine",),
        ("venlafaxine", "effexor"),
        ("desvenlafaxine", "pristiq"),
        ("duloxetine", "cymbalta"),
        ("levomilnacipran",),
        ("bupropion", "wellbutrin"),
        ("mirtazapine", "remeron"),
        ("vortioxetine", "trintellix"),
        ("vilazodone",),
        ("trazodone",),
        ("nortriptyline",),
        ("amitriptyline",),
        ("imipramine",),
        ("clomipramine",),
        ("desipramine",),
    ):
        add(DrugClass.ANTIDEPRESSANT, generic, *brands)
    for name in ("lithium", "valproate", "divalproex", "valproic", "carbamazepine"):
        add(DrugClass.MOOD_STABILISER, name)
    for name in (
        "quetiapine",
        "aripiprazole",
        "olanzapine",
        "lurasidone",
        "risperidone",
        "cariprazine",
        "lumateperone",
        "ziprasidone",
        "haloperidol",
        "clozapine",
    ):
        add(DrugClass.ANTIPSYCHOTIC, name)
    return table


def normalise_name(name: str) -> str:
    return " ".join(name.lower().split())


@dataclass(frozen=True)
class DrugTable:
    """Lower-case drug name (generic or brand) -> entry. Clinic-editable data."""

    entries: Mapping[str, DrugEntry] = field(default_factory=lambda: MappingProxyType(_entries()))

    def with_entries(self, extra: Mapping[str, DrugEntry]) -> DrugTable:
        """A copy with `extra` added or replacing entries of the same (normalised) name."""
        merged = dict(self.entries)
        merged.update({normalise_name(k): v for k, v in extra.items()})
        return DrugTable(MappingProxyType(merged))

    def lookup(self, name: str) -> tuple[DrugEntry, ...]:
        """Entries for a free-text name: the whole name, else each word that is a known drug
        ("lorazepam 1 mg tab" -> lorazepam; "naltrexone/bupropion" -> both)."""
        whole = self.entries.get(normalise_name(name))
        if whole is not None:
            return (whole,)
        found: dict[str, DrugEntry] = {}
        for word in re.split(r"[^a-z]+", name.lower()):
            entry = self.entries.get(word)
            if entry is not None:
                found.setdefault(entry.generic, entry)
        return tuple(found.values())


DEFAULT_DRUG_TABLE = DrugTable()


@dataclass(frozen=True)
class Medication:
    """A current medicine. `drug_class` given by the caller wins over the table (a clinician
    can classify a drug the table does not know; `other` = reviewed, no interaction)."""

    name: str
    drug_class: DrugClass | None = None
    daily_dose_mg: Decimal | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("name: medication name is required")
        dose = self.daily_dose_mg
        if dose is not None:
            if isinstance(dose, bool) or not isinstance(dose, int | float | Decimal):
                raise ValueError(f"daily_dose_mg: expected a number, got {dose!r}")
            # Decimal(str(x)) keeps 0.5 as typed rather than its binary approximation.
            object.__setattr__(self, "daily_dose_mg", Decimal(str(dose)))
            if self.daily_dose_mg is not None and self.daily_dose_mg < 0:
                raise ValueError("daily_dose_mg: must not be negative")


@dataclass(frozen=True)
class InteractionRules:
    # > 8 mg/day diazepam-equivalent distinguished ketamine non-responders (sensitivity 80%,
    # specificity 85%; Andrashko 2020) and higher doses attenuated day-1 response in RAPID
    # ([EVIDENCE] S44, clinical.md §4).
    benzodiazepine_diazepam_eq_above_mg: Decimal = Decimal(8)


DEFAULT_INTERACTION_RULES = InteractionRules()


@dataclass(frozen=True)
class FlagSpec:
    """What an interaction flag means, whatever the patient: default severity and source."""

    code: str
    title: str
    severity: Severity
    tag: Tag
    source: str
    why: str
    esketamine_only: bool = False


_SEDATION_WHY = (
    "CNS depressants may increase sedation: monitor closely (esketamine label; applied to "
    "racemic ketamine by the same mechanism)."
)
_BP_WHY = "May increase blood pressure: monitor blood pressure closely."

FLAG_SPECS: Mapping[str, FlagSpec] = MappingProxyType(
    {
        spec.code: spec
        for spec in (
            FlagSpec(
                "benzodiazepine_sedation",
                "Benzodiazepine: added sedation",
                Severity.CAUTION,
                Tag.LABEL,
                "clinical.md §4, S2 (7.1); REMS form S8 [LABEL]",
                _SEDATION_WHY,
            ),
            FlagSpec(
                "benzodiazepine_dose_above_threshold",
                "Benzodiazepine dose may blunt response",
                Severity.CAUTION,
                Tag.EVIDENCE,
                "clinical.md §2b, §4, S44 [EVIDENCE]",
                "Above the diazepam-equivalent threshold, benzodiazepines distinguished "
                "non-responders in one sample and blunted day-1 response in RAPID; holding or "
                "reducing before sessions is clinic practice [PRACTICE].",
            ),
            FlagSpec(
                "benzodiazepine_dose_unknown",
                "Benzodiazepine dose not assessable",
                Severity.CAUTION,
                Tag.EVIDENCE,
                "clinical.md §2b, §4, S44 [EVIDENCE]",
                "The dose is needed to compare with the diazepam-equivalent threshold; record "
                "it or add the drug's factor to the clinic's table.",
            ),
            FlagSpec(
                "opioid_sedation",
                "Opioid: added sedation",
                Severity.CAUTION,
                Tag.LABEL,
                "clinical.md §4, S2 (7.1); REMS form S8 [LABEL]",
                _SEDATION_WHY,
            ),
            FlagSpec(
                "hypnotic_sedation",
                "Non-benzodiazepine hypnotic: added sedation",
                Severity.CAUTION,
                Tag.LABEL,
                "clinical.md §4, S2 (7.1); REMS form S8 [LABEL]",
                _SEDATION_WHY,
            ),
            FlagSpec(
                "stimulant_blood_pressure",
                "Psychostimulant: blood pressure",
                Severity.CAUTION,
                Tag.LABEL,
                "clinical.md §4, S2 §7 (via summary); REMS form S8 [LABEL]",
                _BP_WHY,
            ),
            FlagSpec(
                "maoi_blood_pressure",
                "MAOI: blood pressure",
                Severity.CAUTION,
                Tag.LABEL,
                "clinical.md §4, S2 §7 (via summary); REMS form S8 [LABEL]",
                _BP_WHY,
            ),
            FlagSpec(
                "lamotrigine_note",
                "Lamotrigine",
                Severity.INFO,
                Tag.EVIDENCE,
                "clinical.md §4, S36 [EVIDENCE]",
                "May reduce ketamine's adverse effects; its effect on efficacy is unknown.",
            ),
            FlagSpec(
                "naltrexone_note",
                "Naltrexone",
                Severity.INFO,
                Tag.UNCONFIRMED,
                "clinical.md §4, §20 item 9 [UNCONFIRMED]",
                "Whether naltrexone blocks ketamine's antidepressant effect is unsettled "
                "(conflicting small studies, not retrieved): a clinician must verify.",
            ),
            FlagSpec(
                "nasal_spray_timing",
                "Nasal corticosteroid or decongestant",
                Severity.CAUTION,
                Tag.LABEL,
                "clinical.md §4, S11 [LABEL]",
                "If used as a nasal spray on a dosing day, take it at least 1 hour before "
                "esketamine.",
                esketamine_only=True,
            ),
            FlagSpec(
                "unrecognised_medication",
                "Medicine not recognised by the interaction check",
                Severity.CAUTION,
                Tag.PRACTICE,
                "clinical.md §4 (platform rule: unknown medicines are reported, never ignored)",
                "The interaction check could not classify it: review it by hand, or classify "
                "it (drug class 'other' = reviewed, no interaction).",
            ),
        )
    }
)

# Class -> flag raised for any drug of that class.
_CLASS_FLAGS: Mapping[DrugClass, str] = MappingProxyType(
    {
        DrugClass.BENZODIAZEPINE: "benzodiazepine_sedation",
        DrugClass.OPIOID: "opioid_sedation",
        DrugClass.NON_BENZODIAZEPINE_HYPNOTIC: "hypnotic_sedation",
        DrugClass.STIMULANT: "stimulant_blood_pressure",
        DrugClass.MAOI: "maoi_blood_pressure",
        DrugClass.LAMOTRIGINE: "lamotrigine_note",
        DrugClass.NALTREXONE: "naltrexone_note",
        DrugClass.NASAL_CORTICOSTEROID: "nasal_spray_timing",
        DrugClass.NASAL_DECONGESTANT: "nasal_spray_timing",
    }
)


@dataclass(frozen=True)
class ClassifiedMedication:
    medication: Medication
    classes: frozenset[DrugClass]
    # Benzodiazepines only: mg/day of diazepam, or None when it cannot be computed.
    diazepam_eq_mg: Decimal | None = None


@dataclass(frozen=True)
class InteractionReport:
    findings: tuple[Finding, ...]
    unrecognised: tuple[str, ...]
    medications: tuple[ClassifiedMedication, ...]
    # Sum over benzodiazepines whose equivalent is known; None when none is taken.
    diazepam_eq_mg_per_day: Decimal | None
    # False when some benzodiazepine's equivalent is unknown (the sum is then a minimum).
    diazepam_eq_complete: bool


def classify(medication: Medication, table: DrugTable = DEFAULT_DRUG_TABLE) -> ClassifiedMedication:
    if medication.drug_class is not None:
        entries = table.lookup(medication.name)
        match = [e for e in entries if e.drug_class is medication.drug_class]
        factor = match[0].diazepam_mg_per_mg if len(match) == 1 else None
        classes = frozenset({medication.drug_class})
    else:
        entries = table.lookup(medication.name)
        classes = frozenset(e.drug_class for e in entries)
        # A combination product's dose cannot be split between its ingredients.
        factor = entries[0].diazepam_mg_per_mg if len(entries) == 1 else None
    dose = medication.daily_dose_mg
    equivalent = None
    if DrugClass.BENZODIAZEPINE in classes and factor is not None and dose is not None:
        equivalent = dose * factor
    return ClassifiedMedication(medication, classes, equivalent)


def _fmt_mg(value: Decimal) -> str:
    return f"{value.normalize():f}"


def interaction_flags(
    medications: Iterable[Medication],
    route: Route | None = None,
    table: DrugTable = DEFAULT_DRUG_TABLE,
    rules: InteractionRules = DEFAULT_INTERACTION_RULES,
) -> InteractionReport:
    """Flags for a medication list, one finding per flag with the drugs that raised it.

    Severities are the defaults of `FLAG_SPECS`; the eligibility engine re-grades them with
    the clinic's policy. `route` None means "any route" (esketamine-only flags included).
    """
    classified = tuple(classify(m, table) for m in medications)
    drugs_by_flag: dict[str, list[str]] = {}
    unrecognised: list[str] = []
    for item in classified:
        if not item.classes:
            unrecognised.append(item.medication.name)
            drugs_by_flag.setdefault("unrecognised_medication", []).append(item.medication.name)
        for drug_class in sorted(item.classes):
            code = _CLASS_FLAGS.get(drug_class)
            if code is None:
                continue
            if FLAG_SPECS[code].esketamine_only and route is not None and not route.is_esketamine:
                continue
            drugs_by_flag.setdefault(code, []).append(item.medication.name)

    bzds = [c for c in classified if DrugClass.BENZODIAZEPINE in c.classes]
    total: Decimal | None = None
    complete = True
    if bzds:
        known = [c.diazepam_eq_mg for c in bzds if c.diazepam_eq_mg is not None]
        total = sum(known, Decimal(0))
        unknown = [c.medication.name for c in bzds if c.diazepam_eq_mg is None]
        complete = not unknown
        if unknown:
            drugs_by_flag["benzodiazepine_dose_unknown"] = unknown
        if total > rules.benzodiazepine_diazepam_eq_above_mg:
            drugs_by_flag["benzodiazepine_dose_above_threshold"] = [
                c.medication.name for c in bzds if c.diazepam_eq_mg is not None
            ]

    findings = []
    for code, spec in FLAG_SPECS.items():  # catalogue order: stable output
        drugs = drugs_by_flag.get(code)
        if not drugs:
            continue
        fact = f"Taking {', '.join(drugs)}."
        if code == "benzodiazepine_dose_above_threshold" and total is not None:
            fact = (
                f"Diazepam-equivalent {'at least ' if not complete else ''}{_fmt_mg(total)} "
                f"mg/day ({', '.join(drugs)}) is above "
                f"{_fmt_mg(rules.benzodiazepine_diazepam_eq_above_mg)} mg/day "
                f"(equivalents: {EQUIVALENCE_SOURCE})."
            )
        elif code == "benzodiazepine_dose_unknown":
            fact = f"Diazepam-equivalent unknown for {', '.join(drugs)} (dose or factor missing)."
        elif code == "unrecognised_medication":
            fact = f"Not recognised: {', '.join(drugs)}."
        findings.append(
            Finding(
                code=code,
                severity=spec.severity,
                title=spec.title,
                detail=f"{fact} {spec.why}",
                source=spec.source,
                tag=spec.tag,
                overridable=spec.severity is Severity.RELATIVE,
            )
        )
    return InteractionReport(
        findings=tuple(findings),
        unrecognised=tuple(unrecognised),
        medications=classified,
        diazepam_eq_mg_per_day=total,
        diazepam_eq_complete=complete,
    )
