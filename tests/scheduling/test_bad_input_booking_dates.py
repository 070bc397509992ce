"""A booking or a move to a day already past (1900, yesterday) or years ahead (3026 for 2026)
is refused under the date in words, with what was typed kept and nothing stored. Today is
bookable (a walk-in entered late)."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from ketacare.scheduling.models import Appointment
from tests.scheduling.sched_helpers import at, set_up_clinic

NOW = at(2026, 11, 17, 8, 30)  # Tuesday


@pytest.fixture
def sched(world: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        world.chairs = set_up_clinic(world.clinic_a)
        yield world


def book(client: Any, patient: Any, day: str, **extra: str) -> Any:
    return client.post(
        f"/patients/{patient.pk}/appointments/new/",
        {"type": "evaluation", "date": day, "time": "10:00", "duration_min": "60", **extra},
    )


@pytest.mark.parametrize(
    ("day", "words"),
    [
        ("1900-01-05", "Fri 05 Jan 1900 is in the past"),
        ("2026-11-16", "Mon 16 Nov 2026 is in the past"),
        ("3026-01-07", "more than two years ahead; check the year"),
    ],
)
def test_a_booking_on_a_past_or_far_day_is_refused(
    sched: Any, as_user: Any, day: str, words: str
) -> None:
    response = book(as_user(sched.intake_a), sched.patient_a, day, notes="bring <b>list</b>")
    html = response.content.decode()
    assert response.status_code == 400
    assert words in html and "date:" not in html
    assert f'value="{day}"' in html and "bring &lt;b&gt;list&lt;/b&gt;" in html
    assert not Appointment.objects.exists()


def test_today_can_still_be_booked(sched: Any, as_user: Any) -> None:
    assert book(as_user(sched.intake_a), sched.patient_a, "2026-11-17").status_code == 302


def test_moving_an_appointment_to_the_past_is_refused(sched: Any, as_user: Any) -> None:
    client = as_user(sched.intake_a)
    assert book(client, sched.patient_a, "2026-11-18").status_code == 302
    appointment = Appointment.objects.get()
    moved = client.post(
        f"/schedule/appointments/{appointment.pk}/reschedule/",
        {"move-date": "1999-11-18", "move-time": "11:00", "move-duration_min": "60"},
    )
    assert moved.status_code == 400
    assert "Thu 18 Nov 1999 is in the past" in moved.content.decode()
    appointment.refresh_from_db()
    assert appointment.starts_at == at(2026, 11, 18, 10)
