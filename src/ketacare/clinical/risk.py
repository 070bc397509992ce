"""Which scored answers raise a suicide-risk flag, at what level, and why.

Sources: shared/reference/clinical.md §12 and §16a (PHQ-9 item 9 >= 1 -> same-day C-SSRS,
[PRACTICE], S47/S50), §16b (C-SSRS triage, [GUIDELINE] S50), instruments.md §7 (QIDS-SR16
item 12 treated like PHQ-9 item 9: platform policy). The item-9 / item-12 levels are clinic
settings within a floor (`clinical.thresholds.LEVEL_FLOOR`: every answer above 0 flags, the top
answer is high); callers pass the clinic's `RiskRules` (measures.thresholds_settings). The
C-SSRS flag levels are not a setting (Columbia triage, §16b).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class RiskRules:
    # PHQ-9 item 9 answer -> flag level. Any answer above "Not at all" is clinically significant
    # regardless of the total (instruments.md §1, [PRACTICE] S47); "More than half the days" and
    # "Nearly every day" are treated as high until a C-SSRS screen says otherwise (graded risk,
    # Simon 2013, instruments.md S24). Clinics may change the levels of answers 1 and 2, never
    # to "no flag" nor below the floor in clinical.thresholds (answer 3 is always high).
    phq9_item9_levels: tuple[tuple[int, str], ...] = ((1, "moderate"), (2, "high"), (3, "high"))
    # QIDS-SR16 item 12 (thoughts of death or suicide): same follow-up as PHQ-9 item 9.
    qids_item12_levels: tuple[tuple[int, str], ...] = ((1, "moderate"), (2, "high"), (3, "high"))
    # C-SSRS triage levels that raise a flag (issue: moderate and high; clinical.md §16b).
    # Not a clinic setting: the high tier is Columbia's triage, "the same in every setting"
    # (§16b, S50), and a safety triage is not loosened per clinic (scales/cssrs.py).
    cssrs_flag_levels: frozenset[str] = frozenset({"moderate", "high"})


DEFAULT_RISK_RULES = RiskRules()


@dataclass(frozen=True)
class FlagDecision:
    level: str
    source: str
    reason: str
    requires_cssrs: bool


def _level_for(value: int, table: tuple[tuple[int, str], ...]) -> str | None:
    return dict(table).get(value)


def decide_flag(
    scale_code: str,
    answers: Mapping[str, int],
    risk_level: str | None,
    rules: RiskRules = DEFAULT_RISK_RULES,
) -> FlagDecision | None:
    """The flag an administration of `scale_code` must raise, or None."""
    if scale_code == "phq9":
        value = answers.get("phq9-9")
        level = _level_for(value, rules.phq9_item9_levels) if value else None
        if level:
            return FlagDecision(
                level,
                "phq9_item9",
                f"PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered "
                f"{value} of 3; a C-SSRS screen is required before the next dose.",
                requires_cssrs=True,
            )
    if scale_code == "qids_sr16":
        value = answers.get("qids_sr16-12")
        level = _level_for(value, rules.qids_item12_levels) if value else None
        if level:
            return FlagDecision(
                level,
                "qids_item12",
                f"QIDS-SR16 item 12 (thoughts of death or suicide) answered {value} of 3; "
                "a C-SSRS screen is required before the next dose.",
                requires_cssrs=True,
            )
    if scale_code == "cssrs_recent" and risk_level in rules.cssrs_flag_levels:
        return FlagDecision(
            risk_level,
            "cssrs",
            f"C-SSRS screen triaged as {risk_level} risk (Columbia triage).",
            requires_cssrs=False,
        )
    return None


@dataclass(frozen=True)
class ScreenDecision:
    ok: bool
    reason: str


def cssrs_before_dose(
    required_since: datetime | None, screened_at: datetime | None
) -> ScreenDecision:
    """Is the C-SSRS screen a risk answer asked for done, so the next dose may go ahead?

    `required_since`: when the latest answer that requires a screen was given (PHQ-9 item 9 or
    QIDS-SR16 item 12 above 0; `FlagDecision.requires_cssrs`), None when there is none.
    `screened_at`: the latest completed C-SSRS screen. A screen counts only when it was done at
    or after that answer: PHQ-9 item 9 >= 1 -> C-SSRS screen the same day, before any dose
    (clinical.md §16a [PRACTICE] S47; issue 7).
    """
    if required_since is None:
        return ScreenDecision(True, "No risk answer waiting for a C-SSRS screen.")
    if screened_at is not None and screened_at >= required_since:
        return ScreenDecision(True, "C-SSRS screen done after the last risk answer.")
    return ScreenDecision(
        False,
        "A risk answer (PHQ-9 item 9 or QIDS-SR16 item 12 above 0) needs a C-SSRS screen "
        "before the next dose, and none has been recorded since (clinical.md §16a).",
    )
