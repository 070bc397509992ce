"""Appointment notes have a maximum (2,000 characters): 10,000 were stored. A longer note is
refused under "Notes" in words, with what was typed kept and nothing booked; the booking
action refuses it too, for any caller that is not the form."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine

from ketacare.accounts.actions import ActionError
from ketacare.scheduling import booking
from ketacare.scheduling.models import Appointment
from tests.evaluations.evaluation_helpers import actor
from tests.scheduling.sched_helpers import at, set_up_clinic

NOW = at(2026, 11, 17, 8, 30)  # Tuesday


@pytest.fixture
def sched(world: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        set_up_clinic(world.clinic_a)
        yield world


def _book(client: Any, patient: Any, notes: str) -> Any:
    return client.post(
        f"/patients/{patient.pk}/appointments/new/",
        {
            "type": "evaluation",
            "date": "2026-11-18",
            "time": "10:00",
            "duration_min": "60",
            "notes": notes,
        },
    )


def test_notes_over_the_maximum_are_refused_in_words(sched: Any, as_user: Any) -> None:
    client = as_user(sched.intake_a)
    refused = _book(client, sched.patient_a, "<b>x</b>" + "n" * 9992)
    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'data-field="notes"' in html
    assert "Notes can be at most 2,000 characters (these have 10,000)" in html
    assert "&lt;b&gt;x&lt;/b&gt;nnn" in html  # kept, escaped
    assert not Appointment.objects.exists()
    assert _book(client, sched.patient_a, "n" * 2000).status_code == 302
    assert Appointment.objects.get().notes == "n" * 2000


def test_the_booking_action_refuses_long_notes(sched: Any) -> None:
    with pytest.raises(ActionError) as refused:
        booking.do_book(
            actor(sched.intake_a),
            sched.clinic_a,
            sched.patient_a,
            booking.Booking(
                type="evaluation",
                starts_at=at(2026, 11, 18, 10),
                ends_at=at(2026, 11, 18, 11),
                notes="n" * 2001,
            ),
        )
    assert refused.value.field == "notes"
    assert "at most 2,000 characters (these have 2,001)" in refused.value.message
    assert not Appointment.objects.exists()
