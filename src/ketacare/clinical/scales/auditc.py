"""AUDIT-C (Alcohol Use Disorders Identification Test — Consumption), 3 items, total 0-12.

Source: shared/reference/instruments.md §9. The positive-screen cut-off is sex-specific, so
`sex` ("female" or "male") is a required scoring parameter; the software never guesses it.
Item 1 is LOINC 68518-0 — not 68517-2 as in the US Core example (§9 pitfall).
Public domain (WHO AUDIT; AUDIT-C via SAMHSA).
"""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.scales.common import missing_required, refuse_total, sum_of
from ketacare.clinical.scales.model import AnswerOption, Item, Scale, ScaleInputError, ScoreResult

FREQUENCY = (
    AnswerOption(0, "Never", "LA6270-8"),
    AnswerOption(1, "Monthly or less", "LA18926-8"),
    AnswerOption(2, "2-4 times a month", "LA18927-6"),
    AnswerOption(3, "2-3 times a week", "LA18928-4"),
    AnswerOption(4, "4 or more times a week", "LA18929-2"),
)
TYPICAL_DRINKS = (
    AnswerOption(0, "1 or 2", "LA15694-5"),
    AnswerOption(1, "3 or 4", "LA15695-2"),
    AnswerOption(2, "5 or 6", "LA18930-0"),
    AnswerOption(3, "7 to 9", "LA18931-8"),
    AnswerOption(4, "10 or more", "LA18932-6"),
)
BINGE = (
    AnswerOption(0, "Never", "LA6270-8"),
    AnswerOption(1, "Less than monthly", "LA18933-4"),
    AnswerOption(2, "Monthly", "LA18876-5"),
    AnswerOption(3, "Weekly", "LA18891-4"),
    AnswerOption(4, "Daily or almost daily", "LA18934-2"),
)

# Positive screen: >=4 for men, >=3 for women (Bradley 2003, PMID 12695273, as stated in the
# LOINC 75626-2 description; instruments.md §9).
CUTOFFS = {"male": 4, "female": 3}


def score_auditc(
    scale: Scale, answers: Mapping[str, int], *, sex: str | None = None
) -> ScoreResult:
    if sex not in CUTOFFS:
        raise ScaleInputError(
            "sex",
            f"AUDIT-C needs sex 'female' or 'male' to choose its cut-off, got {sex!r} "
            "(instruments.md §9 gives no other cut-off)",
        )
    missing = missing_required(scale, answers)
    if missing:
        return refuse_total(scale, missing)
    total, working = sum_of(answers, ["auditc-1", "auditc-2", "auditc-3"])
    cutoff = CUTOFFS[sex]
    positive = total >= cutoff
    flags = ["positive_screen"] if positive else []
    lines = [
        f"Total {total} = items 1-3 ({working}).",
        f"Screen {'positive' if positive else 'negative'}: total {total} "
        f"{'≥' if positive else '<'} {cutoff}, the cut-off for {sex} patients (Bradley 2003).",
    ]
    if total > 0 and answers["auditc-2"] == 0 and answers["auditc-3"] == 0:
        flags.append("points_only_from_item1")
        lines.append(
            "All points come from item 1 (items 2 and 3 are 0): drinking is probably within "
            "limits (LOINC 75626-2 note); review the screen with this in mind."
        )
    return ScoreResult(
        scale_code=scale.code,
        total=total,
        complete=True,
        flags=tuple(flags),
        explanation=tuple(lines),
    )


AUDITC = Scale(
    code="auditc",
    name="AUDIT-C (Alcohol Use Disorders Identification Test — Consumption)",
    version="1",
    items=(
        Item(
            "auditc-1", 1, "How often do you have a drink containing alcohol?", "68518-0", FREQUENCY
        ),
        Item(
            "auditc-2",
            2,
            "How many standard drinks containing alcohol do you have on a typical day?",
            "68519-8",
            TYPICAL_DRINKS,
        ),
        Item(
            "auditc-3",
            3,
            "How often do you have six or more drinks on one occasion?",
            "68520-6",
            BINGE,
        ),
    ),
    total_loinc="75626-2",
    panel_loinc="72109-2",
    min_total=0,
    max_total=12,
    bands=(),
    licence_note=(
        "Public domain: WHO AUDIT may be reproduced freely but not sold; AUDIT-C described as "
        "public domain (SAMHSA) (instruments.md §9)."
    ),
    item_text_licensed=False,
    clinician_rated=False,
    missing_policy="All 3 items required, else no total.",
    score_fn=score_auditc,
)
