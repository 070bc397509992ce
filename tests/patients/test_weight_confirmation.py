"""A weight far from the patient's last one (a pounds/kilograms slip: 70 → 154 kg) is asked to
be confirmed before it is stored, on the chart and over the API; weight-based doses follow it.
Nothing typed is lost, and a confirmed weight is stored."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from ketacare.clinical.anthropometry import weight_change_to_confirm
from ketacare.patients.models import BodyMeasurement


def test_the_rule_asks_beyond_ten_percent_either_way() -> None:
    assert weight_change_to_confirm(Decimal("77"), Decimal("70")) is None  # exactly 10 %
    more = weight_change_to_confirm(Decimal("154"), Decimal("70"))
    assert more is not None and "120 % more than the last weight, 70 kg" in more
    less = weight_change_to_confirm(Decimal("62"), Decimal("70"))
    assert less is not None and "11 % less" in less
    assert weight_change_to_confirm(Decimal("154"), None) is None


def test_the_chart_asks_to_confirm_a_weight_far_from_the_last(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/measurements/"
    assert client.post(url, {"weight_kg": "70"}).status_code == 302
    stored = BodyMeasurement.objects.filter(patient=world.patient_a).count()
    slip = client.post(url, {"weight_kg": "154", "note": "after lunch"})
    body = slip.content.decode()
    assert slip.status_code == 400 and "kilograms, not pounds" in body
    assert 'name="confirm_weight"' in body and "Yes, 154 kg is right" in body
    assert 'value="154"' in body and "after lunch" in body  # nothing typed is lost
    assert BodyMeasurement.objects.filter(patient=world.patient_a).count() == stored
    ok = client.post(url, {"weight_kg": "154", "note": "after lunch", "confirm_weight": "on"})
    assert ok.status_code == 302
    assert BodyMeasurement.objects.filter(patient=world.patient_a, weight_kg=154).exists()
    # A small change needs nothing.
    assert client.post(url, {"weight_kg": "150"}).status_code == 302


def test_the_api_asks_for_confirm_weight(world: Any, token_for: Any, api_client: Any) -> None:
    nurse = api_client(token_for(world.nurse_a))
    url = f"/api/v1/patients/{world.patient_a.pk}/measurements"

    def post(body: dict[str, Any]) -> Any:
        return nurse.post(url, json.dumps(body), content_type="application/json")

    assert post({"weight_kg": "70"}).status_code == 201
    refused = post({"weight_kg": "154"})
    assert refused.status_code == 422
    error = refused.json()["errors"][0]
    assert error["field"] == "weight_kg" and "confirm" in error["message"]
    assert post({"weight_kg": "154", "confirm_weight": True}).status_code == 201
