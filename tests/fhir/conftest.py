"""Fixtures shared by the FHIR tests."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketacare.treatments.models import TreatmentSession
from tests.fhir.device_helpers import monitored


@pytest.fixture
def nurse(world: Any, token_for: Any, api_client: Any) -> Client:
    """An API client with a token of clinic A's nurse."""
    client: Client = api_client(token_for(world.nurse_a))
    return client


@pytest.fixture
def session(world: Any) -> TreatmentSession:
    """A session of clinic A's patient being monitored (dose given an hour after check-in)."""
    return monitored(world.prescriber_a, world.nurse_a, world.patient_a)
