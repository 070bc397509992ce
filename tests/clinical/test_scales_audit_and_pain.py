"""AUDIT-C (sex-specific cut-off), the pain NRS and the BPI short form."""

from __future__ import annotations

from ketacare.clinical.scales import get_scale, score
from ketacare.clinical.scales.pain import EPPOC_BANDS


def audit(*values: int) -> dict[str, int]:
    return {f"auditc-{n}": v for n, v in enumerate(values, start=1)}


def test_auditc_total_of_3_is_positive_for_women_and_negative_for_men() -> None:
    assert "positive_screen" in score("auditc", audit(1, 2, 0), sex="female").flags
    assert "positive_screen" not in score("auditc", audit(1, 2, 0), sex="male").flags


def test_auditc_points_only_from_item1_stay_positive_but_are_noted() -> None:
    result = score("auditc", audit(4, 0, 0), sex="female")
    assert result.flags == ("positive_screen", "points_only_from_item1")
    assert any("within limits" in line for line in result.explanation)


def test_auditc_item1_is_68518_0() -> None:
    assert get_scale("auditc").items[0].loinc == "68518-0"


def test_pain_nrs_default_bands_and_clinic_bands() -> None:
    assert score("pain_nrs", {"pain_nrs-1": 0}).band == "no present pain"
    assert score("pain_nrs", {"pain_nrs-1": 5}).band == "moderate"
    assert score("pain_nrs", {"pain_nrs-1": 10}).band == "excruciating"
    assert score("pain_nrs", {"pain_nrs-1": 4}, bands=EPPOC_BANDS).band == "none to mild"


def bpi(severity: list[int], interference: list[int | None]) -> dict[str, int | None]:
    keys = ["3", "4", "5", "6"]
    answers: dict[str, int | None] = {f"bpi_sf-{k}": v for k, v in zip(keys, severity, strict=True)}
    for letter, value in zip("abcdefg", interference, strict=True):
        answers[f"bpi_sf-9{letter}"] = value
    return answers


def test_bpi_interference_uses_the_answered_items_when_4_of_7_are_answered() -> None:
    result = score("bpi_sf", bpi([7, 3, 5, 4], [6, None, 5, None, 4, None, 7]))
    assert result.mean_scores == {"severity": 4.75, "interference": 5.5}
    assert result.complete
    assert result.missing_items == ("bpi_sf-9b", "bpi_sf-9d", "bpi_sf-9f")


def test_bpi_interference_is_withheld_with_only_3_of_7_answered() -> None:
    result = score("bpi_sf", bpi([7, 3, 5, 4], [6, None, None, None, 4, None, 7]))
    assert "interference" not in result.mean_scores
    assert not result.complete
    assert any("only 3 of 7" in line for line in result.explanation)


def test_bpi_severity_needs_all_four_items_but_interference_still_scores() -> None:
    answers = bpi([7, 3, 5, 4], [1, 1, 1, 1, 1, 1, 1])
    del answers["bpi_sf-6"]
    result = score("bpi_sf", answers)
    assert result.mean_scores == {"interference": 1.0}
    assert "bpi_sf-6" in result.missing_items


def test_bpi_relief_is_recorded_but_not_scored() -> None:
    answers = bpi([2, 2, 2, 2], [2, 2, 2, 2, 2, 2, 2]) | {"bpi_sf-8": 70}
    result = score("bpi_sf", answers)
    assert result.mean_scores == {"severity": 2.0, "interference": 2.0}
    assert any("70%" in line for line in result.explanation)
