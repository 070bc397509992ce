"""ISI (Insomnia Severity Index), self-report, 7 items scored 0-4, total 0-28.

Source: shared/reference/instruments.md §10. LICENCE REQUIRED (© C.M. Morin, distributed by
Mapi Research Trust): only neutral item labels ship, answers are the numbers 0-4 where 0 is
the least and 4 the most problem (item 4 reversed in wording, not in scoring).
Item order 5-7 follows the PhenX copy ⚠️; order does not change the total.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.scales.common import items_from, numbered_options, sum_scale
from ketacare.clinical.scales.model import Band, Scale, ScoreResult

OPTIONS = numbered_options(0, 4, {0: "least problem", 4: "most problem"})

NEUTRAL_LABELS = (
    "Item 1 — difficulty falling asleep",
    "Item 2 — difficulty staying asleep",
    "Item 3 — waking too early",
    "Item 4 — dissatisfaction with current sleep",
    "Item 5 — noticeability of the sleep problem to others",
    "Item 6 — worry or distress about the sleep problem",
    "Item 7 — interference with daily functioning",
)

# Morin / Bastien 2001 bands (instruments.md §10).
ISI_BANDS = (
    Band(0, 7, "no clinically significant insomnia"),
    Band(8, 14, "subthreshold"),
    Band(15, 21, "clinical moderate"),
    Band(22, 28, "clinical severe"),
)


def score_isi(scale: Scale, answers: Mapping[str, int]) -> ScoreResult:
    return sum_scale(scale, answers, band_source="Bastien 2001")


ISI = Scale(
    code="isi",
    name="ISI (Insomnia Severity Index)",
    version="1",
    items=items_from("isi", [(n, NEUTRAL_LABELS[n - 1], None) for n in range(1, 8)], OPTIONS),
    total_loinc=None,
    panel_loinc=None,
    min_total=0,
    max_total=28,
    bands=ISI_BANDS,
    licence_note=(
        "Licence required: © C.M. Morin, distributed by Mapi Research Trust (ePROVIDE), "
        "'use with permission' (instruments.md §10). Neutral labels only."
    ),
    item_text_licensed=True,
    clinician_rated=False,
    missing_policy="No author rule (instruments.md §10): all 7 items required, else no total.",
    score_fn=score_isi,
)
