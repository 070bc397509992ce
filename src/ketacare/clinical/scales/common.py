"""Helpers shared by the scale modules: building answer options, finding missing items,
summing, banding, and the standard "refuse to total" result.

Nothing here is specific to one instrument; instrument rules live in the scale modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ketacare.clinical.scales.model import (
    AnswerOption,
    Band,
    Item,
    Scale,
    ScaleInputError,
    ScoreResult,
    band_for,
    check_bands,
)


def numbered_options(
    low: int, high: int, anchors: Mapping[int, str] | None = None
) -> tuple[AnswerOption, ...]:
    """Options low..high whose display is the number, plus a word where an anchor is given."""
    anchors = anchors or {}
    return tuple(
        AnswerOption(value, f"{value} — {anchors[value]}" if value in anchors else str(value))
        for value in range(low, high + 1)
    )


def items_from(
    code: str,
    texts: Sequence[tuple[int | str, str, str | None]],
    options: tuple[AnswerOption, ...],
    *,
    required: bool = True,
) -> tuple[Item, ...]:
    """Items whose link_id is "<scale code>-<item number>", all sharing one option set."""
    return tuple(
        Item(f"{code}-{number}", number, text, loinc, options, required=required)
        for number, text, loinc in texts
    )


def missing_required(scale: Scale, answers: Mapping[str, int]) -> tuple[str, ...]:
    return tuple(
        item.link_id for item in scale.items if item.required and item.link_id not in answers
    )


def refuse_total(
    scale: Scale,
    missing: Sequence[str],
    *,
    flags: Iterable[str] = (),
    explanation: Iterable[str] = (),
    risk_level: str | None = None,
) -> ScoreResult:
    """The result for an incomplete administration: no total, the missing items named."""
    lines = (
        *explanation,
        f"No score: required item(s) not answered: {', '.join(missing)}. "
        "Missing answers are never counted as 0.",
    )
    return ScoreResult(
        scale_code=scale.code,
        total=None,
        complete=False,
        flags=tuple(flags),
        risk_level=risk_level,
        explanation=lines,
        missing_items=tuple(missing),
    )


def sum_of(answers: Mapping[str, int], link_ids: Iterable[str]) -> tuple[int, str]:
    """The sum of the given items and the working ("2+2+1") for the explanation."""
    values = [answers[link_id] for link_id in link_ids]
    return sum(values), "+".join(str(v) for v in values)


def resolve_bands(scale: Scale, bands: Sequence[Band] | None) -> tuple[Band, ...]:
    """The scale's default bands, or caller-supplied ones checked to cover the full range."""
    if bands is None:
        return scale.bands
    if scale.min_total is None or scale.max_total is None:
        raise ScaleInputError("bands", f"{scale.code} has no total to band")
    try:
        check_bands(bands, scale.min_total, scale.max_total)
    except ValueError as exc:
        raise ScaleInputError("bands", str(exc)) from exc
    return tuple(bands)


def band_line(bands: Sequence[Band], total: int, source: str) -> tuple[str | None, str]:
    """The band label for `total` and an explanation line naming the band's range and source."""
    if not bands:
        return None, "No severity bands are defined for this scale; report the raw score."
    band = band_for(bands, total)
    return band.label, f"Band '{band.label}' ({band.low}-{band.high}; {source})."


def sum_scale(
    scale: Scale,
    answers: Mapping[str, int],
    *,
    bands: Sequence[Band] | None = None,
    band_source: str = "",
) -> ScoreResult:
    """Score a scale whose total is the plain sum of its scored items, then band it."""
    missing = missing_required(scale, answers)
    if missing:
        return refuse_total(scale, missing)
    link_ids = [item.link_id for item in scale.scored_items]
    total, working = sum_of(answers, link_ids)
    label, line = band_line(resolve_bands(scale, bands), total, band_source)
    return ScoreResult(
        scale_code=scale.code,
        total=total,
        complete=True,
        band=label,
        explanation=(f"Total {total} = sum of items {scale_range(scale)} ({working}).", line),
    )


def scale_range(scale: Scale) -> str:
    """ "1-9" for consecutive item numbers, "1, 2, 6, 7, 15, 22" otherwise."""
    numbers = [item.number for item in scale.scored_items]
    consecutive = all(isinstance(n, int) for n in numbers) and numbers == list(
        range(int(numbers[0]), int(numbers[0]) + len(numbers))
    )
    if consecutive and len(numbers) > 1:
        return f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(str(n) for n in numbers)


def int_param(name: str, value: object, low: int, high: int) -> int:
    """Check a numeric scoring parameter (e.g. a cut-off) is an int within low..high."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScaleInputError(name, f"expected an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise ScaleInputError(name, f"{value} is outside {low}-{high}")
    return value
