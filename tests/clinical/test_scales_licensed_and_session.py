"""MADRS, ISI, CADSS and MOAA/S: neutral labels for licensed wording, raw scores, bands."""

from __future__ import annotations

import pytest

from ketacare.clinical.scales import SCALES, Band, ScaleInputError, get_scale, score

LICENSED = ("madrs", "isi", "bpi_sf", "cadss23", "cadss6")


@pytest.mark.parametrize("code", LICENSED)
def test_licensed_scales_ship_neutral_labels_and_say_so(code: str) -> None:
    scale = get_scale(code)
    assert scale.item_text_licensed
    note = scale.licence_note.lower()
    assert "licence" in note or "permission" in note
    assert all(len(item.text) <= 60 for item in scale.items)


def test_free_scales_are_not_marked_licensed() -> None:
    for code in ("phq9", "phq2", "gad7", "pcl5", "auditc"):
        assert not SCALES[code].item_text_licensed, code


def test_madrs_items_are_rated_0_to_6() -> None:
    for item in get_scale("madrs").items:
        assert item.values == tuple(range(7))
    assert get_scale("madrs").clinician_rated


def test_madrs_bands_can_be_replaced_by_the_clinic() -> None:
    answers = {f"madrs-{n}": 3 for n in range(1, 11)} | {"madrs-10": 1}  # 28
    mueller = (
        Band(0, 6, "absent"),
        Band(7, 19, "mild"),
        Band(20, 30, "moderate"),
        Band(31, 60, "severe"),
    )
    assert score("madrs", answers).band == "moderate"
    assert score("madrs", answers, bands=mueller).band == "moderate"
    assert score("madrs", {k: 4 for k in answers}, bands=mueller).band == "severe"  # 40


def test_madrs_replacement_bands_with_a_gap_are_refused() -> None:
    answers = {f"madrs-{n}": 0 for n in range(1, 11)}
    with pytest.raises(ScaleInputError) as caught:
        score("madrs", answers, bands=(Band(0, 10, "low"), Band(12, 60, "high")))
    assert caught.value.field == "bands"


def test_cadss_has_no_bands_and_reports_the_raw_score() -> None:
    result = score("cadss23", {f"cadss23-{n}": 1 for n in range(1, 24)})
    assert result.total == 23
    assert result.band is None
    assert any("raw score" in line for line in result.explanation)


def test_cadss6_items_keep_their_full_form_numbers() -> None:
    scale = get_scale("cadss6")
    assert [item.number for item in scale.items] == [1, 2, 6, 7, 15, 22]
    result = score("cadss6", {item.link_id: 2 for item in scale.items})
    assert (result.total, result.explanation[0][:40]) == (
        12,
        "Total 12 = sum of items 1, 2, 6, 7, 15, ",
    )


@pytest.mark.parametrize(
    ("value", "starts"),
    [(5, "Responds readily"), (2, "Responds only after mild prodding"), (0, "No response")],
)
def test_moaas_reports_the_value_and_its_level(value: int, starts: str) -> None:
    result = score("moaas", {"moaas-1": value})
    assert result.total == value
    assert result.band is not None and result.band.startswith(starts)
    assert result.flags == ()


def test_moaas_without_a_rating_has_no_result() -> None:
    result = score("moaas", {})
    assert (result.complete, result.total, result.missing_items) == (False, None, ("moaas-1",))


def test_isi_bands_at_their_boundaries() -> None:
    def isi(total: int) -> str | None:
        values = [4] * (total // 4) + [total % 4] + [0] * 7
        return score("isi", {f"isi-{n}": v for n, v in enumerate(values[:7], start=1)}).band

    assert [isi(t) for t in (7, 8, 14, 15, 21, 22)] == [
        "no clinically significant insomnia",
        "subthreshold",
        "subthreshold",
        "clinical moderate",
        "clinical moderate",
        "clinical severe",
    ]
