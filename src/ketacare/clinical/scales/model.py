"""The data model every rating scale is written in.

A `Scale` is plain data (its items, answer options, LOINC codes, bands and licence note) plus
one pure scoring function. Scoring never touches a database: answers go in as a mapping of
item link_id to integer value, and a frozen `ScoreResult` comes out that says how it was
reached (`explanation`) and what was missing.

Answers are validated here, once, for every scale: unknown items, values that are not one of
the item's answer options and values of the wrong type raise `ScaleInputError`, whose `.field`
names the offending item. `None` means "not answered" and is treated like an absent key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


class ScaleInputError(ValueError):
    """Input that cannot be scored. `.field` names the item link_id (or parameter) at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class AnswerOption:
    """One permitted answer: the number that is scored, its display text and LOINC answer code."""

    value: int
    display: str
    loinc: str | None = None
    # Other LOINC answer codes seen for the same value *on this item only*
    # (e.g. GAD-7 68509-9 "LA18938-3", instruments.md §0).
    alt_loinc: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """One question. `scored` says whether it enters the score; `required` whether a score
    may be given without it."""

    link_id: str
    number: int | str
    text: str
    loinc: str | None
    options: tuple[AnswerOption, ...]
    required: bool = True
    scored: bool = True

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    def option_for(self, value: int) -> AnswerOption:
        for option in self.options:
            if option.value == value:
                return option
        raise ScaleInputError(self.link_id, f"value {value!r} is not an answer option")


@dataclass(frozen=True)
class Band:
    """A labelled, inclusive range of totals (e.g. 10-14 "moderate")."""

    low: int
    high: int
    label: str

    def contains(self, total: int) -> bool:
        return self.low <= total <= self.high


def check_bands(bands: Sequence[Band], low: int, high: int) -> None:
    """Raise ValueError unless `bands` cover low..high exactly once, in order, without gaps."""
    expected = low
    for band in bands:
        if band.low > band.high:
            raise ValueError(f"band {band.label!r} runs backwards ({band.low}-{band.high})")
        if band.low != expected:
            kind = "gap" if band.low > expected else "overlap"
            raise ValueError(f"band {band.label!r} starts at {band.low}: {kind} at {expected}")
        expected = band.high + 1
    if bands and expected != high + 1:
        raise ValueError(f"bands end at {expected - 1}, the scale ends at {high}")


def band_for(bands: Sequence[Band], total: int) -> Band:
    for band in bands:
        if band.contains(total):
            return band
    raise ValueError(f"no band contains {total}")  # unreachable when check_bands passed


@dataclass(frozen=True)
class ScoreResult:
    """The outcome of scoring one administration of one scale.

    `total` is None when the scale has no total (C-SSRS, BPI) or when required answers are
    missing; `complete` says whether every score this scale reports could be computed.
    `mean_scores` holds scores that are means rather than sums (BPI), rounded to 2 dp.
    """

    scale_code: str
    total: int | None
    complete: bool
    subscores: dict[str, int] = field(default_factory=dict)
    band: str | None = None
    flags: tuple[str, ...] = ()
    risk_level: str | None = None
    explanation: tuple[str, ...] = ()
    missing_items: tuple[str, ...] = ()
    mean_scores: dict[str, float] = field(default_factory=dict)


ScoreFn = Callable[..., ScoreResult]
"""`score_fn(scale, answers, **params)`: answers already validated by `Scale.validate`."""


@dataclass(frozen=True)
class Scale:
    """A rating scale: its items, codes, bands and licence, and how it is scored."""

    code: str
    name: str
    version: str
    items: tuple[Item, ...]
    total_loinc: str | None
    panel_loinc: str | None
    min_total: int | None
    max_total: int | None
    bands: tuple[Band, ...]
    licence_note: str
    item_text_licensed: bool
    clinician_rated: bool
    missing_policy: str
    score_fn: ScoreFn

    def __post_init__(self) -> None:
        link_ids = [item.link_id for item in self.items]
        if len(set(link_ids)) != len(link_ids):
            raise ValueError(f"{self.code}: duplicate item link_id")
        for item in self.items:
            if len(set(item.values)) != len(item.values):
                raise ValueError(f"{item.link_id}: duplicate answer value")
        if self.bands:
            if self.min_total is None or self.max_total is None:
                raise ValueError(f"{self.code}: bands need a total range")
            check_bands(self.bands, self.min_total, self.max_total)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    def item(self, link_id: str) -> Item:
        for item in self.items:
            if item.link_id == link_id:
                return item
        raise ScaleInputError(link_id, f"not an item of {self.code}")

    def validate(self, answers: Mapping[str, int | None]) -> dict[str, int]:
        """Check every answer; return the answered ones (None dropped) as a plain dict."""
        if not isinstance(answers, Mapping):
            raise ScaleInputError("answers", "expected a mapping of item link_id to value")
        clean: dict[str, int] = {}
        for link_id, value in answers.items():
            if not isinstance(link_id, str):
                raise ScaleInputError(str(link_id), "item keys must be link_id strings")
            item = self.item(link_id)
            if value is None:
                continue
            # bool is an int subclass; True as a PHQ answer is a bug, not a 1.
            if isinstance(value, bool) or not isinstance(value, int):
                raise ScaleInputError(
                    link_id, f"expected an integer answer value, got {type(value).__name__}"
                )
            if value not in item.values:
                allowed = ", ".join(str(v) for v in item.values)
                raise ScaleInputError(
                    link_id, f"value {value} is not an answer option (allowed: {allowed})"
                )
            clean[link_id] = value
        return clean

    def score(self, answers: Mapping[str, int | None], **params: Any) -> ScoreResult:
        return self.score_fn(self, self.validate(answers), **params)
