"""MOAA/S (Modified Observer's Assessment of Alertness/Sedation), one observer rating 0-5.

Source: shared/reference/clinical.md §10 (levels 5 and 0, and the label rule that any drop
from the pre-dose rating is sedation and 0 is loss of consciousness). The wording of levels
1-4 is not in shared/reference; it follows the published Chernik 1990 table as reproduced in
trial reports [UNCONFIRMED in shared/reference — verify against the SPRAVATO label table].

Scoring reports the value and its level description only. Deciding "sedated" needs the
pre-dose rating, so that comparison belongs to session logic, not to this scale.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.scales.model import AnswerOption, Band, Item, Scale, ScoreResult

LEVELS = (
    (5, "Responds readily to name spoken in normal tone (alert)"),
    (4, "Lethargic response to name spoken in normal tone"),
    (3, "Responds only after name is called loudly and/or repeatedly"),
    (2, "Responds only after mild prodding or shaking"),
    (1, "Responds only after painful trapezius squeeze"),
    (0, "No response after painful trapezius squeeze"),
)

# One band per level, so the result carries the level's description as its label.
MOAAS_BANDS = tuple(Band(value, value, text) for value, text in sorted(LEVELS))


def score_moaas(scale: Scale, answers: Mapping[str, int]) -> ScoreResult:
    value = answers.get("moaas-1")
    if value is None:
        return ScoreResult(
            scale_code=scale.code,
            total=None,
            complete=False,
            explanation=("No rating recorded.",),
            missing_items=("moaas-1",),
        )
    label = dict(LEVELS)[value]
    return ScoreResult(
        scale_code=scale.code,
        total=value,
        complete=True,
        band=label,
        explanation=(
            f"MOAA/S {value}: {label}.",
            "Any drop from the pre-dose rating counts as sedation; 0 is loss of consciousness "
            "(SPRAVATO label via clinical.md §10) — compared by the session, not here.",
        ),
    )


MOAAS = Scale(
    code="moaas",
    name="MOAA/S (Modified Observer's Assessment of Alertness/Sedation)",
    version="1",
    items=(
        Item(
            "moaas-1",
            1,
            "Responsiveness (observer rating)",
            None,
            tuple(AnswerOption(value, f"{value} — {text}") for value, text in sorted(LEVELS)),
        ),
    ),
    total_loinc=None,
    panel_loinc=None,
    min_total=0,
    max_total=5,
    bands=MOAAS_BANDS,
    licence_note=(
        "Published observer scale (Chernik 1990); no licence terms recorded in shared/reference "
        "— confirm before shipping."
    ),
    item_text_licensed=False,
    clinician_rated=True,
    missing_policy="Single rating; without it there is no result.",
    score_fn=score_moaas,
)
