"""PHQ-9 and PHQ-2 (Patient Health Questionnaire), self-report, last 2 weeks.

Source for every fact here: shared/reference/instruments.md §1 (PHQ-9) and §2 (PHQ-2).
Item wording is free to reproduce (Pfizer notice), so the LOINC item texts are shipped.
"""

from __future__ import annotations

from collections.abc import Mapping

from ketacare.clinical.scales.common import (
    band_line,
    int_param,
    missing_required,
    refuse_total,
    sum_of,
)
from ketacare.clinical.scales.model import AnswerOption, Band, Item, Scale, ScoreResult

# LOINC answer list LL358-3 (instruments.md §1); GAD-7 uses the same list (§3).
FREQUENCY_OPTIONS = (
    AnswerOption(0, "Not at all", "LA6568-5"),
    AnswerOption(1, "Several days", "LA6569-3"),
    AnswerOption(2, "More than half the days", "LA6570-1"),
    AnswerOption(3, "Nearly every day", "LA6571-9"),
)

# Item 10 answers; the LOINC codes are deliberately not in numeric order (instruments.md §1).
DIFFICULTY_OPTIONS = (
    AnswerOption(0, "Not difficult at all", "LA6572-7"),
    AnswerOption(1, "Somewhat difficult", "LA6573-5"),
    AnswerOption(2, "Very difficult", "LA6575-0"),
    AnswerOption(3, "Extremely difficult", "LA6574-3"),
)

PHQ9_ITEMS = (
    (1, "Little interest or pleasure in doing things", "44250-9"),
    (2, "Feeling down, depressed, or hopeless", "44255-8"),
    (3, "Trouble falling or staying asleep, or sleeping too much", "44259-0"),
    (4, "Feeling tired or having little energy", "44254-1"),
    (5, "Poor appetite or overeating", "44251-7"),
    (
        6,
        "Feeling bad about yourself — or that you are a failure or have let yourself "
        "or your family down",
        "44258-2",
    ),
    (
        7,
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "44252-5",
    ),
    (
        8,
        "Moving or speaking so slowly that other people could have noticed. Or the opposite — "
        "being so fidgety or restless that you have been moving around a lot more than usual",
        "44253-3",
    ),
    (
        9,
        "Thoughts that you would be better off dead, or of hurting yourself in some way",
        "44260-8",
    ),
)

PHQ_LICENCE = (
    "Free to reproduce, translate, display and distribute without permission "
    "(Pfizer notice; instruments.md §1)."
)

# Kroenke 2001 bands, as LOINC LL382-3 (instruments.md §1; clinical.md §12).
PHQ9_BANDS = (
    Band(0, 4, "minimal"),
    Band(5, 9, "mild"),
    Band(10, 14, "moderate"),
    Band(15, 19, "moderately severe"),
    Band(20, 27, "severe"),
)

# PHQ instructions' provisional-diagnosis algorithm (instruments.md §1): an item counts as a
# symptom at "More than half the days" (2) or more; item 9 counts at "Several days" (1).
SYMPTOM_THRESHOLD = 2
ITEM9_SYMPTOM_THRESHOLD = 1
MAJOR_MIN_SYMPTOMS = 5  # major depressive syndrome: >=5 symptoms incl. item 1 or 2
OTHER_SYMPTOMS = range(2, 5)  # other depressive syndrome: 2-4 symptoms incl. item 1 or 2

# PHQ-2 positive screen at >=3 (Kroenke 2003); >=2 trades specificity for sensitivity
# (Arroll 2010). instruments.md §2 (both ✅). Not a clinic setting: §2 does not mark it as
# practice variation or configurable (unlike PCL-5 §4, MADRS §6, pain NRS §11); callers may
# still pass `cutoff=` for research use.
PHQ2_CUTOFF = 3


def _phq9_items() -> tuple[Item, ...]:
    scored = tuple(
        Item(f"phq9-{number}", number, text, loinc, FREQUENCY_OPTIONS)
        for number, text, loinc in PHQ9_ITEMS
    )
    difficulty = Item(
        "phq9-10",
        10,
        "If you checked off any problems, how difficult have these problems made it for you "
        "to do your work, take care of things at home, or get along with other people?",
        "69722-7",
        DIFFICULTY_OPTIONS,
        required=False,
        scored=False,
    )
    return (*scored, difficulty)


def _item9_lines(answers: Mapping[str, int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The item-9 flag and its explanation; raised even when other answers are missing."""
    value = answers.get("phq9-9")
    if value is None or value < 1:
        return (), ()
    return ("item9_positive",), (
        f"Item 9 (thoughts of death or self-harm) answered {value} (> 0): suicide-risk "
        "follow-up (C-SSRS) the same day, regardless of the total (instruments.md §1; "
        "clinical.md §16a).",
    )


def _syndrome(answers: Mapping[str, int]) -> tuple[str | None, str]:
    symptoms = [
        n
        for n in range(1, 10)
        if answers[f"phq9-{n}"] >= (ITEM9_SYMPTOM_THRESHOLD if n == 9 else SYMPTOM_THRESHOLD)
    ]
    cardinal = 1 in symptoms or 2 in symptoms
    listed = ", ".join(str(n) for n in symptoms) or "none"
    counted = (
        f"{len(symptoms)} symptom item(s) at threshold (items {listed}; items 1-8 count at ≥2, "
        f"item 9 at ≥1); item 1 or 2 among them: {'yes' if cardinal else 'no'}."
    )
    if cardinal and len(symptoms) >= MAJOR_MIN_SYMPTOMS:
        return "provisional_major_depressive_syndrome", (
            f"Provisional major depressive syndrome: {counted} This is a screening algorithm "
            "(PHQ instructions), independent of the severity band; a clinician confirms."
        )
    if cardinal and len(symptoms) in OTHER_SYMPTOMS:
        return "provisional_other_depressive_syndrome", (
            f"Provisional other depressive syndrome: {counted}"
        )
    return None, f"No provisional depressive syndrome: {counted}"


def score_phq9(scale: Scale, answers: Mapping[str, int]) -> ScoreResult:
    flags, item9_lines = _item9_lines(answers)
    missing = missing_required(scale, answers)
    if missing:
        return refuse_total(scale, missing, flags=flags, explanation=item9_lines)
    total, working = sum_of(answers, [f"phq9-{n}" for n in range(1, 10)])
    label, band_text = band_line(scale.bands, total, "Kroenke 2001, LOINC LL382-3")
    syndrome, syndrome_text = _syndrome(answers)
    lines = [f"Total {total} = sum of items 1-9 ({working}); item 10 (difficulty) is not scored."]
    lines += [band_text, *item9_lines, syndrome_text]
    return ScoreResult(
        scale_code=scale.code,
        total=total,
        complete=True,
        band=label,
        flags=(*flags, *([syndrome] if syndrome else [])),
        explanation=tuple(lines),
    )


def score_phq2(
    scale: Scale, answers: Mapping[str, int], *, cutoff: int = PHQ2_CUTOFF
) -> ScoreResult:
    cutoff = int_param("cutoff", cutoff, 0, 6)
    missing = missing_required(scale, answers)
    if missing:
        return refuse_total(scale, missing)
    total, working = sum_of(answers, ["phq2-1", "phq2-2"])
    positive = total >= cutoff
    return ScoreResult(
        scale_code=scale.code,
        total=total,
        complete=True,
        flags=("positive_screen",) if positive else (),
        explanation=(
            f"Total {total} = item 1 + item 2 ({working}).",
            f"Screen {'positive' if positive else 'negative'}: total {total} "
            f"{'≥' if positive else '<'} cut-off {cutoff} (default 3, Kroenke 2003; "
            "instruments.md §2). A positive screen is followed by the full PHQ-9.",
        ),
    )


PHQ9 = Scale(
    code="phq9",
    name="PHQ-9 (Patient Health Questionnaire, 9 items)",
    version="1",
    items=_phq9_items(),
    total_loinc="44261-6",
    panel_loinc="44249-1",
    min_total=0,
    max_total=27,
    bands=PHQ9_BANDS,
    licence_note=PHQ_LICENCE,
    item_text_licensed=False,
    clinician_rated=False,
    missing_policy=(
        "No author rule (instruments.md §1): items 1-9 are all required; with any missing, no "
        "total, band or provisional diagnosis is given. Item 9 is flagged whenever it is > 0."
    ),
    score_fn=score_phq9,
)

PHQ2 = Scale(
    code="phq2",
    name="PHQ-2 (Patient Health Questionnaire, 2 items)",
    version="1",
    items=tuple(
        Item(f"phq2-{number}", number, text, loinc, FREQUENCY_OPTIONS)
        for number, text, loinc in PHQ9_ITEMS[:2]
    ),
    total_loinc="55758-7",
    panel_loinc="55757-9",
    min_total=0,
    max_total=6,
    bands=(),
    licence_note=PHQ_LICENCE,
    item_text_licensed=False,
    clinician_rated=False,
    missing_policy="Both items required (instruments.md §2); otherwise no total.",
    score_fn=score_phq2,
)
