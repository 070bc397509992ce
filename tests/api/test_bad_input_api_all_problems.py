"""A request with several bad values gets every problem back at once, each naming its field,
as the registration page shows them all; nothing is stored."""

from __future__ import annotations

import json
from typing import Any

from ketacare.patients.models import Allergy, Patient


def test_registration_names_every_bad_field(world: Any, token_for: Any, api_client: Any) -> None:
    api = api_client(token_for(world.intake_a))
    before = Patient.objects.count()
    refused = api.post(
        "/api/v1/patients",
        json.dumps(
            {
                "legal_given_name": "Zed",
                "legal_family_name": "Probe",
                "birth_date": "2300-01-01",
                "sex_at_birth": "female",
                "phone": "12",
                "country": "usa",
            }
        ),
        content_type="application/json",
    )
    assert refused.status_code == 422
    fields = {e["field"] for e in refused.json()["errors"]}
    assert {"birth_date", "phone", "country"} <= fields
    assert refused.json()["error"].startswith(refused.json()["errors"][0]["field"] + ": ")
    assert Patient.objects.count() == before


def test_an_allergy_names_every_bad_field(world: Any, token_for: Any, api_client: Any) -> None:
    api = api_client(token_for(world.nurse_a))
    refused = api.post(
        f"/api/v1/patients/{world.patient_a.pk}/allergies",
        json.dumps({"substance": "   ", "category": "weather", "severity": "extreme"}),
        content_type="application/json",
    )
    assert refused.status_code == 422
    fields = [e["field"] for e in refused.json()["errors"]]
    assert sorted(fields) == ["category", "severity", "substance"]
    assert not Allergy.objects.filter(patient=world.patient_a).exists()
