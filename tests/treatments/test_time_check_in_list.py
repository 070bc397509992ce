"""The chart offers "Check in and start session" for the treatment appointments of the clinic's
today: the whole local day (25 hours on the autumn change), however many earlier appointments
were left booked (no-shows nobody closed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketacare.scheduling.models import Appointment
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import appointment, consent, phq9_today

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def _at(appt: Appointment, starts_at: datetime) -> None:
    Appointment.objects.filter(pk=appt.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=2)
    )


def test_todays_late_appointment_on_the_autumn_change_is_offered_past_ten_stale_bookings(
    world: Any, as_user: Any
) -> None:
    assert world.clinic_a.time_zone == "America/New_York"
    # 22:00 EST on 1 November 2026 (the 25-hour day) is 03:00 on the 2nd in UTC.
    with time_machine.travel(datetime(2026, 11, 1, 22, 0, tzinfo=NY), tick=False):
        plan = iv_plan(world.prescriber_a, world.patient_a)
        consent(world.prescriber_a, world.patient_a)
        phq9_today(world.patient_a)
        for n in range(10):  # October appointments left "booked": never checked in or closed
            _at(
                appointment(world.patient_a, plan, f"Old {n}"),
                datetime(2026, 10, 1 + n, 10, 0, tzinfo=NY),
            )
        today = appointment(world.patient_a, plan, "Chair today")
        _at(today, datetime(2026, 11, 1, 23, 30, tzinfo=NY))
        tomorrow = appointment(world.patient_a, plan, "Chair tomorrow")
        _at(tomorrow, datetime(2026, 11, 2, 0, 30, tzinfo=NY))
        chart = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert chart.count('data-testid="start-session"') == 1
    assert f'name="appointment" value="{today.pk}"' in chart
    assert "Today 23:30 · Chair today" in chart
