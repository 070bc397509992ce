"""CADSS (Clinician-Administered Dissociative States Scale): the 23-item subjective form used
in ketamine/esketamine research, and the 6-item CADSS-6.

Source: shared/reference/instruments.md §8; clinical.md §10. Items 0 (not at all) to 4
(extremely); CADSS-23 total 0-92; CADSS-6 = items 1, 2, 6, 7, 15 and 22 of the full form,
0-24 (Rodrigues 2021, not prospectively validated). The authors define no severity bands:
report the raw score and its change from pre-dose.

UNCONFIRMED (❓): item wording, which numbering CADSS-6 refers to, and licence terms. So items
carry only their number, and CADSS-6 items keep their full-form numbers (link_id cadss6-15 is
full-form item 15).
"""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.scales.common import items_from, numbered_options, sum_scale
from ketacare.clinical.scales.model import Scale, ScoreResult

OPTIONS = numbered_options(0, 4, {0: "not at all", 4: "extremely"})

# Rodrigues et al., J Affect Disord 2021;282:160-164 (instruments.md §8).
CADSS6_ITEMS = (1, 2, 6, 7, 15, 22)

LICENCE = (
    "Author-distributed; licence terms, item wording and the item numbering used by CADSS-6 "
    "are unconfirmed — contact the author before shipping wording (instruments.md §8). "
    "Items are shown by number only."
)


def score_cadss23(scale: Scale, answers: Mapping[str, int]) -> ScoreResult:
    result = sum_scale(scale, answers)
    if result.total is None:
        return result
    cadss6 = sum(answers[f"cadss23-{n}"] for n in CADSS6_ITEMS)
    return ScoreResult(
        scale_code=result.scale_code,
        total=result.total,
        complete=True,
        subscores={"cadss6": cadss6},
        explanation=(
            *result.explanation,
            f"CADSS-6 {cadss6} = items 1, 2, 6, 7, 15, 22 of this form (Rodrigues 2021; "
            "numbering unconfirmed, instruments.md §8).",
        ),
    )


def score_cadss6(scale: Scale, answers: Mapping[str, int]) -> ScoreResult:
    return sum_scale(scale, answers)


CADSS23 = Scale(
    code="cadss23",
    name="CADSS (23-item subjective form)",
    version="1",
    items=items_from("cadss23", [(n, f"CADSS item {n}", None) for n in range(1, 24)], OPTIONS),
    total_loinc=None,
    panel_loinc=None,
    min_total=0,
    max_total=92,
    bands=(),
    licence_note=LICENCE,
    item_text_licensed=True,
    clinician_rated=True,
    missing_policy="No author rule: all 23 items required, else no total.",
    score_fn=score_cadss23,
)

CADSS6 = Scale(
    code="cadss6",
    name="CADSS-6 (items 1, 2, 6, 7, 15, 22 of the full CADSS)",
    version="1",
    items=items_from("cadss6", [(n, f"CADSS item {n}", None) for n in CADSS6_ITEMS], OPTIONS),
    total_loinc=None,
    panel_loinc=None,
    min_total=0,
    max_total=24,
    bands=(),
    licence_note=LICENCE,
    item_text_licensed=True,
    clinician_rated=True,
    missing_policy="No author rule: all 6 items required, else no total.",
    score_fn=score_cadss6,
)
