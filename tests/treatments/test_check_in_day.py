"""Only a treatment appointment on the clinic's today (in the clinic's time zone) is checked in
as a session; any other day is refused naming the appointment."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketacare.accounts.actions import ActionError
from ketacare.scheduling.models import Appointment, AppointmentStatus
from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import actor, appointment, consent, phq9_today

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")  # the test clinics' time zone (Clinic default)


def _booked(world: Any, starts_at: datetime) -> Appointment:
    plan = iv_plan(world.prescriber_a, world.patient_a)
    consent(world.prescriber_a, world.patient_a)
    phq9_today(world.patient_a)
    appt = appointment(world.patient_a, plan)
    Appointment.objects.filter(pk=appt.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=3)
    )
    return appt


def _check_in(world: Any, appt: Appointment) -> TreatmentSession:
    return actions.do_check_in(actor(world.nurse_a), world.clinic_a, world.patient_a, appt.pk)


@pytest.mark.parametrize("days", [1, -1, 7])
def test_an_appointment_on_another_day_is_refused(world: Any, days: int) -> None:
    assert world.clinic_a.time_zone == "America/New_York"
    moment = datetime(2026, 3, 10, 12, 0, tzinfo=NEW_YORK)
    with time_machine.travel(moment, tick=False):
        appt = _booked(world, moment + timedelta(days=days))
        with pytest.raises(ActionError) as err:
            _check_in(world, appt)
    assert err.value.field == "appointment"
    day = (moment + timedelta(days=days)).date()
    assert err.value.message == (
        f"The appointment is on {day:%Y-%m-%d}: only today's (2026-03-10) treatment "
        "appointments can be checked in."
    )
    assert not TreatmentSession.objects.exists()
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.BOOKED


def test_today_is_the_clinics_day_not_the_servers(world: Any) -> None:
    # 22:30 in New York on 9 March is already 10 March in UTC.
    moment = datetime(2026, 3, 9, 22, 30, tzinfo=NEW_YORK)
    with time_machine.travel(moment, tick=False):
        tomorrow_utc_today_local = _booked(world, datetime(2026, 3, 9, 21, 0, tzinfo=NEW_YORK))
        session = _check_in(world, tomorrow_utc_today_local)
        assert session.checked_in_at is not None
        # 10 March 01:00 New York is the same UTC day as now, but not the clinic's today.
        later = Appointment.objects.create(
            clinic=world.clinic_a,
            patient=world.patient_a,
            type="treatment",
            starts_at=datetime(2026, 3, 10, 1, 0, tzinfo=NEW_YORK),
            ends_at=datetime(2026, 3, 10, 4, 0, tzinfo=NEW_YORK),
            plan=session.plan,
        )
        with pytest.raises(ActionError) as err:
            _check_in(world, later)
    assert err.value.field == "appointment" and "2026-03-10" in err.value.message


def test_the_chart_refuses_another_days_appointment(world: Any, as_user: Any) -> None:
    appt = _booked(world, datetime.now(tz=NEW_YORK) + timedelta(days=2))
    response = as_user(world.nurse_a).post(
        f"/patients/{world.patient_a.pk}/sessions/start/", {"appointment": str(appt.pk)}
    )
    assert response.status_code == 400
    assert "only today&#x27;s" in response.content.decode()
    assert not TreatmentSession.objects.exists()
