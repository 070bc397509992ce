"""Pre-dose checklist answers that hold the dose for a prescriber's documented decision.

Two of the checklist's typed items are not plain pass/fail: what they find is a warning the
prescriber weighs, not a hard stop (clinical.md §3 note: pregnancy is a label warning, "not a
contraindication ... don't copy those lists as hard stops"; the suggested encoding makes
everything but the label contraindications "relative = require prescriber override with note").

- **Pregnancy test** (clinical.md §2b: pregnancy status for people of reproductive potential,
  esketamine "may cause fetal harm" [LABEL] S2 5.10; routine testing is [PRACTICE], trial
  protocols require hCG P1; §3b, §14: esketamine not recommended in pregnancy). Whether a test
  is required is the clinic's policy (practice variation), and so is who can become pregnant:
  no source gives an age range, so it is the clinic's setting too. When the clinic requires it,
  "not applicable" is refused for a patient in scope; a test that is not negative (positive or
  not done) holds the dose for the prescriber, whatever the clinic's policy.
- **Medication changes since the last visit** (clinical.md §4: benzodiazepines and opioids are
  CNS depressants that "may increase sedation — monitor closely" [LABEL] S2 7.1;
  psychostimulants and MAOIs "may increase BP — monitor BP closely" [LABEL]; the REMS form
  asks about these classes at every session [REMS] S8; benzodiazepines may blunt the effect
  [EVIDENCE] S44). Any class started, stopped or changed holds the dose for the prescriber.

    pregnancy_test_applies(True, "female", 34, age_min=12, age_max=55)   # True
    pregnancy_test_hold("no")                                          # Decision(False, ...)
    medication_change_hold(["benzodiazepines"], "lorazepam started")   # Decision(False, ...)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """`ok` False: hold the dose until a prescriber documents the decision; `reasons` say why."""

    ok: bool
    reasons: tuple[str, ...]


# Who can become pregnant when the clinic requires a test: sex at birth female, within an age
# range. The range is in no source (clinical.md §2b says only "people of reproductive
# potential") — [PRACTICE] defaults the clinic changes on its settings page.
PREGNANCY_AGE_MIN = 12
PREGNANCY_AGE_MAX = 55
PREGNANCY_SOURCE = "clinical.md §2b, §14 ([LABEL] S2 5.10; testing is clinic policy [PRACTICE])"


def pregnancy_test_applies(
    required: bool, sex_at_birth: str, age: int, *, age_min: int, age_max: int
) -> bool:
    """Does the clinic require a pregnancy test of this patient before each dose?"""
    return required and sex_at_birth == "female" and age_min <= age <= age_max


def pregnancy_na_problem(applies: bool, result: str) -> str:
    """The refusal of "not applicable" for a patient the clinic's policy covers ("" if none)."""
    if applies and result == "na":
        return (
            "The clinic requires a pregnancy test before each dose for this patient (sex at "
            "birth female, in the clinic's age range): answer yes (negative today) or no "
            f"(positive or not done). {PREGNANCY_SOURCE}"
        )
    return ""


PREGNANCY_HOLD_START = "Pregnancy test not negative today"


def pregnancy_test_hold(result: str) -> Decision:
    """A pregnancy test answered "no" (positive, or not done) holds the dose."""
    if result == "no":
        return Decision(
            False,
            (
                f"{PREGNANCY_HOLD_START} (positive or not done): dosing in pregnancy is not "
                "recommended (esketamine label: may cause fetal harm; racemic ketamine by clinic "
                "policy) — a prescriber weighs it and documents the decision "
                f"({PREGNANCY_SOURCE}).",
            ),
        )
    return Decision(True, ())


# The classes the checklist asks about (clinical.md §4), in the order the form shows them, with
# why a change matters for the session.
MEDICATION_CLASSES: tuple[tuple[str, str, str], ...] = (
    ("benzodiazepines", "Benzodiazepines", "more sedation; may blunt the effect"),
    ("stimulants", "Stimulants", "may raise BP"),
    ("maois", "MAOIs", "may raise BP"),
    ("opioids", "Opioids", "more sedation"),
)
MEDICATION_CLASS_CODES = tuple(code for code, _, _ in MEDICATION_CLASSES)
_CLASS_LABEL = {code: label for code, label, _ in MEDICATION_CLASSES}
_CLASS_WHY = {code: why for code, _, why in MEDICATION_CLASSES}


def medication_change_hold(changed: Iterable[str], note: str = "") -> Decision:
    """Classes started, stopped or changed since the last visit hold the dose.

    `changed` holds class codes from `MEDICATION_CLASS_CODES`; an unknown code is a
    ValueError (the caller's form offers only these)."""
    codes = list(dict.fromkeys(changed))
    unknown = [c for c in codes if c not in _CLASS_LABEL]
    if unknown:
        raise ValueError(f"medication_classes: unknown class {unknown[0]!r}")
    if not codes:
        return Decision(True, ())
    ordered = [c for c in MEDICATION_CLASS_CODES if c in codes]
    named = ", ".join(f"{_CLASS_LABEL[c]} ({_CLASS_WHY[c]})" for c in ordered)
    detail = f" Note: {note.strip()}" if note.strip() else ""
    return Decision(
        False,
        (
            f"Medication changed since the last visit: {named}. A prescriber reviews the change "
            f"and documents the decision (clinical.md §4 [LABEL] S2 7.1, [REMS] S8).{detail}",
        ),
    )
