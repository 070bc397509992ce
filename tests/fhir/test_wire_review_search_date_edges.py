"""Date search values at the edge of the calendar (year 1 with +14:00, 9999 with -12:00,
gt9999-12-31) overflowed when the database converted them to UTC: 500 pages on every search
that takes a date. They answer 400 naming the parameter; ordinary early/late dates still
search."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(world: Any, token_for: Any, api_client: Any) -> Client:
    client: Client = api_client(token_for(world.prescriber_a))
    return client


EDGES = [
    "0001-01-01T00:00:00%2B14:00",
    "9999-12-31T23:59:59-12:00",
    "gt9999-12-31",
    "le9999-12",
    "9999",
]
SEARCHES = [
    "Observation?date=",
    "QuestionnaireResponse?authored=",
    "Appointment?date=",
    "Communication?sent=",
]


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("value", EDGES)
def test_a_date_beyond_the_calendar_answers_400(reader: Client, search: str, value: str) -> None:
    response = reader.get(f"/fhir/{search}{value}")
    assert response.status_code == 400, response.content
    body = response.json()
    OperationOutcome.model_validate(body)
    assert search.split("?")[1].rstrip("=") in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize("value", ["lt0001-01-01", "ge1900", "lt9998-12-31"])
def test_early_and_late_dates_inside_the_calendar_still_search(reader: Client, value: str) -> None:
    response = reader.get(f"/fhir/Observation?date={value}")
    assert response.status_code == 200, response.content
