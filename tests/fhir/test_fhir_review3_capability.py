"""The CapabilityStatement says what the server does: an Observation search by patient alone
returns vital signs too (it claimed they came only with a code or a category), and the
categories it takes include the habits' `activity` and `social-history`."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from ketacare.treatments.models import TreatmentSession
from tests.fhir._clinical import ids
from tests.fhir.device_helpers import observation, post

pytestmark = pytest.mark.django_db


def _observation(client: Client) -> dict[str, Any]:
    body = client.get("/fhir/metadata").json()
    CapabilityStatement.model_validate(body)
    (found,) = [r for r in body["rest"][0]["resource"] if r["type"] == "Observation"]
    return dict(found)


def test_a_search_by_patient_alone_returns_vital_signs_as_the_statement_says(
    session: TreatmentSession, nurse: Client
) -> None:
    created = post(nurse, observation(session, "8867-4", 72, unit="/min"))
    assert created.status_code == 201
    found = nurse.get(f"/fhir/Observation?patient={session.patient_id}").json()
    assert created.json()["id"] in ids(found)
    statement = _observation(nurse)
    assert "only when it names a code or a category" not in statement["documentation"]
    assert "returns every kind" in statement["documentation"]


def test_the_statement_lists_every_observation_category_the_search_takes(
    nurse: Client,
) -> None:
    (category,) = [p for p in _observation(nurse)["searchParam"] if p["name"] == "category"]
    for code in ("survey", "vital-signs", "activity", "social-history"):
        assert f"`{code}`" in category["documentation"]
        assert nurse.get(f"/fhir/Observation?category={code}").status_code == 200
