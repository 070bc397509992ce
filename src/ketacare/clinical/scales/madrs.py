"""MADRS (Montgomery-Åsberg Depression Rating Scale), clinician-rated, past week.

Source: shared/reference/instruments.md §6. Ten items rated 0-6 (anchors defined at 0, 2, 4
and 6; odd values are in-between ratings), total 0-60. Not the 9-item self-rated MADRS-S.

LICENCE REQUIRED: copyright Royal College of Psychiatrists. Only neutral item labels ship
here; the item descriptions and anchor wording come with the licensed rating form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ketacare.clinical.scales.common import items_from, numbered_options, sum_scale
from ketacare.clinical.scales.model import Band, Scale, ScoreResult

OPTIONS = numbered_options(0, 6)

NEUTRAL_LABELS = (
    "Item 1 — apparent sadness",
    "Item 2 — reported sadness",
    "Item 3 — inner tension",
    "Item 4 — reduced sleep",
    "Item 5 — reduced appetite",
    "Item 6 — concentration difficulties",
    "Item 7 — lassitude",
    "Item 8 — inability to feel",
    "Item 9 — pessimistic thoughts",
    "Item 10 — suicidal thoughts",
)

# Snaith et al. 1986 as quoted secondarily (instruments.md §6 ⚠️). Alternatives exist
# (Müller 2000/2003), so callers may pass their own `bands` (a clinic's: clinical.thresholds).
MADRS_BANDS = (
    Band(0, 6, "normal/absent"),
    Band(7, 19, "mild"),
    Band(20, 34, "moderate"),
    Band(35, 60, "severe"),
)


def score_madrs(
    scale: Scale, answers: Mapping[str, int], *, bands: Sequence[Band] | None = None
) -> ScoreResult:
    source = "Snaith 1986" if bands is None else "clinic-configured bands"
    return sum_scale(scale, answers, bands=bands, band_source=source)


MADRS = Scale(
    code="madrs",
    name="MADRS (Montgomery-Åsberg Depression Rating Scale)",
    version="1",
    items=items_from("madrs", [(n, NEUTRAL_LABELS[n - 1], None) for n in range(1, 11)], OPTIONS),
    total_loinc=None,
    panel_loinc=None,
    min_total=0,
    max_total=60,
    bands=MADRS_BANDS,
    licence_note=(
        "Licence required: © Royal College of Psychiatrists (permission refused to CamCOPS; "
        "listed as licence-required by the German psychiatric data-set IG; instruments.md §6). "
        "Neutral item labels only; obtain the licensed form before showing item wording."
    ),
    item_text_licensed=True,
    clinician_rated=True,
    missing_policy="No author rule (instruments.md §6): all 10 items required, else no total.",
    score_fn=score_madrs,
)
