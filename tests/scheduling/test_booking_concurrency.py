"""Double booking under concurrent requests is impossible (PostgreSQL: real row locks).

Each thread has its own database connection. A barrier releases them together, and a short
sleep inside the first thread's transaction (after the locks are taken) holds the window open,
so without the locks both would pass the overlap check and both would insert.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, connections

from ketacare.accounts.actions import ActionError
from ketacare.scheduling import booking
from ketacare.scheduling.booking import Booking
from ketacare.scheduling.models import Appointment
from tests.conftest import make_patient
from tests.evaluations.evaluation_helpers import actor
from tests.scheduling.sched_helpers import at, set_up_clinic

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL row locks"
    ),
    pytest.mark.django_db(transaction=True),
]


def race(attempts: list[Any], monkeypatch: pytest.MonkeyPatch) -> tuple[list[Any], list[Any]]:
    """Run each attempt in its own thread at the same moment; slow the check down so the
    transactions overlap."""
    original = booking.check_slots

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        time.sleep(0.3)
        return result

    monkeypatch.setattr(booking, "check_slots", slow_check)
    barrier = threading.Barrier(len(attempts))
    done: list[Any] = []
    refused: list[Any] = []

    def run(attempt: Any) -> None:
        try:
            barrier.wait(timeout=10)
            done.append(attempt())
        except ActionError as problem:
            refused.append(problem)
        except BaseException as problem:  # surfaced by the assertions
            refused.append(problem)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(a,)) for a in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return done, refused


def test_two_patients_racing_for_one_chair_get_one_booking(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    chairs = set_up_clinic(world.clinic_a)
    other = make_patient(world.clinic_a, "Mary", "Shelley")

    def attempt(patient: Any) -> Any:
        return lambda: booking.do_book(
            actor(world.nurse_a),
            world.clinic_a,
            patient,
            Booking("follow_up", at(2027, 3, 2, 10), at(2027, 3, 2, 11), chairs["room"]),
        )

    done, refused = race([attempt(world.patient_a), attempt(other)], monkeypatch)
    assert len(done) == 1 and len(refused) == 1, refused
    assert isinstance(refused[0], booking.ConflictError)
    assert refused[0].conflicts[0].code == "resource_busy"
    assert Appointment.objects.filter(resource=chairs["room"]).count() == 1


def test_one_patient_racing_into_two_chairs_gets_one_booking(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    chairs = set_up_clinic(world.clinic_a)

    def attempt(resource: Any) -> Any:
        return lambda: booking.do_book(
            actor(world.nurse_a),
            world.clinic_a,
            world.patient_a,
            Booking("follow_up", at(2027, 3, 2, 10), at(2027, 3, 2, 11), resource),
        )

    done, refused = race([attempt(chairs["room"]), attempt(chairs["plain"])], monkeypatch)
    assert len(done) == 1 and len(refused) == 1, refused
    assert refused[0].conflicts[0].code == "patient_busy"
    assert Appointment.objects.filter(patient=world.patient_a).count() == 1


def test_a_series_and_a_single_booking_racing_for_a_chair_do_not_both_win(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date, time

    from ketacare.scheduling import planner
    from ketacare.scheduling.calendar import ClinicCalendar
    from tests.scheduling.sched_helpers import iv_plan

    chairs = set_up_clinic(world.clinic_a)
    plan = iv_plan(world.prescriber_a, world.patient_a)
    proposed = planner.propose(
        ClinicCalendar.load(world.clinic_a),
        world.patient_a,
        plan,
        date(2027, 3, 1),
        [time(10)],
        175,
    )
    rows = [booking.SeriesRow(r.number, r.starts_at, r.ends_at, r.resource) for r in proposed]
    assert rows[0].resource == chairs["iv1"]
    other = make_patient(world.clinic_a, "Mary", "Shelley")

    def series() -> Any:
        return booking.do_book_series(
            actor(world.nurse_a), world.clinic_a, world.patient_a, plan, rows
        )

    def single() -> Any:
        return booking.do_book(
            actor(world.nurse_a),
            world.clinic_a,
            other,
            Booking("follow_up", rows[2].starts_at, rows[2].ends_at, chairs["iv1"]),
        )

    done, refused = race([series, single], monkeypatch)
    assert len(done) == 1 and len(refused) == 1, refused
    starts = rows[2].starts_at
    assert Appointment.objects.filter(resource=chairs["iv1"], starts_at=starts).count() == 1
