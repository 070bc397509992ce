"""The FHIR examples in shared/reference/fhir-examples, matched to scales by LOINC item code
and LOINC answer code through the registry helpers (never by position or display text)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ketacare.clinical.scales import (
    ScaleInputError,
    answer_value,
    answers_by_loinc,
    answers_from_loinc,
    score,
)

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "fhir-examples"

if not EXAMPLES.is_dir():
    pytest.skip(
        f"FHIR examples not found at {EXAMPLES} (shared/reference is not checked out next to "
        "the repo)",
        allow_module_level=True,
    )


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    return data


def item_codes(questionnaire: dict[str, Any]) -> dict[str, str]:
    """Questionnaire linkId -> its LOINC item code."""
    return {
        item["linkId"]: coding["code"]
        for item in questionnaire["item"]
        for coding in item.get("code", [])
        if coding.get("system") == "http://loinc.org"
    }


def ordinal(option: dict[str, Any]) -> float | None:
    for holder in (option, option.get("valueCoding", {})):
        for ext in holder.get("extension", []):
            if ext["url"].endswith("ordinalValue") or ext["url"].endswith("itemWeight"):
                return float(ext["valueDecimal"])
    return None


def test_us_core_phq9_response_scores_12_moderate_when_matched_by_loinc_codes() -> None:
    codes = item_codes(load("uscore_Questionnaire-phq-9-example.json"))
    response = load("uscore_QuestionnaireResponse-phq-9-example.json")
    coded: dict[str, str] = {}
    recorded_total = None
    for item in response["item"]:
        answer = item["answer"][0]
        if "valueCoding" in answer:
            coded[codes[item["linkId"]]] = answer["valueCoding"]["code"]
        elif codes[item["linkId"]] == "44261-6":
            recorded_total = answer["valueDecimal"]

    answers = answers_from_loinc("phq9", coded)
    assert [answers[f"phq9-{n}"] for n in range(1, 10)] == [2, 2, 2, 2, 1, 1, 2, 0, 0]
    assert answers["phq9-10"] == 1  # "Somewhat difficult": recorded, not scored

    result = score("phq9", answers)
    assert result.total == 12 == recorded_total
    assert result.band == "moderate"
    assert "item9_positive" not in result.flags


def test_phq9_total_code_is_the_questionnaires_total_item() -> None:
    from ketacare.clinical.scales import get_scale

    codes = set(item_codes(load("uscore_Questionnaire-phq-9-example.json")).values())
    assert get_scale("phq9").total_loinc in codes
    assert set(answers_by_loinc("phq9")) == codes - {"44261-6"}


@pytest.mark.parametrize(
    "questionnaire",
    ["lforms_phq9_questionnaire_R4.json", "uscore_Questionnaire-phq-9-example.json"],
)
def test_every_weighted_phq9_answer_code_maps_to_its_published_weight(questionnaire: str) -> None:
    by_loinc = answers_by_loinc("phq9")
    checked = 0
    for item in load(questionnaire)["item"]:
        code = item["code"][0]["code"]
        for option in item.get("answerOption", []):
            weight = ordinal(option)
            if weight is None:
                continue
            link_id = by_loinc[code]
            assert answer_value("phq9", link_id, option["valueCoding"]["code"]) == weight
            checked += 1
    assert checked == 36  # 9 items x 4 answers


def test_us_core_audit_c_answer_codes_map_to_their_weights() -> None:
    by_loinc = answers_by_loinc("auditc")
    checked = 0
    for item in load("uscore_Questionnaire-AUDIT-C.json")["item"]:
        code = item["code"][0]["code"] if item.get("code") else None
        if code not in by_loinc:
            continue
        for option in item.get("answerOption", []):
            weight = ordinal(option)
            assert weight is not None
            assert answer_value("auditc", by_loinc[code], option["valueCoding"]["code"]) == weight
            checked += 1
    assert checked == 10  # items 2 and 3; item 1 of the example is not the AUDIT-C item


def test_us_core_audit_c_item_68517_2_is_refused_as_not_the_audit_c_item() -> None:
    with pytest.raises(ScaleInputError) as caught:
        answers_from_loinc("auditc", {"68517-2": "LA6270-8"})
    assert caught.value.field == "68517-2"
    assert answers_by_loinc("auditc")["68518-0"] == "auditc-1"
