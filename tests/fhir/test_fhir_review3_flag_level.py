"""A Flag's level is coded, not only text: the R4 core extension `flag-priority`
(flag-priority-code PL/PM/PH) with the exact level in KetaCare's risk-flag-level system."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.flag import Flag

from ketacare.accounts.audit import Actor
from ketacare.safety.actions import do_raise_flag
from tests.fhir._clinical import read, search

pytestmark = pytest.mark.django_db
PRIORITY = "http://hl7.org/fhir/StructureDefinition/flag-priority"
PRIORITY_CODES = "http://hl7.org/fhir/flag-priority-code"
LEVELS = "http://ketacare.org/fhir/CodeSystem/risk-flag-level"


def _level(flag: dict[str, Any]) -> dict[str, Any]:
    (extension,) = [e for e in flag["extension"] if e["url"] == PRIORITY]
    concept: dict[str, Any] = extension["valueCodeableConcept"]
    return concept


@pytest.mark.parametrize(
    ("level", "priority", "text"),
    [
        ("low", ("PL", "Low priority"), "Low suicide risk"),
        ("moderate", ("PM", "Medium priority"), "Moderate suicide risk"),
        ("high", ("PH", "High priority"), "High suicide risk"),
    ],
)
def test_the_flag_level_is_coded(
    world: Any, nurse: Client, level: str, priority: tuple[str, str], text: str
) -> None:
    flag = do_raise_flag(
        Actor(label="t"), world.patient_a, level=level, source="manual", reason="Worried."
    )
    body = read(nurse, Flag, f"Flag/flag-{flag.pk}")
    assert _level(body) == {
        "coding": [
            {"system": PRIORITY_CODES, "code": priority[0], "display": priority[1]},
            {"system": LEVELS, "code": level, "display": text},
        ],
        "text": text,
    }
    found = search(nurse, Flag, f"Flag?patient={world.patient_a.pk}&status=active")
    assert [_level(e["resource"])["coding"][1]["code"] for e in found["entry"]] == [level]


def test_the_capability_statement_says_how_the_level_is_coded(client: Client) -> None:
    body = client.get("/fhir/metadata").json()
    CapabilityStatement.model_validate(body)
    (flag,) = [r for r in body["rest"][0]["resource"] if r["type"] == "Flag"]
    assert PRIORITY in flag["documentation"]
    # `status` takes one value (a comma list is refused with 400): it no longer claims otherwise.
    (status,) = [p for p in flag["searchParam"] if p["name"] == "status"]
    assert "comma" not in status["documentation"]
