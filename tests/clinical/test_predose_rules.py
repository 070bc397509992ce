"""Pre-dose checklist answers that hold the dose (clinical.predose): the pregnancy test where
the clinic requires it, and medication changes since the last visit."""

from __future__ import annotations

import pytest

from ketacare.clinical.predose import (
    MEDICATION_CLASS_CODES,
    medication_change_hold,
    pregnancy_na_problem,
    pregnancy_test_applies,
    pregnancy_test_hold,
)


@pytest.mark.parametrize(
    ("required", "sex", "age", "applies"),
    [
        (True, "female", 34, True),
        (True, "female", 12, True),  # the range's ends count
        (True, "female", 55, True),
        (True, "female", 56, False),
        (True, "female", 11, False),
        (True, "male", 34, False),
        (False, "female", 34, False),  # the clinic does not require a test
    ],
)
def test_who_the_clinic_policy_covers(required: bool, sex: str, age: int, applies: bool) -> None:
    assert pregnancy_test_applies(required, sex, age, age_min=12, age_max=55) is applies


def test_not_applicable_is_refused_only_for_a_patient_in_scope() -> None:
    assert "requires a pregnancy test" in pregnancy_na_problem(True, "na")
    assert "§2b" in pregnancy_na_problem(True, "na")
    assert pregnancy_na_problem(False, "na") == ""
    assert pregnancy_na_problem(True, "yes") == ""


def test_a_test_not_negative_holds_with_its_source() -> None:
    held = pregnancy_test_hold("no")
    assert not held.ok and "prescriber" in held.reasons[0] and "§14" in held.reasons[0]
    assert pregnancy_test_hold("yes").ok and pregnancy_test_hold("na").ok


def test_any_medication_class_changed_holds_naming_the_classes_in_order() -> None:
    assert medication_change_hold([]).ok
    held = medication_change_hold(["opioids", "benzodiazepines"], " lorazepam started ")
    assert not held.ok
    reason = held.reasons[0]
    assert reason.index("Benzodiazepines") < reason.index("Opioids")
    assert "§4" in reason and "Note: lorazepam started" in reason
    assert "MAOIs" not in reason
    assert set(MEDICATION_CLASS_CODES) == {"benzodiazepines", "stimulants", "maois", "opioids"}


def test_an_unknown_class_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="medication_classes: unknown class 'cannabis'"):
        medication_change_hold(["cannabis"])
