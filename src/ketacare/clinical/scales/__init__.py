"""Rating-scale scoring library: the registry of scales and the functions callers use.

    score("phq9", {"phq9-1": 2, ..., "phq9-9": 0}) -> ScoreResult

Answers are keyed by item link_id, which is always "<scale code>-<item number as printed on
the form>" (e.g. "phq9-9", "cssrs_recent-6b", "bpi_sf-9a"). Link_ids are stable: they are
what stored answers refer to, so never renumber them. LOINC codes are a second key where they
exist: `answers_by_loinc` maps item codes to link_ids and `answer_value` maps a LOINC answer
code (LA…) *for one item* to its value, so a FHIR QuestionnaireResponse can be matched by code.

Pure standard-library Python: no Django, no I/O. See ../README.md for how to add a scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ketacare.clinical.scales.auditc import AUDITC
from ketacare.clinical.scales.cadss import CADSS6, CADSS23
from ketacare.clinical.scales.cssrs import CSSRS_RECENT, RiskLevel
from ketacare.clinical.scales.gad7 import GAD7
from ketacare.clinical.scales.isi import ISI
from ketacare.clinical.scales.madrs import MADRS
from ketacare.clinical.scales.moaas import MOAAS
from ketacare.clinical.scales.model import (
    AnswerOption,
    Band,
    Item,
    Scale,
    ScaleInputError,
    ScoreResult,
)
from ketacare.clinical.scales.pain import BPI_SF, PAIN_NRS
from ketacare.clinical.scales.pcl5 import PCL5
from ketacare.clinical.scales.phq import PHQ2, PHQ9
from ketacare.clinical.scales.qids import QIDS_SR16

__all__ = [
    "SCALES",
    "AnswerOption",
    "Band",
    "Item",
    "RiskLevel",
    "Scale",
    "ScaleInputError",
    "ScoreResult",
    "answer_value",
    "answers_by_loinc",
    "answers_from_loinc",
    "get_scale",
    "score",
]

SCALES: dict[str, Scale] = {
    scale.code: scale
    for scale in (
        PHQ9,
        PHQ2,
        GAD7,
        PCL5,
        CSSRS_RECENT,
        QIDS_SR16,
        MADRS,
        CADSS23,
        CADSS6,
        MOAAS,
        AUDITC,
        ISI,
        PAIN_NRS,
        BPI_SF,
    )
}


def get_scale(code: str) -> Scale:
    try:
        return SCALES[code]
    except (KeyError, TypeError):
        known = ", ".join(sorted(SCALES))
        raise ScaleInputError("scale_code", f"unknown scale {code!r} (known: {known})") from None


def score(code: str, answers: Mapping[str, int | None], **params: Any) -> ScoreResult:
    """Validate `answers` (link_id -> value; None = unanswered) and score them.

    `params` are scale-specific: `sex` for AUDIT-C (required), `cutoff` for PHQ-2, GAD-7 and
    PCL-5, `bands` for MADRS and the pain NRS. An unknown parameter is a TypeError.
    """
    return get_scale(code).score(answers, **params)


def answers_by_loinc(code: str) -> dict[str, str]:
    """LOINC item code -> link_id, for the items of `code` that have a LOINC code."""
    return {item.loinc: item.link_id for item in get_scale(code).items if item.loinc}


def answer_value(code: str, link_id: str, loinc_answer_code: str) -> int:
    """The value of a LOINC answer code on one item (answer codes are per item: §0)."""
    item = get_scale(code).item(link_id)
    for option in item.options:
        if loinc_answer_code == option.loinc or loinc_answer_code in option.alt_loinc:
            return option.value
    raise ScaleInputError(link_id, f"{loinc_answer_code!r} is not a LOINC answer of this item")


def answers_from_loinc(code: str, coded: Mapping[str, str]) -> dict[str, int]:
    """Turn {LOINC item code: LOINC answer code} into {link_id: value}, ready for `score`.

    An item code the scale does not know raises ScaleInputError naming that code.
    """
    by_loinc = answers_by_loinc(code)
    answers: dict[str, int] = {}
    for item_code, answer_code in coded.items():
        if item_code not in by_loinc:
            raise ScaleInputError(item_code, f"not a LOINC item code of {code}")
        link_id = by_loinc[item_code]
        answers[link_id] = answer_value(code, link_id, answer_code)
    return answers
