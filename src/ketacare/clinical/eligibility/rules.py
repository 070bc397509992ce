"""The catalogue of eligibility rules: for each finding code, its title and, per route family
(esketamine / racemic ketamine), the default severity, evidence tag, source and reason.

Sources are sections of shared/reference/clinical.md with their source IDs. Severity defaults
follow the reference: §3a esketamine label contraindications are hard stops; §3b label
warnings and §3c off-label lists are relative (need a prescriber's documented justification)
unless the text only asks for monitoring, which makes them cautions; §3c's "suggested encoding"
([PRACTICE]) also blocks racemic ketamine for the three label contraindications, active
psychosis and pregnancy. For esketamine the §3a note is followed: psychosis and pregnancy are
label *warnings*, not contraindications, so they are relative there.

`locked` marks a default that is a legal floor: a [LABEL] or [REMS] rule for esketamine, and
hypersensitivity on the ketamine injection label. A clinic may make a rule stricter, never
weaker than a locked default (policy.py enforces it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ketacare.clinical.findings import RACEMIC_ROUTES, Route, Severity, Tag
from ketacare.clinical.interactions import FLAG_SPECS

HARD, RELATIVE, CAUTION, INFO = (
    Severity.HARD_STOP,
    Severity.RELATIVE,
    Severity.CAUTION,
    Severity.INFO,
)
LOCKING_TAGS = frozenset({Tag.LABEL, Tag.REMS})


@dataclass(frozen=True)
class RuleSpec:
    severity: Severity
    tag: Tag
    source: str
    why: str
    locked: bool = False


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    esketamine: RuleSpec | None
    racemic: RuleSpec | None
    # Racemic routes the rule applies to (default: all of them).
    racemic_routes: frozenset[Route] = RACEMIC_ROUTES

    def spec(self, route: Route) -> RuleSpec | None:
        if route.is_esketamine:
            return self.esketamine
        return self.racemic if route in self.racemic_routes else None


def _esk(severity: Severity, tag: Tag, source: str, why: str) -> RuleSpec:
    return RuleSpec(severity, tag, f"clinical.md {source}", why, locked=tag in LOCKING_TAGS)


def _both(severity: Severity, tag: Tag, source: str, why: str) -> tuple[RuleSpec, RuleSpec]:
    """The same default for both families; only the esketamine side can be a legal floor."""
    return _esk(severity, tag, source, why), _rac(severity, tag, source, why)


def _rac(severity: Severity, tag: Tag, source: str, why: str, locked: bool = False) -> RuleSpec:
    return RuleSpec(severity, tag, f"clinical.md {source}", why, locked=locked)


_RACEMIC_BLOCK = (
    "By clinic policy the esketamine label contraindications also block racemic ketamine "
    "(the reference's suggested encoding); the clinic may change this."
)
_PSYCHOSIS_LABEL = (
    "Esketamine label: assess carefully and start only if the benefit outweighs the risk "
    "(a warning, not a contraindication)."
)


def _label_contraindication(code: str, title: str) -> Rule:
    return Rule(
        code,
        title,
        _esk(HARD, Tag.LABEL, "§3a, S3, S12 [LABEL]", "A label contraindication to esketamine."),
        _rac(HARD, Tag.PRACTICE, "§3c suggested encoding [PRACTICE]", _RACEMIC_BLOCK),
    )


_RULES: tuple[Rule, ...] = (
    _label_contraindication("aneurysmal_vascular_disease", "Aneurysmal vascular disease"),
    _label_contraindication("arteriovenous_malformation", "Arteriovenous malformation"),
    _label_contraindication("intracerebral_haemorrhage", "History of intracerebral haemorrhage"),
    Rule(
        "ketamine_hypersensitivity",
        "Hypersensitivity to ketamine or esketamine",
        _esk(HARD, Tag.LABEL, "§3a, S3, S12 [LABEL]", "A label contraindication to esketamine."),
        _rac(
            HARD,
            Tag.LABEL,
            "§3c, S14 (ketamine injection label) [LABEL]",
            "A contraindication on the ketamine injection label.",
            locked=True,
        ),
    ),
    Rule(
        "psychosis_current",
        "Active psychosis",
        _esk(RELATIVE, Tag.LABEL, "§3a note, §3b, S2 (5.2) [LABEL]", _PSYCHOSIS_LABEL),
        _rac(
            HARD,
            Tag.PRACTICE,
            "§3c suggested encoding, P4 [PRACTICE]; S25 [GUIDELINE]",
            "Blocks racemic ketamine by clinic policy (suggested encoding); the pain "
            "guideline advises avoiding it in poorly controlled psychosis.",
        ),
    ),
    Rule(
        "psychosis_history",
        "History of psychosis",
        _esk(RELATIVE, Tag.LABEL, "§3b, S2 (5.2) [LABEL]", _PSYCHOSIS_LABEL),
        _rac(
            RELATIVE,
            Tag.PRACTICE,
            "§3c, P4 [PRACTICE]",
            "Current or recent psychosis is a common clinic exclusion.",
        ),
    ),
    Rule(
        "schizophrenia_spectrum",
        "Primary psychotic disorder",
        _esk(RELATIVE, Tag.LABEL, "§3b, S2 (5.2) [LABEL]", _PSYCHOSIS_LABEL),
        _rac(
            RELATIVE,
            Tag.PRACTICE,
            "§3c (lifetime primary psychotic disorder, psyon.cz) [PRACTICE]",
            "A lifetime primary psychotic disorder is a common clinic exclusion.",
        ),
    ),
    Rule(
        "family_history_psychosis",
        "Family history of psychosis",
        *_both(
            CAUTION,
            Tag.PRACTICE,
            "§3c (psyon.cz) [PRACTICE]",
            "Some clinics exclude a first-degree family history of psychosis; watch for "
            "psychotic symptoms.",
        ),
    ),
    Rule(
        "mania_without_mood_stabiliser",
        "Bipolar disorder or mania without a mood stabiliser",
        *_both(
            RELATIVE,
            Tag.PRACTICE,
            "§2b, §14, P6; §3c, P4 [PRACTICE]",
            "Most protocols require a current mood stabiliser or antipsychotic before "
            "ketamine in bipolar disorder or after mania.",
        ),
    ),
    Rule(
        "bipolar_mania_monitoring",
        "Bipolar disorder or mania: monitor for mania",
        *_both(
            CAUTION,
            Tag.PRACTICE,
            "§14 [PRACTICE/EVIDENCE]",
            "On a mood stabiliser or antipsychotic: monitor for treatment-emergent mania "
            "(e.g. YMRS).",
        ),
    ),
    Rule(
        "uncontrolled_hypertension",
        "Uncontrolled hypertension",
        _esk(
            RELATIVE,
            Tag.LABEL,
            "§3b, S9, S12 [LABEL]",
            "Do not give esketamine where a rise in blood pressure poses a serious risk.",
        ),
        _rac(
            RELATIVE,
            Tag.LABEL,
            "§3c, S14 (ketamine injection label; wording to verify) [LABEL]; S25 [GUIDELINE]",
            "The ketamine label contraindicates it where a significant rise in blood pressure "
            "would be a serious hazard: the prescriber judges and documents.",
        ),
    ),
    Rule(
        "hypertensive_encephalopathy",
        "History of hypertensive encephalopathy",
        _esk(
            CAUTION,
            Tag.LABEL,
            "§3b, S12 [LABEL]",
            "Monitor blood pressure more intensively and more often.",
        ),
        _rac(
            CAUTION,
            Tag.PRACTICE,
            "§3b, S12 (esketamine label, applied by analogy) [PRACTICE]",
            "Monitor blood pressure more intensively and more often.",
        ),
    ),
    Rule(
        "unstable_cardiovascular_disease",
        "Unstable cardiovascular disease",
        _esk(
            RELATIVE,
            Tag.LABEL_EU,
            "§2b, §3b, S9 [LABEL-EU]; S12",
            "A rise in blood pressure may pose a serious risk; unstable disease needs a "
            "setting with resuscitation equipment and CPR-trained staff.",
        ),
        _rac(
            RELATIVE,
            Tag.GUIDELINE,
            "§3c, S25 [GUIDELINE]",
            "The pain guideline advises against use in poorly controlled cardiovascular disease.",
        ),
    ),
    Rule(
        "respiratory_disease_unstable",
        "Unstable respiratory condition",
        _esk(
            CAUTION,
            Tag.LABEL_EU,
            "§2b, §19, S9 [LABEL-EU]; boxed warning S1",
            "Needs a setting with resuscitation equipment and CPR-trained staff; respiratory "
            "depression is a boxed warning: pulse oximetry at every session.",
        ),
        _rac(
            CAUTION,
            Tag.PRACTICE,
            "§2b, §19 (S9 by analogy), S14 [PRACTICE]",
            "Needs resuscitation equipment and airway-trained staff at hand.",
        ),
    ),
    Rule(
        "raised_intracranial_pressure",
        "Raised intracranial pressure",
        _esk(
            RELATIVE,
            Tag.LABEL,
            "§3b, S9, S12 [LABEL]",
            "Do not give where a rise in intracranial pressure poses a serious risk.",
        ),
        _rac(
            RELATIVE,
            Tag.GUIDELINE,
            "§3c, S25 (grade C) [GUIDELINE]; P4 [PRACTICE]",
            "Do not use, or only at lower doses with extreme caution.",
        ),
    ),
    Rule(
        "raised_intraocular_pressure_glaucoma",
        "Raised intraocular pressure or glaucoma",
        *_both(
            RELATIVE,
            Tag.GUIDELINE,
            "§3c, S25 (grade C) [GUIDELINE]; P4 [PRACTICE]",
            "Do not use, or only at lower doses with extreme caution (pain guideline for "
            "racemic ketamine; not an esketamine label item).",
        ),
    ),
    Rule(
        "seizure_disorder_recent",
        "Recent seizures",
        *_both(RELATIVE, Tag.PRACTICE, "§3c, P4 [PRACTICE]", "A common clinic exclusion."),
    ),
    Rule(
        "active_substance_use_disorder",
        "Active substance use disorder",
        _esk(
            RELATIVE,
            Tag.LABEL,
            "§2b, §3b, S2 (5.3, 9.2), S4 [LABEL]",
            "Assess abuse and misuse risk before esketamine; careful consideration and monitoring.",
        ),
        _rac(
            RELATIVE,
            Tag.GUIDELINE,
            "§3c, §14, S25 [GUIDELINE]",
            "Do not start serial infusions with active substance abuse.",
        ),
    ),
    Rule(
        "substance_use_disorder_history",
        "History of substance use disorder",
        _esk(
            CAUTION,
            Tag.LABEL,
            "§3b, S4 [LABEL]",
            "Careful consideration and monitoring for abuse and misuse.",
        ),
        _rac(
            CAUTION,
            Tag.GUIDELINE,
            "§3c, §14, S25 [GUIDELINE]",
            "Universal precautions for abuse; some clinics require a year's abstinence [PRACTICE].",
        ),
    ),
    Rule(
        "severe_hepatic_impairment",
        "Severe hepatic impairment",
        _esk(
            RELATIVE,
            Tag.LABEL,
            "§3b, §14, S2 (8.6) [LABEL]",
            "Child-Pugh C was not studied: esketamine is not recommended.",
        ),
        _rac(
            RELATIVE,
            Tag.GUIDELINE,
            "§3c, §14, S25 [GUIDELINE]",
            "Avoid in severe hepatic dysfunction.",
        ),
    ),
    Rule(
        "moderate_hepatic_impairment",
        "Moderate hepatic impairment",
        _esk(
            CAUTION,
            Tag.LABEL,
            "§3b, §6c, S2 (8.6) [LABEL]",
            "Child-Pugh B may need longer monitoring after each dose.",
        ),
        _rac(
            CAUTION,
            Tag.GUIDELINE,
            "§3c, §14, S25 [GUIDELINE]",
            "Use judiciously, with monitoring.",
        ),
    ),
    Rule(
        "interstitial_cystitis",
        "Bladder symptoms or interstitial cystitis",
        _esk(
            CAUTION,
            Tag.LABEL,
            "§18, S2 (5.9) [LABEL]",
            "Urinary tract symptoms occur with esketamine: ask at visits and refer as needed.",
        ),
        _rac(
            CAUTION,
            Tag.EVIDENCE,
            "§1, §18, S14, S15 [LABEL/EVIDENCE]",
            "Ketamine is linked to cystitis and lower urinary tract symptoms: ask at visits.",
        ),
    ),
    Rule(
        "pregnancy",
        "Pregnancy",
        _esk(
            RELATIVE,
            Tag.LABEL,
            "§3a note, §3b, §14, S2, S3 [LABEL]",
            "May cause fetal harm; not recommended (a label warning, not a contraindication). "
            "Pregnancy registry 1-844-405-6185.",
        ),
        _rac(
            HARD,
            Tag.PRACTICE,
            "§3c suggested encoding, P4 [PRACTICE]",
            "Blocks racemic ketamine by clinic policy (suggested encoding).",
        ),
    ),
    Rule(
        "breastfeeding",
        "Breastfeeding",
        _esk(RELATIVE, Tag.LABEL, "§3b, §14, S2 [LABEL]", "Breastfeeding is not recommended."),
        _rac(RELATIVE, Tag.PRACTICE, "§3c, P4 [PRACTICE]", "A common clinic exclusion."),
    ),
    Rule(
        "planning_pregnancy",
        "Planning a pregnancy",
        _esk(
            CAUTION,
            Tag.LABEL,
            "§2b, S2 (5.10) [LABEL]",
            "Advise on pregnancy planning and prevention.",
        ),
        _rac(
            CAUTION,
            Tag.PRACTICE,
            "§3c, P4 [PRACTICE]",
            "Advise on pregnancy planning; some services exclude IVF.",
        ),
    ),
    Rule(
        "pregnancy_status_unknown",
        "Pregnancy or breastfeeding status not recorded",
        _esk(
            CAUTION,
            Tag.LABEL,
            "§2b, S2 (5.10) [LABEL]",
            "Record it for people of reproductive potential before the first dose.",
        ),
        _rac(
            CAUTION,
            Tag.PRACTICE,
            "§2b, P1 [PRACTICE]",
            "Record it before the first dose (trial protocols test hCG).",
        ),
    ),
    Rule(
        "under_18",
        "Under 18",
        _esk(RELATIVE, Tag.LABEL, "§1, §3b, S3 [LABEL]", "Esketamine is not approved under 18."),
        _rac(
            RELATIVE,
            Tag.PRACTICE,
            "§14, S3 [PRACTICE]",
            "Ketamine for paediatric depression is research only.",
        ),
    ),
    Rule(
        "age_65_or_over",
        "Aged 65 or over",
        _esk(
            CAUTION,
            Tag.LABEL_EU,
            "§5b, §14, S9 [LABEL-EU]; S37 [EVIDENCE]",
            "The EU/UK label starts at 28 mg (a jurisdiction setting); blood-pressure surges "
            "increase with age.",
        ),
        _rac(
            CAUTION,
            Tag.EVIDENCE,
            "§7e, §14, S37 [EVIDENCE]",
            "Blood-pressure surges during infusion increase with age.",
        ),
    ),
    Rule(
        "baseline_bp_elevated",
        "Baseline blood pressure elevated",
        _esk(
            RELATIVE,
            Tag.LABEL,
            "§3b, §9, S12, S9 [LABEL] (exact US wording unconfirmed)",
            "Weigh the short-term rise in blood pressure against the benefit; consider "
            "delaying treatment.",
        ),
        _rac(
            RELATIVE,
            Tag.PRACTICE,
            "§9, P3 [PRACTICE]",
            "One clinic refuses to dose above 140/90 at rest; the prescriber decides.",
        ),
    ),
    Rule(
        "baseline_bp_missing",
        "Baseline blood pressure not recorded",
        _esk(
            CAUTION,
            Tag.LABEL,
            "§2b, S12 [LABEL]",
            "Blood pressure must be assessed before esketamine is started.",
        ),
        _rac(
            CAUTION,
            Tag.GUIDELINE,
            "§2b, S20 (via summary) [GUIDELINE]",
            "Baseline blood pressure is on the APA task-force checklist.",
        ),
    ),
    Rule(
        "baseline_vitals_outside_range",
        "Baseline vital signs outside usual limits",
        *_both(
            CAUTION,
            Tag.PRACTICE,
            "§3c, §9, P1 [PRACTICE]",
            "Outside limits used as trial eligibility criteria: recheck before the first dose.",
        ),
    ),
    Rule(
        "bmi_weight_basis",
        "Weight basis for mg/kg dosing",
        None,
        _rac(
            INFO,
            Tag.UNCONFIRMED,
            "§7a, §14 [UNCONFIRMED]",
            "Whether to dose on actual, ideal or adjusted weight above this BMI is not "
            "standardised: the protocol must say.",
        ),
    ),
    Rule(
        "alcohol_screen_positive",
        "Positive alcohol screen (AUDIT-C)",
        _esk(
            CAUTION,
            Tag.LABEL,
            "§2b, §4, S2 (5.3, 7.1) [LABEL]; P4 [PRACTICE]",
            "Alcohol adds sedation and is a misuse risk; some services require 24 h without "
            "alcohol around a dose.",
        ),
        _rac(
            CAUTION,
            Tag.PRACTICE,
            "§4, §17, P4 [PRACTICE]",
            "Alcohol adds sedation; some services require 24 h without alcohol around a dose.",
        ),
    ),
    Rule(
        "trd_fewer_than_min_trials",
        "Treatment resistance not established",
        *_both(
            CAUTION,
            Tag.GUIDELINE,
            "§2a, S9 [LABEL-EU], S26 [GUIDELINE]",
            "The TRD indication rests on adequate failed trials in the current episode.",
        ),
    ),
    Rule(
        "trd_definition_excludes_bipolar",
        "Bipolar depression is outside the TRD definition",
        *_both(
            CAUTION,
            Tag.GUIDELINE,
            "§2a, §14, S26 [GUIDELINE]",
            "Formal TRD definitions exclude bipolar depression: record the indication accordingly.",
        ),
    ),
    Rule(
        "mdsi_requires_oral_antidepressant",
        "No oral antidepressant for the suicidal-ideation indication",
        _esk(
            HARD,
            Tag.LABEL,
            "§1, §5c, S4, S12 [LABEL]",
            "For MDD with acute suicidal ideation or behaviour esketamine must be given with "
            "an oral antidepressant: record one to proceed.",
        ),
        None,
    ),
    Rule(
        "suicidality_not_substitute_for_hospitalisation",
        "Suicidal ideation: not a substitute for hospitalisation",
        *_both(
            CAUTION,
            Tag.LABEL,
            "§1, §16, S3, S11 [LABEL]",
            "Neither ketamine nor esketamine has been shown to prevent suicide; treatment "
            "does not replace hospitalisation when clinically warranted.",
        ),
    ),
    Rule(
        "esketamine_off_label_indication",
        "Esketamine for an unlabelled indication",
        _esk(
            RELATIVE,
            Tag.LABEL,
            "§1, S1, S10 [LABEL]",
            "Esketamine is indicated in adults for TRD and for MDD with acute suicidal "
            "ideation or behaviour; other uses are off-label.",
        ),
        None,
    ),
    Rule(
        "off_label_consent",
        "Off-label use: consent",
        None,
        _rac(
            INFO,
            Tag.GUIDELINE,
            "§1, §2b, S21 (ASKP3 items 1-4) [GUIDELINE]",
            "Racemic ketamine for psychiatric and pain uses is off-label: the informed consent "
            "must document it.",
        ),
    ),
    Rule(
        "take_home_warning",
        "Take-home doses",
        None,
        _rac(
            INFO,
            Tag.PRACTICE,
            "§1, S15 [PRACTICE]",
            "A plan with take-home doses needs a warning flag and a documented rationale "
            "(FDA warning on at-home compounded ketamine, October 2023).",
        ),
        racemic_routes=frozenset({Route.ORAL_SUBLINGUAL_RACEMIC}),
    ),
    Rule(
        "rems_enrolment_pending",
        "SPRAVATO REMS enrolment before the first dose",
        _esk(
            CAUTION,
            Tag.REMS,
            "§2c, S6, S7 [REMS]",
            "The patient must be enrolled in the SPRAVATO REMS before the first treatment; a "
            "first dose cannot be scheduled until the enrolment date and identifier are "
            "recorded.",
        ),
        None,
    ),
)


def _interaction_rules() -> tuple[Rule, ...]:
    rules = []
    for spec in FLAG_SPECS.values():
        source = spec.source.removeprefix("clinical.md ")
        esk = _esk(spec.severity, spec.tag, source, spec.why)
        # The label statements are esketamine's; for racemic ketamine they are defaults only.
        rac = None if spec.esketamine_only else _rac(spec.severity, spec.tag, source, spec.why)
        rules.append(Rule(spec.code, spec.title, esk, rac))
    return tuple(rules)


RULES: Mapping[str, Rule] = MappingProxyType(
    {rule.code: rule for rule in (*_RULES, *_interaction_rules())}
)
