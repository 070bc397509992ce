"""`_count`/`_offset` and numeric ids that Python's str.isdigit() takes but are not plain
numbers ("²", "١") or that overflow the database's OFFSET answer 400/404 OperationOutcomes,
never a 500 page (nor another resource: "١" is not id 1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

pytestmark = pytest.mark.django_db

SEARCHES = ["Patient", "Location", "QuestionnaireResponse", "Observation", "Encounter", "Flag"]


@pytest.fixture
def reader(world: Any, token_for: Any, api_client: Any) -> Client:
    client: Client = api_client(token_for(world.prescriber_a))
    return client


@pytest.mark.parametrize("resource", SEARCHES)
@pytest.mark.parametrize("term", ["_count=²", "_offset=²", "_offset=99999999999999999999"])
def test_odd_result_numbers_answer_400_naming_the_parameter(
    reader: Client, resource: str, term: str
) -> None:
    response = reader.get(f"/fhir/{resource}?{term}")
    assert response.status_code == 400, response.content
    body = response.json()
    OperationOutcome.model_validate(body)
    assert term.split("=")[0] in body["issue"][0]["diagnostics"]


def test_a_large_offset_within_bounds_is_an_empty_page(reader: Client) -> None:
    response = reader.get("/fhir/Patient?_offset=1000000000")
    assert response.status_code == 200, response.content
    assert "entry" not in response.json()


@pytest.mark.parametrize("resource_id", ["²", "١"])
def test_a_communication_id_in_other_digits_is_not_found(reader: Client, resource_id: str) -> None:
    response = reader.get(f"/fhir/Communication/{resource_id}")
    assert response.status_code == 404, response.content
    OperationOutcome.model_validate(response.json())
