"""GAD-7 (Generalized Anxiety Disorder, 7 items), self-report, last 2 weeks.

Source: shared/reference/instruments.md §3. Same answers as the PHQ-9, except that one
LOINC-derived form codes value 2 of item 68509-9 as LA18938-3 "More days than not" (§0);
that code is accepted for that item only. Item wording is free (Pfizer notice, as PHQ-9).
The zero anchor is "Not at all" — many copies wrongly print "not at all sure" (§3).
"""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.scales.common import int_param, sum_scale
from ketacare.clinical.scales.model import AnswerOption, Band, Item, Scale, ScoreResult
from ketacare.clinical.scales.phq import FREQUENCY_OPTIONS, PHQ_LICENCE

# ⚠️ one LHC-Forms-generated Questionnaire only (instruments.md §0 [S21]); verify on loinc.org.
ITEM2_OPTIONS = tuple(
    AnswerOption(o.value, o.display, o.loinc, alt_loinc=("LA18938-3",)) if o.value == 2 else o
    for o in FREQUENCY_OPTIONS
)

GAD7_ITEMS = (
    (1, "Feeling nervous, anxious, or on edge", "69725-0"),
    (2, "Not being able to stop or control worrying", "68509-9"),
    (3, "Worrying too much about different things", "69733-4"),
    (4, "Trouble relaxing", "69734-2"),
    (5, "Being so restless that it is hard to sit still", "69735-9"),
    (6, "Becoming easily annoyed or irritable", "69689-8"),
    (7, "Feeling afraid, as if something awful might happen", "69736-7"),
)

# Spitzer 2006 cut-points 5/10/15 (instruments.md §3).
GAD7_BANDS = (
    Band(0, 4, "minimal"),
    Band(5, 9, "mild"),
    Band(10, 14, "moderate"),
    Band(15, 21, "severe"),
)

# Total >=10 = probable GAD (instruments.md §3; clinical.md §12 "common caseness cut point",
# marked [PRACTICE; weak source]), so it is a clinic setting (clinical.thresholds).
GAD7_CUTOFF = 10


def score_gad7(
    scale: Scale, answers: Mapping[str, int], *, cutoff: int = GAD7_CUTOFF
) -> ScoreResult:
    cutoff = int_param("cutoff", cutoff, 0, 21)
    result = sum_scale(scale, answers, band_source="Spitzer 2006")
    if result.total is None:
        return result
    positive = result.total >= cutoff
    line = (
        f"Probable GAD: total {result.total} ≥ cut-off {cutoff} (default 10, instruments.md §3)."
        if positive
        else f"Below the probable-GAD cut-off {cutoff} (default 10, instruments.md §3)."
    )
    return ScoreResult(
        scale_code=result.scale_code,
        total=result.total,
        complete=True,
        band=result.band,
        flags=("probable_gad",) if positive else (),
        explanation=(*result.explanation, line),
    )


GAD7 = Scale(
    code="gad7",
    name="GAD-7 (Generalized Anxiety Disorder, 7 items)",
    version="1",
    items=tuple(
        Item(f"gad7-{n}", n, text, loinc, ITEM2_OPTIONS if n == 2 else FREQUENCY_OPTIONS)
        for n, text, loinc in GAD7_ITEMS
    ),
    total_loinc="70274-6",
    panel_loinc="69737-5",
    min_total=0,
    max_total=21,
    bands=GAD7_BANDS,
    licence_note=PHQ_LICENCE,
    item_text_licensed=False,
    clinician_rated=False,
    missing_policy="No author rule (instruments.md §3): all 7 items required, else no total.",
    score_fn=score_gad7,
)
