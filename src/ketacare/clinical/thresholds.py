"""A clinic's scoring thresholds: the cut-offs and bands the scale library is called with, and
the risk-flag level each PHQ-9 item 9 / QIDS-SR16 item 12 answer raises.

    t = ScoringThresholds(pcl5_cutoff=31)
    score("pcl5", answers, **score_params("pcl5", t))
    decide_flag("phq9", answers, None, t.risk)
    problems = check_values({"pcl5_cutoff": 40})      # {"pcl5_cutoff": ("PCL-5 …",)}

Only what the reference marks as population-dependent, configurable or practice variation is
here (see each `SPECS` entry's source). Deliberately constant, with the section cited where the
constant lives: the PHQ-2 cut-off 3 (scales/phq.py; instruments.md §2 gives ≥3 and ≥2 as two
validated choices but marks neither as configurable), the PHQ-9 and GAD-7 severity bands
(✅ instruments.md §1, §3), and the C-SSRS triage (scales/cssrs.py; clinical.md §16b).

Pure Python: no Django. Each rule is a small function returning a `RuleCheck` (ok + reasons).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ketacare.clinical.risk import DEFAULT_RISK_RULES, RiskRules
from ketacare.clinical.scales.gad7 import GAD7_BANDS, GAD7_CUTOFF
from ketacare.clinical.scales.madrs import MADRS_BANDS
from ketacare.clinical.scales.model import Band
from ketacare.clinical.scales.pain import EPPOC_BANDS, HL7EU_BANDS
from ketacare.clinical.scales.pcl5 import DEFAULT_CUTOFF as PCL5_CUTOFF

# Flag levels, lowest first. There is no "none": an item-9 / item-12 answer above 0 always
# raises a flag and asks for a C-SSRS screen (clinical.md §12, §16a; instruments.md §1, §7).
LEVELS = ("low", "moderate", "high")
# The floor a clinic may not go below, per answer (1 "several days" … 3 "nearly every day"):
# any answer above 0 flags at least low (§16a), and the top answer is always high (graded risk,
# Simon 2013, instruments.md §1 [S24]; a clinic may make a flag more sensitive, not this one
# less). Levels must also not fall as the answer rises (the same graded increase). Answer 2
# ("more than half the days") is at least moderate: no source gives its level, and "low"
# would leave thoughts of death on most days unescalated until the next business day — a
# choice of this project on the safe side, which a clinic may raise but not lower.
LEVEL_FLOOR: Mapping[int, str] = MappingProxyType({1: "low", 2: "moderate", 3: "high"})
RISK_ITEMS: Mapping[str, str] = MappingProxyType(
    {"phq9_item9": "PHQ-9 item 9", "qids_item12": "QIDS-SR16 item 12"}
)

# The pain NRS band conventions instruments.md §11 names (⚠️ [S46][S47]: "keep bands
# configurable"); a clinic picks one, as both are published sets with their own labels.
PAIN_BAND_SETS: Mapping[str, tuple[Band, ...]] = MappingProxyType(
    {"hl7eu": HL7EU_BANDS, "eppoc": EPPOC_BANDS}
)
PAIN_BAND_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "hl7eu": "hl7.eu: 0 none · 1–3 mild · 4–6 moderate · 7–9 severe · 10 excruciating",
        "eppoc": "ePPOC: 0–4 none to mild · 5–6 moderate · 7–10 severe",
    }
)

MADRS_MAX = 60
MADRS_KEYS = ("madrs_mild_from", "madrs_moderate_from", "madrs_severe_from")


@dataclass(frozen=True)
class ScoringThresholds:
    """The values one clinic scores with. Defaults are the library's, each cited at its source."""

    # Probable PTSD at or above (instruments.md §4: 31–33, population-dependent, configurable).
    pcl5_cutoff: int = PCL5_CUTOFF
    # Probable GAD at or above (instruments.md §3; clinical.md §12 [PRACTICE; weak source]).
    gad7_cutoff: int = GAD7_CUTOFF
    # MADRS band starts: mild, moderate, severe (Snaith 1986 ⚠️, instruments.md §6: "make bands
    # configurable"; Müller 2003 puts moderate/severe at 31).
    madrs_mild_from: int = MADRS_BANDS[1].low
    madrs_moderate_from: int = MADRS_BANDS[2].low
    madrs_severe_from: int = MADRS_BANDS[3].low
    # Pain NRS band convention (instruments.md §11).
    pain_nrs_bands: str = "hl7eu"
    risk: RiskRules = DEFAULT_RISK_RULES
    # Who set these when they differ from the defaults (shown with the page's rows).
    source: str = field(default="", compare=False)


DEFAULTS = ScoringThresholds()


@dataclass(frozen=True)
class Spec:
    """One configurable threshold: its words, default, allowed values and source."""

    key: str
    label: str
    default: int | str
    source: str
    low: int = 0
    high: int = 0
    choices: tuple[tuple[str, str], ...] = ()


def _level_key(item: str, answer: int) -> str:
    return f"{item}.{answer}"


def _risk_default(item: str, answer: int) -> str:
    table = (
        DEFAULT_RISK_RULES.phq9_item9_levels
        if item == "phq9_item9"
        else DEFAULT_RISK_RULES.qids_item12_levels
    )
    return dict(table)[answer]


LEVEL_CHOICES = tuple((level, level) for level in LEVELS)
LEVEL_KEYS = frozenset(f"{item}.{answer}" for item in RISK_ITEMS for answer in (1, 2, 3))


def level_choices(answer: int) -> tuple[tuple[str, str], ...]:
    """The levels an answer may be given: its floor and above (the page offers no other)."""
    return LEVEL_CHOICES[LEVELS.index(LEVEL_FLOOR[answer]) :]


SPECS: tuple[Spec, ...] = (
    Spec(
        "pcl5_cutoff",
        "PCL-5: probable PTSD at a total of at least",
        PCL5_CUTOFF,
        "instruments.md §4: 31–33 suggested, population-dependent, “make it configurable”; 33 is "
        "the value of derived_rule_vectors.json. Range 31–33 is the reference's own range",
        31,
        33,
    ),
    Spec(
        "gad7_cutoff",
        "GAD-7: probable GAD at a total of at least",
        GAD7_CUTOFF,
        "instruments.md §3 (≥10 probable GAD); clinical.md §12 marks it [PRACTICE; weak source]. "
        "Range 5–15: the GAD-7 band edges of §3 (mild starts at 5, severe at 15)",
        GAD7_BANDS[1].low,
        GAD7_BANDS[3].low,
    ),
    Spec(
        "madrs_mild_from",
        "MADRS: mild from a total of",
        MADRS_BANDS[1].low,
        "Snaith 1986 (0–6 absent · 7–19 mild), instruments.md §6 ⚠️ “make bands configurable”",
        1,
        MADRS_MAX - 2,
    ),
    Spec(
        "madrs_moderate_from",
        "MADRS: moderate from a total of",
        MADRS_BANDS[2].low,
        "Snaith 1986 (20–34 moderate), instruments.md §6 ⚠️",
        2,
        MADRS_MAX - 1,
    ),
    Spec(
        "madrs_severe_from",
        "MADRS: severe from a total of",
        MADRS_BANDS[3].low,
        "Snaith 1986 and Müller 2000 (≥35 severe); Müller 2003 puts the moderate/severe split "
        "at 31; instruments.md §6",
        3,
        MADRS_MAX,
    ),
    Spec(
        "pain_nrs_bands",
        "Pain NRS: band convention",
        "hl7eu",
        "instruments.md §11 ⚠️: conventions differ (hl7.eu with SNOMED interpretations; ePPOC), "
        "“keep bands configurable”",
        choices=tuple(PAIN_BAND_LABELS.items()),
    ),
    *(
        Spec(
            _level_key(item, answer),
            f"{words} answered {answer} of 3: flag level",
            _risk_default(item, answer),
            "any answer above 0 is clinically significant and needs a same-day C-SSRS "
            "(clinical.md §12, §16a [PRACTICE]; instruments.md §1 ⚠️; QIDS-SR16 item 12 follows "
            "PHQ-9 item 9 as platform policy, §7). Default "
            + ("moderate" if answer == 1 else "high (graded risk, Simon 2013, instruments.md §1)"),
            choices=level_choices(answer),
        )
        for item, words in RISK_ITEMS.items()
        for answer in (1, 2)
    ),
)
SPEC_BY_KEY: Mapping[str, Spec] = MappingProxyType({s.key: s for s in SPECS})
# The answer-3 levels are not settable: LEVEL_FLOOR fixes them at high.
FIXED_LEVELS: Mapping[str, str] = MappingProxyType(
    {_level_key(item, 3): LEVEL_FLOOR[3] for item in RISK_ITEMS}
)


@dataclass(frozen=True)
class RuleCheck:
    ok: bool
    reasons: tuple[str, ...]


def check_whole_number(spec: Spec, value: object) -> RuleCheck:
    """A cut-off or band start is a whole number inside the spec's range."""
    if isinstance(value, bool) or not isinstance(value, int):
        return RuleCheck(False, (f"{spec.label}: give a whole number.",))
    if not spec.low <= value <= spec.high:
        return RuleCheck(
            False,
            (
                f"{spec.label}: must be between {spec.low} and {spec.high} "
                f"(default {spec.default}).",
            ),
        )
    return RuleCheck(True, (f"{spec.label} {value}: within {spec.low}–{spec.high}.",))


def check_choice(spec: Spec, value: object) -> RuleCheck:
    allowed = [code for code, _ in spec.choices]
    if value not in allowed:
        return RuleCheck(False, (f"{spec.label}: choose one of {', '.join(allowed)}.",))
    return RuleCheck(True, (f"{spec.label}: {value}.",))


def check_madrs_bands(mild: int, moderate: int, severe: int) -> RuleCheck:
    """The three band starts rise, so every band (absent, mild, moderate, severe) is at least
    one point wide and the four cover 0–60 without gaps (check_bands in scales/model.py)."""
    if 0 < mild < moderate < severe <= MADRS_MAX:
        return RuleCheck(True, (f"MADRS bands 0–{mild - 1}, {mild}–{moderate - 1}, "
                                f"{moderate}–{severe - 1}, {severe}–{MADRS_MAX}.",))  # fmt: skip
    return RuleCheck(
        False,
        (
            f"MADRS bands: mild ({mild}) must start below moderate ({moderate}), and moderate "
            f"below severe ({severe}), so every band keeps at least one score.",
        ),
    )


def check_answer_level(item: str, answer: int, level: object, below: str | None) -> RuleCheck:
    """One answer's flag level against the floor (`LEVEL_FLOOR`): it raises a flag, is not
    under the floor for that answer, and is not lower than the level of the answer `below`."""
    words = RISK_ITEMS[item]
    if level not in LEVELS:
        return RuleCheck(
            False,
            (
                f"{words} answered {answer}: must raise a flag (low, moderate or high); an "
                "answer above 0 always asks for a C-SSRS screen (clinical.md §16a).",
            ),
        )
    assert isinstance(level, str)
    if LEVELS.index(level) < LEVELS.index(LEVEL_FLOOR[answer]):
        return RuleCheck(
            False,
            (
                f"{words} answered {answer}: cannot be below {LEVEL_FLOOR[answer]} (the floor: "
                "“more than half the days” is at least moderate and “nearly every day” always "
                "high; instruments.md §1).",
            ),
        )
    if below in LEVELS and LEVELS.index(level) < LEVELS.index(str(below)):
        return RuleCheck(
            False,
            (
                f"{words} answered {answer}: cannot be a lower level ({level}) than answered "
                f"{answer - 1} ({below}); risk rises with the answer (instruments.md §1).",
            ),
        )
    return RuleCheck(True, (f"{words} answered {answer} → {level}.",))


def check_item_levels(item: str, levels: Mapping[int, object]) -> dict[int, RuleCheck]:
    """The checks of answers 1-3 of one risk item, by answer; refused ones have ok False."""
    checks = {}
    below: str | None = None
    for answer in (1, 2, 3):
        level = levels.get(answer)
        checks[answer] = check_answer_level(item, answer, level, below)
        below = level if isinstance(level, str) else None
    return checks


def check_values(values: Mapping[str, object]) -> dict[str, tuple[str, ...]]:
    """Every problem with a set of values (`Spec.key` → value; missing keys keep the default;
    the answer-3 levels may be given and must be high), by key. Empty when all are acceptable."""
    problems: dict[str, tuple[str, ...]] = {}
    for key in values:
        if key not in SPEC_BY_KEY and key not in FIXED_LEVELS:
            problems[key] = (f"{key} is not a threshold a clinic can change.",)
    full = {**{s.key: s.default for s in SPECS}, **FIXED_LEVELS, **values}
    for spec in SPECS:
        if spec.key in LEVEL_KEYS:
            continue  # flag levels: check_item_levels below, with the floor's own words
        value = full[spec.key]
        check = check_choice(spec, value) if spec.choices else check_whole_number(spec, value)
        if not check.ok:
            problems[spec.key] = check.reasons
    cuts = [full[k] for k in MADRS_KEYS]
    if not any(k in problems for k in MADRS_KEYS):
        mild, moderate, severe = (int(str(c)) for c in cuts)
        madrs = check_madrs_bands(mild, moderate, severe)
        if not madrs.ok:
            problems["madrs_moderate_from"] = madrs.reasons
    for item in RISK_ITEMS:
        levels = {answer: full[_level_key(item, answer)] for answer in (1, 2, 3)}
        for answer, check in check_item_levels(item, levels).items():
            key = _level_key(item, answer)
            if not check.ok and key not in problems:
                problems[key] = check.reasons
    return problems


def thresholds_from(values: Mapping[str, Any], source: str = "") -> ScoringThresholds:
    """The thresholds for a set of acceptable values (missing keys keep the default).
    Raises ValueError naming the problems when `check_values` would refuse them."""
    problems = check_values(values)
    if problems:
        raise ValueError("; ".join(r for reasons in problems.values() for r in reasons))
    full: dict[str, Any] = {**{s.key: s.default for s in SPECS}, **FIXED_LEVELS, **values}
    get = full.__getitem__
    risk = RiskRules(
        phq9_item9_levels=tuple((a, get(_level_key("phq9_item9", a))) for a in (1, 2, 3)),
        qids_item12_levels=tuple((a, get(_level_key("qids_item12", a))) for a in (1, 2, 3)),
        cssrs_flag_levels=DEFAULT_RISK_RULES.cssrs_flag_levels,
    )
    t = ScoringThresholds(
        pcl5_cutoff=get("pcl5_cutoff"),
        gad7_cutoff=get("gad7_cutoff"),
        madrs_mild_from=get("madrs_mild_from"),
        madrs_moderate_from=get("madrs_moderate_from"),
        madrs_severe_from=get("madrs_severe_from"),
        pain_nrs_bands=get("pain_nrs_bands"),
        risk=risk,
        source=source,
    )
    return t if t != DEFAULTS else DEFAULTS


def values_of(t: ScoringThresholds) -> dict[str, int | str]:
    """`Spec.key` → the value `t` uses (the inverse of `thresholds_from`)."""
    values: dict[str, int | str] = {
        "pcl5_cutoff": t.pcl5_cutoff,
        "gad7_cutoff": t.gad7_cutoff,
        "madrs_mild_from": t.madrs_mild_from,
        "madrs_moderate_from": t.madrs_moderate_from,
        "madrs_severe_from": t.madrs_severe_from,
        "pain_nrs_bands": t.pain_nrs_bands,
    }
    for item, table in (
        ("phq9_item9", t.risk.phq9_item9_levels),
        ("qids_item12", t.risk.qids_item12_levels),
    ):
        for answer, level in table:
            if answer in (1, 2):
                values[_level_key(item, answer)] = level
    return values


def madrs_bands(t: ScoringThresholds) -> tuple[Band, ...]:
    labels = [band.label for band in MADRS_BANDS]
    starts = (0, t.madrs_mild_from, t.madrs_moderate_from, t.madrs_severe_from)
    ends = (*(s - 1 for s in starts[1:]), MADRS_MAX)
    return tuple(Band(lo, hi, label) for lo, hi, label in zip(starts, ends, labels, strict=True))


def bands_for(scale_code: str, t: ScoringThresholds) -> tuple[Band, ...] | None:
    """The clinic's bands for a scale whose bands are configurable, else None (library's)."""
    if scale_code == "madrs":
        return madrs_bands(t)
    if scale_code == "pain_nrs":
        return PAIN_BAND_SETS[t.pain_nrs_bands]
    return None


def score_params(scale_code: str, t: ScoringThresholds) -> dict[str, Any]:
    """The keyword arguments `Scale.score` takes for this clinic. Only values that differ from
    the library's default are passed, so a clinic on the defaults scores (and explains) exactly
    as the library does."""
    params: dict[str, Any] = {}
    if scale_code == "pcl5" and t.pcl5_cutoff != DEFAULTS.pcl5_cutoff:
        params["cutoff"] = t.pcl5_cutoff
    elif scale_code == "gad7" and t.gad7_cutoff != DEFAULTS.gad7_cutoff:
        params["cutoff"] = t.gad7_cutoff
    elif scale_code in ("madrs", "pain_nrs"):
        bands = bands_for(scale_code, t)
        if bands != bands_for(scale_code, DEFAULTS):
            params["bands"] = bands
    return params
