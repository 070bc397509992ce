"""Content negotiation refusals name what to change: 406 names `http._format` or the `Accept`
header, 415 the `Content-Type` header (they named nothing)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

pytestmark = pytest.mark.django_db


def _expression(response: Any, status: int) -> list[str]:
    assert response.status_code == status, response.content
    OperationOutcome.model_validate(response.json())
    found: list[str] = response.json()["issue"][0]["expression"]
    return found


def test_negotiation_refusals_name_the_header_or_parameter(world: Any, nurse: Client) -> None:
    assert _expression(nurse.get("/fhir/Patient?_format=xml"), 406) == ["http._format"]
    xml = nurse.get("/fhir/Patient", headers={"Accept": "application/fhir+xml"})
    assert _expression(xml, 406) == ["Accept"]
    text = nurse.post("/fhir/Observation", data="{}", content_type="text/plain")
    assert _expression(text, 415) == ["Content-Type"]
    form = nurse.post("/fhir/Patient/_search", data="{}", content_type="application/json")
    assert _expression(form, 415) == ["Content-Type"]
