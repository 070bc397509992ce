"""PHQ-9, PHQ-2 and GAD-7 behaviour beyond the reference vectors."""

from __future__ import annotations

import pytest

from ketacare.clinical.scales import ScaleInputError, answer_value, get_scale, score


def phq9(*values: int, **extra: int) -> dict[str, int]:
    return {**{f"phq9-{n}": v for n, v in enumerate(values, start=1)}, **extra}


def test_phq9_item9_positive_flags_regardless_of_total() -> None:
    result = score("phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 1))
    assert result.total == 1
    assert result.band == "minimal"
    assert "item9_positive" in result.flags
    assert any("C-SSRS" in line for line in result.explanation)


def test_phq9_item9_positive_is_flagged_even_when_other_items_are_missing() -> None:
    result = score("phq9", {"phq9-1": 0, "phq9-9": 2})
    assert not result.complete
    assert result.total is None
    assert result.flags == ("item9_positive",)
    assert result.missing_items == tuple(f"phq9-{n}" for n in range(2, 9))


def test_phq9_missing_items_are_never_counted_as_zero() -> None:
    answers = phq9(3, 3, 3, 3, 3, 3, 3, 3)  # item 9 missing
    result = score("phq9", answers)
    assert result.total is None
    assert result.band is None
    assert result.missing_items == ("phq9-9",)
    assert any("never counted as 0" in line for line in result.explanation)


def test_phq9_difficulty_item_is_optional_and_never_enters_the_total() -> None:
    without = score("phq9", phq9(1, 1, 1, 1, 1, 1, 1, 1, 1))
    with_it = score("phq9", phq9(1, 1, 1, 1, 1, 1, 1, 1, 1, **{"phq9-10": 3}))
    assert without.complete and with_it.complete
    assert without.total == with_it.total == 9


def test_phq9_difficulty_answer_codes_are_matched_by_code_not_by_order() -> None:
    # LA6575-0 (Very difficult) and LA6574-3 (Extremely difficult) are out of numeric order.
    assert answer_value("phq9", "phq9-10", "LA6575-0") == 2
    assert answer_value("phq9", "phq9-10", "LA6574-3") == 3


def test_phq9_major_syndrome_can_sit_in_the_mild_band() -> None:
    result = score("phq9", phq9(2, 0, 2, 2, 2, 0, 0, 0, 1))
    assert (result.total, result.band) == (9, "mild")
    assert "provisional_major_depressive_syndrome" in result.flags


def test_phq9_no_syndrome_without_item_1_or_2_however_many_symptoms() -> None:
    result = score("phq9", phq9(1, 1, 3, 3, 3, 3, 3, 3, 3))
    assert not any(flag.startswith("provisional") for flag in result.flags)


def test_phq9_explanation_shows_the_working() -> None:
    result = score("phq9", phq9(2, 2, 2, 2, 1, 1, 2, 0, 0))
    assert result.explanation[0].startswith("Total 12 = sum of items 1-9 (2+2+2+2+1+1+2+0+0)")


def test_phq2_uses_the_phq9_item_codes_and_its_own_panel() -> None:
    phq2 = get_scale("phq2")
    assert [item.loinc for item in phq2.items] == ["44250-9", "44255-8"]
    assert (phq2.panel_loinc, phq2.total_loinc) == ("55757-9", "55758-7")


def test_phq2_cutoff_can_be_lowered_to_2_for_sensitivity() -> None:
    answers = {"phq2-1": 1, "phq2-2": 1}
    assert "positive_screen" not in score("phq2", answers).flags
    assert "positive_screen" in score("phq2", answers, cutoff=2).flags


def test_gad7_item2_accepts_the_more_days_than_not_answer_code_as_2() -> None:
    assert answer_value("gad7", "gad7-2", "LA18938-3") == 2
    assert answer_value("gad7", "gad7-2", "LA6570-1") == 2


def test_gad7_more_days_than_not_code_is_refused_on_other_items() -> None:
    with pytest.raises(ScaleInputError) as caught:
        answer_value("gad7", "gad7-1", "LA18938-3")
    assert caught.value.field == "gad7-1"


def test_gad7_zero_anchor_is_not_at_all_not_not_at_all_sure() -> None:
    assert get_scale("gad7").items[0].options[0].display == "Not at all"


def test_gad7_probable_gad_at_10() -> None:
    answers = {f"gad7-{n}": v for n, v in enumerate([2, 2, 2, 2, 1, 1, 0], start=1)}
    result = score("gad7", answers)
    assert result.total == 10
    assert "probable_gad" in result.flags
