"""QIDS-SR16 (Quick Inventory of Depressive Symptomatology, self-report, 16 items).

Source: shared/reference/instruments.md §7. Items 0-3, last 7 days. The total is the sum of
nine DSM symptom domains, each the *highest* of its items, so the form's "answer 6 or 7, and
8 or 9" instruction needs no special handling: one answer in each pair is enough.

Licence terms are unconfirmed (described as free on ids-qids.org ⚠️), so the per-item answer
wording is not shipped: texts are domain labels and answers are the numbers 0-3.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.scales.common import (
    band_line,
    missing_required,
    numbered_options,
    refuse_total,
)
from ketacare.clinical.scales.model import Band, Item, Scale, ScoreResult

CODE = "qids_sr16"
OPTIONS = numbered_options(0, 3, {0: "least", 3: "most"})

LABELS = (
    "Falling asleep",
    "Sleep during the night",
    "Waking up too early",
    "Sleeping too much",
    "Feeling sad",
    "Decreased appetite",
    "Increased appetite",
    "Decreased weight (last 2 weeks)",
    "Increased weight (last 2 weeks)",
    "Concentration / decision-making",
    "View of myself",
    "Thoughts of death or suicide",
    "General interest",
    "Energy level",
    "Feeling slowed down",
    "Feeling restless",
)
# Items 6-9 are answered "6 or 7" and "8 or 9" (instruments.md §7), so none is required alone.
PAIRED = {6, 7, 8, 9}

# Nine DSM domains; each scores the highest of its items (Rush 2003; instruments.md §7).
DOMAINS = (
    ("sleep", (1, 2, 3, 4)),
    ("sad_mood", (5,)),
    ("appetite_weight", (6, 7, 8, 9)),
    ("concentration", (10,)),
    ("self_view", (11,)),
    ("suicidal_ideation", (12,)),
    ("interest", (13,)),
    ("energy", (14,)),
    ("psychomotor", (15, 16)),
)

# ids-qids.org interpretation table (instruments.md §7).
QIDS_BANDS = (
    Band(0, 5, "none"),
    Band(6, 10, "mild"),
    Band(11, 15, "moderate"),
    Band(16, 20, "severe"),
    Band(21, 27, "very severe"),
)

SUICIDE_ITEM = 12


def _q(n: int) -> str:
    return f"{CODE}-{n}"


def _pair_missing(answers: Mapping[str, int]) -> tuple[str, ...]:
    missing: list[str] = []
    for pair in ((6, 7), (8, 9)):
        if not any(_q(n) in answers for n in pair):
            missing += [_q(n) for n in pair]
    return tuple(missing)


def score_qids(scale: Scale, answers: Mapping[str, int]) -> ScoreResult:
    flags: tuple[str, ...] = ()
    suicide_lines: tuple[str, ...] = ()
    value = answers.get(_q(SUICIDE_ITEM))
    if value is not None and value >= 1:
        # Platform policy, not an author rule: same follow-up as PHQ-9 item 9 (instruments.md §7).
        flags = ("item12_positive",)
        suicide_lines = (
            f"Item 12 (thoughts of death or suicide) answered {value} (> 0): suicide-risk "
            "follow-up as for PHQ-9 item 9 (platform policy; instruments.md §7).",
        )
    missing = missing_required(scale, answers) + _pair_missing(answers)
    if missing:
        pair_note = (
            ("Items 6/7 and 8/9 are pairs: one answer in each pair is enough.",)
            if set(missing) & {_q(n) for n in PAIRED}
            else ()
        )
        return refuse_total(scale, missing, flags=flags, explanation=(*suicide_lines, *pair_note))
    subscores = {
        name: max(answers[_q(n)] for n in numbers if _q(n) in answers) for name, numbers in DOMAINS
    }
    total = sum(subscores.values())
    label, band_text = band_line(scale.bands, total, "ids-qids.org")
    working = " + ".join(
        f"{name} {score}"
        + (f" (max of items {numbers[0]}-{numbers[-1]})" if len(numbers) > 1 else "")
        for (name, numbers), score in zip(DOMAINS, subscores.values(), strict=True)
    )
    return ScoreResult(
        scale_code=scale.code,
        total=total,
        complete=True,
        subscores=subscores,
        band=label,
        flags=flags,
        explanation=(f"Total {total} = {working}.", band_text, *suicide_lines),
    )


QIDS_SR16 = Scale(
    code=CODE,
    name="QIDS-SR16 (Quick Inventory of Depressive Symptomatology, self-report)",
    version="1",
    items=tuple(
        Item(_q(n), n, LABELS[n - 1], None, OPTIONS, required=n not in PAIRED) for n in range(1, 17)
    ),
    total_loinc=None,
    panel_loinc=None,
    min_total=0,
    max_total=27,
    bands=QIDS_BANDS,
    licence_note=(
        "Described as free to use on ids-qids.org ⚠️; exact terms unconfirmed (instruments.md "
        "§7). Item and answer wording are not shipped: use the official form."
    ),
    item_text_licensed=True,
    clinician_rated=False,
    missing_policy=(
        "No author rule (instruments.md §7): items 1-5 and 10-16 required, and at least one "
        "of 6/7 and one of 8/9; otherwise no total. Item 12 > 0 is flagged even if incomplete."
    ),
    score_fn=score_qids,
)
