"""A client that asks only for XML by its Accept header gets 406 (it got a JSON body it could
not read, with 200); JSON, wildcards and no Accept at all are answered as before."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("accept", ["application/fhir+xml", "application/xml, text/xml;q=0.9"])
def test_an_xml_only_accept_header_answers_406(nurse: Any, accept: str) -> None:
    response = nurse.get("/fhir/metadata", HTTP_ACCEPT=accept)
    assert response.status_code == 406
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "not-supported"
    assert "application/fhir+json" in body["issue"][0]["diagnostics"]
    assert nurse.get("/fhir/Patient", HTTP_ACCEPT=accept).status_code == 406


@pytest.mark.parametrize(
    "accept",
    [
        "",
        "application/fhir+json",
        "application/fhir+json; fhirVersion=4.0",
        "application/json",
        "application/json+fhir",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "application/*",
    ],
)
def test_json_and_wildcards_are_answered(nurse: Any, accept: str) -> None:
    extra = {"HTTP_ACCEPT": accept} if accept else {}
    response = nurse.get("/fhir/metadata", **extra)
    assert response.status_code == 200
    assert response.json()["resourceType"] == "CapabilityStatement"
    assert nurse.get("/fhir/Patient", **extra).status_code == 200
