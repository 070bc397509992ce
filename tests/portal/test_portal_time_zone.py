"""Portal pages show times, dates and "today" on the patient's clinic's wall clock, not the
server's (settings.TIME_ZONE), as staff pages do; an unknown zone name falls back to the
server's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from ketacare.accounts.models import Clinic
from ketacare.portal.models import Message, MessageThread
from ketacare.scheduling.models import Appointment

SERVER_ZONE = "America/New_York"
# 03:00 on 10 July in London (BST), still 22:00 on 9 July in New York (EDT).
NOW = datetime(2030, 7, 10, 2, 0, tzinfo=UTC)
# 3:30 PM in London, 10:30 AM in New York, 11:30 PM in Tokyo.
STARTS = datetime(2030, 7, 12, 14, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _server_in_new_york(settings: Any) -> None:
    settings.TIME_ZONE = SERVER_ZONE


def set_zone(clinic: Clinic, name: str) -> None:
    Clinic.objects.filter(pk=clinic.pk).update(time_zone=name)


def book(patient: Any) -> Appointment:
    return Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        type="treatment",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
    )


def test_summary_shows_appointment_and_print_date_in_the_clinics_zone(
    portal: Any, world: Any
) -> None:
    set_zone(world.clinic_a, "Europe/London")
    book(world.patient_a)
    with time_machine.travel(NOW, tick=False):
        body = portal.client(portal.a).get("/portal/record/summary/").content.decode()
    assert "12 Jul 2030, 3:30 PM" in body
    assert "10:30 AM" not in body
    assert "Printed 10 Jul 2030" in body  # London's today, New York's is still 9 July


def test_appointments_page_shows_the_clinics_wall_clock(portal: Any, world: Any) -> None:
    set_zone(world.clinic_a, "Europe/London")
    book(world.patient_a)
    with time_machine.travel(NOW, tick=False):
        body = portal.client(portal.a).get("/portal/appointments/").content.decode()
    assert "3:30 PM" in body and "10:30 AM" not in body


def test_message_list_shows_the_last_message_in_the_clinics_zone(portal: Any, world: Any) -> None:
    set_zone(world.clinic_a, "Europe/London")
    sent = datetime(2030, 7, 9, 23, 45, tzinfo=UTC)  # 12:45 AM on 10 July in London
    thread = MessageThread.objects.create(
        clinic=world.clinic_a,
        patient=world.patient_a,
        subject="Parking",
        created_at=sent,
        last_message_at=sent,
    )
    Message.objects.create(thread=thread, from_patient=True, body="Where do I park?", sent_at=sent)
    with time_machine.travel(NOW, tick=False):
        c = portal.client(portal.a)
        listing = c.get("/portal/messages/").content.decode()
        page = c.get(f"/portal/messages/{thread.pk}/").content.decode()
    assert "10 Jul 2030, 12:45 AM" in listing and "7:45 PM" not in listing
    assert "10 Jul, 12:45 AM" in page and "7:45 PM" not in page


def test_a_change_of_the_clinics_zone_shows_on_the_next_page(portal: Any, world: Any) -> None:
    set_zone(world.clinic_a, "Europe/London")
    book(world.patient_a)
    with time_machine.travel(NOW, tick=False):
        c = portal.client(portal.a)
        assert "3:30 PM" in c.get("/portal/record/summary/").content.decode()
        set_zone(world.clinic_a, "Asia/Tokyo")
        body = c.get("/portal/record/summary/").content.decode()
    assert "12 Jul 2030, 11:30 PM" in body and "3:30 PM" not in body


def test_an_unknown_zone_name_falls_back_to_the_servers_zone(portal: Any, world: Any) -> None:
    set_zone(world.clinic_a, "Mars/Olympus_Mons")
    book(world.patient_a)
    with time_machine.travel(NOW, tick=False):
        response = portal.client(portal.a).get("/portal/record/summary/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "12 Jul 2030, 10:30 AM" in body and "Printed 9 Jul 2030" in body


def test_each_patient_sees_their_own_clinics_zone(portal: Any, world: Any) -> None:
    set_zone(world.clinic_a, "Europe/London")
    book(world.patient_a)
    book(world.patient_b)  # clinic B keeps New York
    with time_machine.travel(NOW, tick=False):
        body_a = portal.client(portal.a).get("/portal/record/summary/").content.decode()
        body_b = portal.client(portal.b).get("/portal/record/summary/").content.decode()
    assert "12 Jul 2030, 3:30 PM" in body_a
    assert "12 Jul 2030, 10:30 AM" in body_b and "3:30 PM" not in body_b
