"""Two resends of the same device Observation at once store one reading (PostgreSQL only)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from ketacare.fhir.models import ReceivedObservation
from ketacare.treatments.models import VitalReading
from tests.fhir.device_helpers import monitored, observation, post

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
def test_concurrent_resends_store_one_reading(world: Any, token_for: Any) -> None:
    session = monitored(world.prescriber_a, world.nurse_a, world.patient_a)
    token = token_for(world.nurse_a)
    body = observation(session, "8867-4", 77, unit="/min", identifier="race-1")
    barrier = threading.Barrier(4)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            statuses.append(post(client, body).status_code)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(statuses) == [200, 200, 200, 201]
    assert VitalReading.objects.filter(session=session, source="device").count() == 1
    assert ReceivedObservation.objects.filter(value="race-1").count() == 1
