"""Bad input is refused with a ScaleInputError (a ValueError) whose `.field` names the item
or parameter at fault; nothing is guessed or coerced."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.clinical.scales import (
    ScaleInputError,
    answer_value,
    answers_from_loinc,
    get_scale,
    score,
)

PHQ9_OK = {f"phq9-{n}": 1 for n in range(1, 10)}


def test_unknown_item_is_refused_naming_it() -> None:
    with pytest.raises(ScaleInputError) as caught:
        score("phq9", {**PHQ9_OK, "phq9-11": 1})
    assert caught.value.field == "phq9-11"
    assert "phq9-11" in str(caught.value)


def test_item_from_another_scale_is_refused_naming_it() -> None:
    with pytest.raises(ScaleInputError) as caught:
        score("phq9", {**PHQ9_OK, "gad7-1": 1})
    assert caught.value.field == "gad7-1"


def test_value_out_of_range_is_refused_naming_the_item() -> None:
    with pytest.raises(ScaleInputError) as caught:
        score("phq9", {**PHQ9_OK, "phq9-4": 4})
    assert caught.value.field == "phq9-4"
    assert "allowed: 0, 1, 2, 3" in str(caught.value)


@pytest.mark.parametrize("value", ["2", 2.0, True, [2], object()])
def test_wrong_type_is_refused_naming_the_item(value: Any) -> None:
    with pytest.raises(ScaleInputError) as caught:
        score("phq9", {**PHQ9_OK, "phq9-3": value})
    assert caught.value.field == "phq9-3"


def test_scale_input_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        score("gad7", {"gad7-1": -1})


def test_answers_that_are_not_a_mapping_are_refused() -> None:
    with pytest.raises(ScaleInputError) as caught:
        score("phq9", [("phq9-1", 1)])  # type: ignore[arg-type]  # deliberately wrong type
    assert caught.value.field == "answers"


def test_non_string_key_is_refused() -> None:
    with pytest.raises(ScaleInputError) as caught:
        score("phq9", {1: 1})  # type: ignore[dict-item]  # deliberately wrong key type
    assert caught.value.field == "1"


def test_unknown_scale_code_is_refused() -> None:
    with pytest.raises(ScaleInputError) as caught:
        get_scale("phq10")
    assert caught.value.field == "scale_code"
    assert "phq9" in str(caught.value)  # the message lists the known codes


def test_answer_code_from_a_different_answer_list_is_refused_naming_the_item() -> None:
    with pytest.raises(ScaleInputError) as caught:
        answer_value("phq9", "phq9-1", "LA6573-5")  # a difficulty answer, not a frequency
    assert caught.value.field == "phq9-1"


def test_unknown_loinc_item_code_is_refused_naming_the_code() -> None:
    with pytest.raises(ScaleInputError) as caught:
        answers_from_loinc("gad7", {"69726-8": "LA6568-5"})  # an invented "sequential" code
    assert caught.value.field == "69726-8"


@pytest.mark.parametrize(
    ("code", "params", "field"),
    [
        ("pcl5", {"cutoff": "33"}, "cutoff"),
        ("pcl5", {"cutoff": 81}, "cutoff"),
        ("phq2", {"cutoff": 7}, "cutoff"),
        ("gad7", {"cutoff": 2.5}, "cutoff"),
        ("auditc", {}, "sex"),
        ("auditc", {"sex": "unknown"}, "sex"),
    ],
)
def test_bad_scoring_parameters_are_refused_naming_the_parameter(
    code: str, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(ScaleInputError) as caught:
        score(code, {}, **params)
    assert caught.value.field == field


def test_an_unknown_scoring_parameter_is_a_programming_error() -> None:
    with pytest.raises(TypeError):
        score("phq9", PHQ9_OK, sex="female")
