"""Monitor values and times at the edge of what Python can compute: a temperature of 1e30
(rounding it to 0.1 °C overflowed Decimal's precision) and a time that is before year 1 in UTC
(0001-01-01T00:00:00+14:00) answered 500 pages; they are refused 422 naming the element,
nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.fhir.device_helpers import expression, observation, post

pytestmark = pytest.mark.django_db


def count(session: TreatmentSession) -> int:
    return VitalReading.objects.filter(session=session).count()


@pytest.mark.parametrize("value", [1e30, 10**40, -1e30])
def test_an_absurd_temperature_is_refused_at_the_value(
    session: TreatmentSession, nurse: Client, value: Any
) -> None:
    before = count(session)
    response = post(nurse, observation(session, "8310-5", value, unit="Cel"))
    assert response.status_code == 422, response.content
    OperationOutcome.model_validate(response.json())
    assert expression(response) == "Observation.valueQuantity.value"
    assert count(session) == before


def test_a_time_before_year_one_in_utc_is_refused_at_the_element(
    session: TreatmentSession, nurse: Client
) -> None:
    before = count(session)
    resource = observation(session, "8867-4", 80, unit="/min")
    resource["effectiveDateTime"] = "0001-01-01T00:00:00+14:00"
    response = post(nurse, resource)
    assert response.status_code == 422, response.content
    assert expression(response) == "Observation.effectiveDateTime"
    assert count(session) == before
