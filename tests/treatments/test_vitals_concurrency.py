"""Two nurses entering vitals for the same session at once lose nothing (PostgreSQL only)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from ketacare.treatments import actions
from ketacare.treatments.models import VitalReading
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
def test_two_nurses_entering_vitals_at_once_lose_nothing(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def enter(user: Any, hr: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                actions.do_record_vitals(actor(user), session, {"heart_rate_bpm": hr + i})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=enter, args=(world.nurse_a, 70)),
        threading.Thread(target=enter, args=(world.prescriber_a, 90)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    rates = set(
        VitalReading.objects.filter(session=session, phase="during").values_list(
            "heart_rate_bpm", flat=True
        )
    )
    assert rates == {70, 71, 72, 73, 74, 90, 91, 92, 93, 94}
