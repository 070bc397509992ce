"""Properties that hold for every scale in the registry (hypothesis): totals stay in range,
bands tile the range, totals never fall when an answer rises, a missing required item is
always named, and bad input is refused naming the item."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketacare.clinical.scales import SCALES, Band, Scale, ScaleInputError, score
from ketacare.clinical.scales.model import check_bands

# Scoring parameters a scale cannot do without.
PARAMS: dict[str, dict[str, Any]] = {"auditc": {"sex": "female"}}

TOTALLED = sorted(code for code, scale in SCALES.items() if scale.min_total is not None)
BANDED = sorted(code for code, scale in SCALES.items() if scale.bands)


def cssrs_answers() -> st.SearchStrategy[dict[str, int]]:
    """Only the answer patterns the screener's skip logic can produce."""

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, int]:
        yes_no = st.sampled_from([0, 1])
        answers = {"cssrs_recent-1": draw(yes_no), "cssrs_recent-2": draw(yes_no)}
        if answers["cssrs_recent-2"]:
            answers |= {f"cssrs_recent-{n}": draw(yes_no) for n in (3, 4, 5)}
        answers["cssrs_recent-6"] = draw(yes_no)
        if answers["cssrs_recent-6"]:
            answers["cssrs_recent-6b"] = draw(yes_no)
        return answers

    return build()


def valid_answers(scale: Scale) -> st.SearchStrategy[dict[str, int]]:
    """Every item answered with one of its options (C-SSRS: following its skip logic)."""
    if scale.code == "cssrs_recent":
        return cssrs_answers()
    return st.fixed_dictionaries(
        {item.link_id: st.sampled_from(item.values) for item in scale.items}
    )


@pytest.mark.parametrize("code", TOTALLED)
@given(data=st.data())
def test_total_of_a_complete_administration_lies_within_the_scale_range(
    code: str, data: st.DataObject
) -> None:
    scale = SCALES[code]
    result = score(code, data.draw(valid_answers(scale)), **PARAMS.get(code, {}))
    assert result.complete
    assert result.total is not None
    assert scale.min_total is not None and scale.max_total is not None
    assert scale.min_total <= result.total <= scale.max_total
    if scale.bands:
        assert result.band is not None


@pytest.mark.parametrize("code", BANDED)
def test_bands_cover_every_possible_total_exactly_once(code: str) -> None:
    scale = SCALES[code]
    assert scale.min_total is not None and scale.max_total is not None
    for total in range(scale.min_total, scale.max_total + 1):
        assert sum(band.contains(total) for band in scale.bands) == 1, total


@pytest.mark.parametrize(
    "bands",
    [
        (Band(0, 4, "a"), Band(6, 10, "b")),  # gap at 5
        (Band(0, 5, "a"), Band(5, 10, "b")),  # overlap at 5
        (Band(0, 4, "a"), Band(5, 9, "b")),  # stops short of 10
        (Band(1, 10, "a"),),  # starts late
    ],
)
def test_band_check_rejects_gaps_overlaps_and_short_ranges(bands: tuple[Band, ...]) -> None:
    with pytest.raises(ValueError):
        check_bands(bands, 0, 10)


@pytest.mark.parametrize("code", TOTALLED)
@given(data=st.data())
def test_total_never_falls_when_one_answer_rises(code: str, data: st.DataObject) -> None:
    scale = SCALES[code]
    answers = data.draw(valid_answers(scale))
    item = data.draw(st.sampled_from(scale.scored_items))
    higher = [v for v in item.values if v > answers[item.link_id]]
    before = score(code, answers, **PARAMS.get(code, {})).total
    assert before is not None
    for value in higher:
        after = score(code, {**answers, item.link_id: value}, **PARAMS.get(code, {})).total
        assert after is not None and after >= before


@pytest.mark.parametrize("code", sorted(SCALES))
@given(data=st.data())
def test_missing_a_required_item_means_incomplete_no_total_and_the_item_named(
    code: str, data: st.DataObject
) -> None:
    scale = SCALES[code]
    answers = data.draw(valid_answers(scale))
    required = [item.link_id for item in scale.items if item.required]
    gone = data.draw(st.sampled_from(required))
    result = score(code, {k: v for k, v in answers.items() if k != gone}, **PARAMS.get(code, {}))
    assert not result.complete
    assert result.total is None
    assert gone in result.missing_items


@pytest.mark.parametrize("code", sorted(SCALES))
@given(data=st.data())
def test_an_unanswered_item_given_as_none_counts_as_missing_not_zero(
    code: str, data: st.DataObject
) -> None:
    scale = SCALES[code]
    answers = data.draw(valid_answers(scale))
    gone = data.draw(st.sampled_from([i.link_id for i in scale.items if i.required]))
    result = score(code, {**answers, gone: None}, **PARAMS.get(code, {}))
    assert not result.complete
    assert gone in result.missing_items


@pytest.mark.parametrize("code", sorted(SCALES))
@given(data=st.data())
def test_a_value_outside_the_items_options_is_refused_naming_the_item(
    code: str, data: st.DataObject
) -> None:
    scale = SCALES[code]
    item = data.draw(st.sampled_from(scale.items))
    bad = data.draw(st.integers(-1000, 1000).filter(lambda v: v not in item.values))
    with pytest.raises(ScaleInputError) as caught:
        score(code, {item.link_id: bad}, **PARAMS.get(code, {}))
    assert caught.value.field == item.link_id
    assert item.link_id in str(caught.value)


@given(data=st.data())
def test_bpi_means_lie_between_0_and_10(data: st.DataObject) -> None:
    result = score("bpi_sf", data.draw(valid_answers(SCALES["bpi_sf"])))
    assert result.complete
    assert set(result.mean_scores) == {"severity", "interference"}
    assert all(0 <= mean <= 10 for mean in result.mean_scores.values())


def test_every_scale_declares_its_licence_and_missing_policy() -> None:
    for scale in SCALES.values():
        assert scale.licence_note.strip(), scale.code
        assert scale.missing_policy.strip(), scale.code


def test_every_link_id_is_the_scale_code_and_item_number() -> None:
    for scale in SCALES.values():
        for item in scale.items:
            assert item.link_id == f"{scale.code}-{item.number}"
