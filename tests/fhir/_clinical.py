"""Helpers for the clinical-record FHIR tests: read/search with R4B validation."""

from __future__ import annotations

from typing import Any

from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome


def read(client: Client, kind: type, path: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/{path}")
    assert response.status_code == expect, response.content
    (kind if expect == 200 else OperationOutcome).model_validate(response.json())  # type: ignore[attr-defined]
    return dict(response.json())


def search(client: Client, kind: type, path: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/{path}")
    assert response.status_code == expect, response.content
    body = dict(response.json())
    if expect == 200:
        Bundle.model_validate(body)
        for entry in body.get("entry", []):
            kind.model_validate(entry["resource"])  # type: ignore[attr-defined]
    else:
        OperationOutcome.model_validate(body)
    return body


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]
