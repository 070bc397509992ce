"""Review of the device feed: values JSON can carry that no monitor can send are refused with a
422 naming the element, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.fhir.device_helpers import expression, observation

pytestmark = pytest.mark.django_db


def _raw_post(client: Client, text: str) -> object:
    return client.post("/fhir/Observation", data=text, content_type="application/fhir+json")


@pytest.mark.parametrize(
    ("code", "unit", "literal"),
    [
        ("8867-4", "/min", "Infinity"),
        ("8867-4", "/min", "1e400"),
        ("8867-4", "/min", "-Infinity"),
        ("8867-4", "/min", "NaN"),
        ("8310-5", "Cel", "Infinity"),
        ("8310-5", "Cel", "NaN"),
    ],
)
def test_a_non_finite_value_is_refused_naming_the_value(
    session: TreatmentSession, nurse: Client, code: str, unit: str, literal: str
) -> None:
    text = json.dumps(observation(session, code, 12345, unit=unit)).replace("12345", literal)
    response = _raw_post(nurse, text)
    assert response.status_code in (400, 422), response.content  # type: ignore[attr-defined]
    assert expression(response) == "Observation.valueQuantity.value"
    assert not VitalReading.objects.filter(session=session, source="device").exists()
