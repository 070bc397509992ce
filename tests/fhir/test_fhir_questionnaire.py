"""GET /fhir/Questionnaire[/{id}]: every rating scale as a LOINC-coded R4 Questionnaire."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaire import Questionnaire

from ketacare.accounts.audit import AuditEntry
from ketacare.clinical.scales import SCALES

LOINC = "http://loinc.org"
ORDINAL = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
# instruments.md §1, in form order.
PHQ9_ITEM_CODES = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
    "69722-7",
]
FREQUENCY = [("LA6568-5", 0), ("LA6569-3", 1), ("LA6570-1", 2), ("LA6571-9", 3)]
DIFFICULTY = [("LA6572-7", 0), ("LA6573-5", 1), ("LA6575-0", 2), ("LA6574-3", 3)]
# The LHC-Forms PHQ-9 (shared/reference/fhir-examples/lforms_phq9_questionnaire_R4.json):
# item code -> (answer code, ordinalValue); item 10 carries no weights there.
LFORMS_PHQ9 = {code: FREQUENCY for code in PHQ9_ITEM_CODES[:9]}


def read(client: Client, resource_id: str) -> dict[str, Any]:
    response = client.get(f"/fhir/Questionnaire/{resource_id}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    return response.json()


def options(item: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (
            option["valueCoding"]["code"],
            next(e["valueDecimal"] for e in option["extension"] if e["url"] == ORDINAL),
        )
        for option in item["answerOption"]
    ]


def search(client: Client, query: str = "", expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/Questionnaire{'?' + query if query else ''}")
    assert response.status_code == expect, response.content
    if expect == 200:
        Bundle.model_validate(response.json())
    else:
        OperationOutcome.model_validate(response.json())
    return response.json()


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


@pytest.mark.parametrize("code", sorted(SCALES))
def test_every_scale_is_a_valid_r4_questionnaire(nurse: Client, code: str) -> None:
    scale = SCALES[code]
    body = read(nurse, code.replace("_", "-"))
    questionnaire = Questionnaire.model_validate(body)
    assert questionnaire.url == f"http://ketacare.org/fhir/Questionnaire/{body['id']}"
    assert questionnaire.version == scale.version
    assert questionnaire.status == "active"
    link_ids = [item.linkId for item in questionnaire.item]
    assert link_ids[: len(scale.items)] == [item.link_id for item in scale.items]
    for item, source in zip(questionnaire.item, scale.items, strict=False):
        assert item.text == source.text  # licensed scales: the library's neutral labels
        assert {o.valueCoding.code for o in item.answerOption} and item.type == "choice"
        assert bool(item.code) == bool(source.loinc)
    assert scale.licence_note in questionnaire.copyright


def test_phq9_is_loinc_coded_as_in_the_reference(nurse: Client) -> None:
    body = read(nurse, "phq9")
    assert body["code"] == [{"system": LOINC, "code": "44249-1"}]
    items = body["item"]
    assert [i["code"][0]["code"] for i in items[:10]] == PHQ9_ITEM_CODES
    assert all(i["code"][0]["system"] == LOINC for i in items)
    for item in items[:9]:
        assert options(item) == FREQUENCY
        assert item["required"] is True
    assert options(items[9]) == DIFFICULTY
    assert items[9]["required"] is False
    total = items[10]
    assert total["linkId"] == "phq9-total"
    assert total["code"] == [{"system": LOINC, "code": "44261-6"}]
    assert (total["type"], total["readOnly"], total["required"]) == ("integer", True, False)


def test_phq9_answer_codes_and_weights_agree_with_lhc_forms(nurse: Client) -> None:
    items = {i["code"][0]["code"]: i for i in read(nurse, "phq9")["item"]}
    for code, expected in LFORMS_PHQ9.items():
        assert options(items[code]) == expected, code


def test_gad7_and_auditc_use_their_own_codes(nurse: Client) -> None:
    gad7 = read(nurse, "gad7")
    assert gad7["code"][0]["code"] == "69737-5"
    assert gad7["item"][1]["code"][0]["code"] == "68509-9"
    assert gad7["item"][-1]["code"][0]["code"] == "70274-6"
    audit_c = read(nurse, "auditc")
    assert audit_c["item"][0]["code"][0]["code"] == "68518-0"  # not 68517-2 (§9 pitfall)
    assert options(audit_c["item"][1])[4] == ("LA18932-6", 4)


def test_cssrs_skip_logic_is_enable_when(nurse: Client) -> None:
    body = read(nurse, "cssrs-recent")
    assert body["code"][0]["code"] == "93373-9"
    items = {i["linkId"]: i for i in body["item"]}
    yes = {"system": LOINC, "code": "LA33-6", "display": "Yes"}
    for link_id in ("cssrs_recent-3", "cssrs_recent-4", "cssrs_recent-5"):
        assert items[link_id]["enableWhen"] == [
            {"question": "cssrs_recent-2", "operator": "=", "answerCoding": yes}
        ]
        assert items[link_id]["required"] is True  # required when enabled
    assert items["cssrs_recent-6b"]["enableWhen"][0]["question"] == "cssrs_recent-6"
    assert "enableWhen" not in items["cssrs_recent-1"]
    assert "cssrs_recent-total" not in items  # no total score


def test_a_scale_without_loinc_answers_uses_the_local_answer_system(nurse: Client) -> None:
    body = read(nurse, "madrs")
    assert "code" not in body
    first = body["item"][0]
    assert "code" not in first
    coding = first["answerOption"][6]["valueCoding"]
    assert coding["system"] == "http://ketacare.org/fhir/CodeSystem/madrs-answers"
    assert coding["code"] == "6"
    assert body["item"][-1]["linkId"] == "madrs-total"
    assert "LOINC" not in body["copyright"]


def test_the_scale_code_is_accepted_as_an_id_and_unknown_ids_are_404(nurse: Client) -> None:
    assert read(nurse, "cssrs_recent")["id"] == "cssrs-recent"
    response = nurse.get("/fhir/Questionnaire/nope")
    assert response.status_code == 404
    assert OperationOutcome.model_validate(response.json()).issue[0].code == "not-found"


def test_a_token_is_required_but_reads_are_not_audited(world: Any, nurse: Client) -> None:
    assert Client().get("/fhir/Questionnaire/phq9").status_code == 401
    assert Client().get("/fhir/Questionnaire").status_code == 401
    before = AuditEntry.objects.count()
    read(nurse, "phq9")
    search(nurse)
    assert AuditEntry.objects.count() == before


def test_listing_returns_every_questionnaire(nurse: Client) -> None:
    bundle = search(nurse)
    assert bundle["total"] == len(SCALES)
    assert len(ids(bundle)) == len(SCALES)
    assert bundle["entry"][0]["fullUrl"] == "http://testserver/fhir/Questionnaire/phq9"
    for entry in bundle["entry"]:
        Questionnaire.model_validate(entry["resource"])


def test_search_by_panel_code_finds_only_that_questionnaire(nurse: Client) -> None:
    assert ids(search(nurse, "code=44249-1")) == ["phq9"]
    assert ids(search(nurse, "code=http://loinc.org|44249-1")) == ["phq9"]
    assert ids(search(nurse, "code=http://example.org|44249-1")) == []
    assert ids(search(nurse, "code=93373-9,72109-2")) == ["cssrs-recent", "auditc"]


def test_search_by_item_code_finds_every_questionnaire_that_asks_it(nurse: Client) -> None:
    assert ids(search(nurse, "code=44250-9")) == ["phq9", "phq2"]


def test_search_by_url(nurse: Client) -> None:
    url = "http://ketacare.org/fhir/Questionnaire/gad7"
    assert ids(search(nurse, f"url={url}")) == ["gad7"]
    assert ids(search(nurse, f"url={url}|1")) == ["gad7"]
    assert ids(search(nurse, f"url={url}|9")) == []
    assert ids(search(nurse, "url=http://example.org/Questionnaire/gad7")) == []


def test_questionnaire_search_pages(nurse: Client) -> None:
    bundle = search(nurse, "_count=5&_offset=5")
    assert bundle["total"] == len(SCALES)
    assert len(ids(bundle)) == 5
    relations = {link["relation"] for link in bundle["link"]}
    assert {"self", "first", "previous", "next", "last"} <= relations


@pytest.mark.parametrize("query", ["name=phq", "code:text=phq", "_count=x"])
def test_unknown_or_malformed_questionnaire_parameters_are_400(nurse: Client, query: str) -> None:
    body = search(nurse, query, expect=400)
    assert query.split("=")[0] in body["issue"][0]["diagnostics"]


def test_metadata_declares_the_measure_resources(db: Any) -> None:
    body = Client().get("/fhir/metadata").json()
    CapabilityStatement.model_validate(body)
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert {i["code"] for i in resources["Questionnaire"]["interaction"]} == {
        "read",
        "search-type",
    }
    assert {i["code"] for i in resources["QuestionnaireResponse"]["interaction"]} == {
        "read",
        "create",
        "search-type",
    }
    assert {p["name"] for p in resources["Observation"]["searchParam"]} == {
        "patient",
        "code",
        "date",
        "category",
    }
    assert {p["name"] for p in resources["QuestionnaireResponse"]["searchParam"]} == {
        "patient",
        "questionnaire",
        "authored",
    }
