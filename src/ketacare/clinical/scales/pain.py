"""Pain: the 0-10 numeric rating scale (NRS) and the Brief Pain Inventory short form (BPI-SF).

Source: shared/reference/instruments.md §11.

NRS: one 0-10 rating, LOINC 72514-3 (IHE's pain template uses 38208-5). Band conventions
differ, so the default bands can be replaced per clinic (`bands=`; `EPPOC_BANDS` is the other
published set).

BPI-SF: LICENCE REQUIRED (© Charles S. Cleeland / MD Anderson; fees may apply) — neutral labels
only. Items are numbered as on the form (3-6 severity, 8 relief, 9a-9g interference). It has
no total: severity = mean of the 4 severity items (NINDS: no official algorithm; all 4
required here); interference = mean of the 7 interference items, usable only when at least 4
are answered (BPI User Guide, quoted by LOINC 77565-0). Means are rounded to 2 dp.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ketacare.clinical.scales.common import numbered_options, sum_scale
from ketacare.clinical.scales.model import AnswerOption, Band, Item, Scale, ScoreResult

ZERO_TO_TEN = numbered_options(0, 10, {0: "no pain", 10: "worst imaginable"})

# hl7.eu pain-score interpretations (SNOMED 301379001 / 40196000 / 50415004 / 76948002 /
# 67849003), instruments.md §11 [S46] ⚠️ — one of two conventions; configurable.
HL7EU_BANDS = (
    Band(0, 0, "no present pain"),
    Band(1, 3, "mild"),
    Band(4, 6, "moderate"),
    Band(7, 9, "severe"),
    Band(10, 10, "excruciating"),
)
# ePPOC convention 0-4 / 5-6 / 7-10 (instruments.md §11 [S47] ⚠️).
EPPOC_BANDS = (Band(0, 4, "none to mild"), Band(5, 6, "moderate"), Band(7, 10, "severe"))


def score_nrs(
    scale: Scale, answers: Mapping[str, int], *, bands: Sequence[Band] | None = None
) -> ScoreResult:
    source = "hl7.eu convention" if bands is None else "clinic-configured bands"
    return sum_scale(scale, answers, bands=bands, band_source=source)


PAIN_NRS = Scale(
    code="pain_nrs",
    name="Pain numeric rating scale (0-10)",
    version="1",
    items=(Item("pain_nrs-1", 1, "Pain intensity, 0 to 10", "72514-3", ZERO_TO_TEN),),
    total_loinc="72514-3",
    panel_loinc=None,
    min_total=0,
    max_total=10,
    bands=HL7EU_BANDS,
    licence_note="Generic numeric rating; no licence.",
    item_text_licensed=False,
    clinician_rated=False,
    missing_policy="Single rating; without it there is no result.",
    score_fn=score_nrs,
)


SEVERITY = (
    ("3", "Pain at its worst in the last 24 hours"),
    ("4", "Pain at its least in the last 24 hours"),
    ("5", "Pain on average"),
    ("6", "Pain right now"),
)
INTERFERENCE = (
    ("9a", "Interference — general activity"),
    ("9b", "Interference — mood"),
    ("9c", "Interference — walking ability"),
    ("9d", "Interference — normal work"),
    ("9e", "Interference — relations with other people"),
    ("9f", "Interference — sleep"),
    ("9g", "Interference — enjoyment of life"),
)
RELIEF = tuple(AnswerOption(v, f"{v}%") for v in range(0, 101, 10))

# BPI User Guide via LOINC 77565-0 (instruments.md §11): interference needs >=4 of 7 answered.
INTERFERENCE_MIN_ANSWERED = 4
INTERFERENCE_LOINC = "77565-0"


def _q(n: str) -> str:
    return f"bpi_sf-{n}"


def _mean(values: Sequence[int]) -> float:
    return round(sum(values) / len(values), 2)


def score_bpi(scale: Scale, answers: Mapping[str, int]) -> ScoreResult:
    means: dict[str, float] = {}
    lines: list[str] = []
    sev_missing = tuple(_q(n) for n, _ in SEVERITY if _q(n) not in answers)
    if sev_missing:
        lines.append(
            f"No severity score: severity item(s) not answered: {', '.join(sev_missing)} "
            "(all 4 required; missing answers are never counted as 0)."
        )
    else:
        values = [answers[_q(n)] for n, _ in SEVERITY]
        means["severity"] = _mean(values)
        lines.append(
            f"Severity {means['severity']:.2f} = mean of worst, least, average, now "
            f"({'+'.join(map(str, values))})/4. Worst pain alone ({values[0]}) is also in use "
            "(NINDS: no official algorithm)."
        )
    answered = [answers[_q(n)] for n, _ in INTERFERENCE if _q(n) in answers]
    int_missing = tuple(_q(n) for n, _ in INTERFERENCE if _q(n) not in answers)
    if len(answered) >= INTERFERENCE_MIN_ANSWERED:
        means["interference"] = _mean(answered)
        lines.append(
            f"Interference {means['interference']:.2f} = mean of the {len(answered)} answered "
            f"of 7 items ({'+'.join(map(str, answered))})/{len(answered)}; usable with ≥4 "
            "answered (BPI User Guide, LOINC 77565-0)."
        )
    else:
        lines.append(
            f"No interference score: only {len(answered)} of 7 items answered; the BPI User "
            "Guide needs at least 4."
        )
    if _q("8") in answers:
        lines.append(f"Relief from treatment: {answers[_q('8')]}% (not scored).")
    return ScoreResult(
        scale_code=scale.code,
        total=None,
        complete=len(means) == 2,
        explanation=tuple(lines),
        missing_items=sev_missing + int_missing,
        mean_scores=means,
    )


BPI_SF = Scale(
    code="bpi_sf",
    name="BPI-SF (Brief Pain Inventory, short form)",
    version="1",
    items=(
        *(Item(_q(n), n, text, None, ZERO_TO_TEN) for n, text in SEVERITY),
        Item(_q("8"), "8", "Relief from pain treatments (%)", None, RELIEF, False, False),
        *(Item(_q(n), n, text, None, ZERO_TO_TEN, required=False) for n, text in INTERFERENCE),
    ),
    total_loinc=None,
    panel_loinc=None,
    min_total=None,
    max_total=None,
    bands=(),
    licence_note=(
        "Licence required: © Charles S. Cleeland; may not be used without permission, fees may "
        "apply (MD Anderson; instruments.md §11). Neutral labels only."
    ),
    item_text_licensed=True,
    clinician_rated=False,
    missing_policy=(
        "Interference: mean of answered items when ≥4 of 7 are answered (author rule). "
        "Severity: all 4 items required (no author rule). Missing answers never count as 0."
    ),
    score_fn=score_bpi,
)
