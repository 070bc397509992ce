"""C-SSRS Screener, "recent" version (Columbia Protocol) with three-tier triage.

Sources: shared/reference/instruments.md §5 and clinical.md §16b. There is no total: the risk
level comes from which questions are answered Yes. Skip logic: Q3-Q5 are asked only when Q2
is Yes; Q6b only when Q6 is Yes. An answer to a question the skip logic did not ask is
refused (ScaleInputError), because it contradicts the answer that skipped it.

Triage (clinical.md §16b; item colours ⚠️ vendor summary + Columbia triage pages):
high = Yes to Q4 or Q5, or behaviour within the past 3 months (Q6 and Q6b Yes);
moderate = Yes to Q3, or behaviour more than 3 months ago (Q6 Yes, Q6b No);
low = Yes to Q1 and/or Q2 only; none = every question answered No (this platform's choice,
where the HL7 BHP example records "Low"; instruments.md §5).

Deliberately not a clinic setting: the high tier is Columbia's triage document ("the same in
every setting", clinical.md §16b, S50) and dosing is blocked on it; §16b marks the three-tier
split below high as [PRACTICE, widely used], but a safety triage is kept identical across
clinics rather than loosened per clinic (clinical.thresholds lists what is configurable).

With answers missing, "high" or "moderate" is still reported when the answered questions
already reach it (more answers can only raise the level, so it is a floor, and a floor that
calls for a flag must raise one: a patient who answers Q3 Yes and stops has said enough);
"low" and "none" are withheld until complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from ketacare.clinical.scales.model import AnswerOption, Item, Scale, ScaleInputError, ScoreResult

CODE = "cssrs_recent"

# LOINC answer list LL5384-4 (instruments.md §5).
YES_NO = (AnswerOption(0, "No", "LA32-8"), AnswerOption(1, "Yes", "LA33-6"))

# LOINC 93374-7 "Suicide risk level"; only "Low" = LA9194-7 is confirmed (instruments.md §5).
RISK_LEVEL_LOINC = "93374-7"
RISK_ANSWER_LOINC = {"low": "LA9194-7"}


class RiskLevel(StrEnum):
    NONE = "none"
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"


# Short content labels from instruments.md §5, not the official question wording.
QUESTIONS = (
    ("1", "Wish to be dead / not wake up (past month)", "93246-7", True),
    ("2", "Actual thoughts of killing yourself (past month)", "93247-5", True),
    ("3", "Thinking about how you might do this (asked if Q2 is Yes)", "93248-3", False),
    ("4", "Thoughts with some intention of acting (asked if Q2 is Yes)", "93249-1", False),
    ("5", "Worked out a plan and intend to carry it out (asked if Q2 is Yes)", "93250-9", False),
    ("6", "Ever done, started or prepared anything to end your life (lifetime)", "93267-3", True),
    ("6b", "Was this within the past 3 months? (asked if Q6 is Yes)", "93269-9", False),
)

HIGH_ACTION = (
    "High risk: patient-safety precautions until a mental-health professional evaluates for "
    "possible hospitalization (Columbia triage; clinical.md §16b)."
)
OTHER_ACTION = (
    "Positive screen below high risk: referral to outpatient care and crisis lines "
    "(Columbia triage; clinical.md §16b)."
)


def _q(n: str) -> str:
    return f"{CODE}-{n}"


def _check_skip_logic(answers: Mapping[str, int]) -> None:
    if answers.get(_q("2")) == 0:
        for n in ("3", "4", "5"):
            if _q(n) in answers:
                raise ScaleInputError(_q(n), "Q3-Q5 are asked only when Q2 is Yes; Q2 is No")
    if answers.get(_q("6")) == 0 and _q("6b") in answers:
        raise ScaleInputError(_q("6b"), "Q6b is asked only when Q6 is Yes; Q6 is No")


def _missing(answers: Mapping[str, int]) -> tuple[str, ...]:
    needed = ["1", "2"]
    if answers.get(_q("2")) == 1:
        needed += ["3", "4", "5"]
    needed.append("6")
    if answers.get(_q("6")) == 1:
        needed.append("6b")
    return tuple(_q(n) for n in needed if _q(n) not in answers)


def _triggers(answers: Mapping[str, int]) -> list[tuple[RiskLevel, str]]:
    """Every (level, reason) that the Yes answers given so far establish."""
    yes = {n for n in ("1", "2", "3", "4", "5", "6", "6b") if answers.get(_q(n)) == 1}
    found: list[tuple[RiskLevel, str]] = []
    if "4" in yes:
        found.append((RiskLevel.HIGH, "Q4 Yes: suicidal thoughts with some intent (past month)"))
    if "5" in yes:
        found.append((RiskLevel.HIGH, "Q5 Yes: plan with intent (past month)"))
    if "6" in yes and "6b" in yes:
        found.append((RiskLevel.HIGH, "Q6 and Q6b Yes: suicidal behaviour within 3 months"))
    if "3" in yes:
        found.append((RiskLevel.MODERATE, "Q3 Yes: thinking about method"))
    if "6" in yes and answers.get(_q("6b")) == 0:
        found.append(
            (RiskLevel.MODERATE, "Q6 Yes, Q6b No: suicidal behaviour more than 3 months ago")
        )
    if "6" in yes and _q("6b") not in answers:
        # Behaviour ever is moderate at the least (more than 3 months ago) and high if recent
        # (§16b): unanswered Q6b cannot lower it below moderate.
        found.append(
            (RiskLevel.MODERATE, "Q6 Yes, Q6b not answered: suicidal behaviour, timing unknown")
        )
    if "1" in yes:
        found.append((RiskLevel.LOW, "Q1 Yes: wish to be dead (past month)"))
    if "2" in yes:
        found.append((RiskLevel.LOW, "Q2 Yes: non-specific active suicidal thoughts (past month)"))
    return found


ORDER = (RiskLevel.NONE, RiskLevel.LOW, RiskLevel.MODERATE, RiskLevel.HIGH)


def _incomplete(
    scale: Scale, level: RiskLevel, reasons: tuple[str, ...], missing: tuple[str, ...]
) -> ScoreResult:
    if level is RiskLevel.HIGH:
        reported: str | None = level.value
        notes: tuple[str, ...] = (
            "Risk is high already; further answers cannot lower it.",
            HIGH_ACTION,
        )
    elif level is RiskLevel.MODERATE:
        reported = level.value
        notes = (
            "At least moderate risk: the missing answers could only raise it to high.",
            OTHER_ACTION,
        )
    else:
        reported = None
        notes = (
            f"No risk level until complete (answers so far reach '{level.value}'; "
            "missing answers could raise it).",
        )
    return ScoreResult(
        scale_code=scale.code,
        total=None,
        complete=False,
        risk_level=reported,
        explanation=(*reasons, *notes, f"Not answered: {', '.join(missing)}."),
        missing_items=missing,
    )


def score_cssrs(scale: Scale, answers: Mapping[str, int]) -> ScoreResult:
    _check_skip_logic(answers)
    found = _triggers(answers)
    level = max((lv for lv, _ in found), key=ORDER.index, default=RiskLevel.NONE)
    reasons = tuple(f"{reason} → {lv.value}." for lv, reason in found)
    missing = _missing(answers)
    if missing:
        return _incomplete(scale, level, reasons, missing)
    if level is RiskLevel.NONE:
        lines: tuple[str, ...] = (
            "Every question answered No → none (platform convention; the HL7 BHP example "
            "records 'Low'; instruments.md §5).",
        )
    else:
        action = HIGH_ACTION if level is RiskLevel.HIGH else OTHER_ACTION
        lines = (*reasons, f"Risk level {level.value}: the highest level reached.", action)
    return ScoreResult(
        scale_code=scale.code,
        total=None,
        complete=True,
        risk_level=level.value,
        explanation=lines,
    )


CSSRS_RECENT = Scale(
    code=CODE,
    name="C-SSRS Screener — recent (Columbia Suicide Severity Rating Scale)",
    version="1",
    items=tuple(
        Item(_q(n), n, text, loinc, YES_NO, required=required)
        for n, text, loinc, required in QUESTIONS
    ),
    total_loinc=None,
    panel_loinc="93373-9",
    min_total=None,
    max_total=None,
    bands=(),
    licence_note=(
        "Columbia: no cost and no licence needed for health providers to build the protocol "
        "into an EHR. Terms for a product distributed to other clinics are unconfirmed — ask "
        "the Columbia Lighthouse Project (instruments.md §5). Texts here are short content "
        "labels, not the official question wording."
    ),
    item_text_licensed=True,
    clinician_rated=True,
    missing_policy=(
        "Q1, Q2 and Q6 always required; Q3-Q5 when Q2 is Yes; Q6b when Q6 is Yes. Incomplete "
        "→ no risk level, except 'high' or 'moderate' once the answers given already reach it "
        "(a floor: missing answers can only raise it; instruments.md §5, clinical.md §16b)."
    ),
    score_fn=score_cssrs,
)
