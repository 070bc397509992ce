"""Portal appointments: the list with preparation instructions, confirm, ask to reschedule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.portal.models import Message, MessageKind
from ketacare.scheduling.models import Appointment, AppointmentStatus


def make_appointment(patient: Any, days: int = 3, type: str = "treatment", **extra: Any) -> Any:
    starts = timezone.now() + timedelta(days=days)
    return Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        type=type,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        **extra,
    )


def test_list_shows_own_upcoming_appointments_with_instructions(portal: Any, world: Any) -> None:
    mine = make_appointment(world.patient_a)
    make_appointment(world.patient_a, days=-2)  # past: not shown
    cancelled = make_appointment(world.patient_a, days=5, status=AppointmentStatus.CANCELLED)
    other = make_appointment(portal.a2.patient, days=4)
    body = portal.client(portal.a).get("/portal/appointments/").content.decode()
    assert body.count('data-testid="appointment"') == 1
    assert str(mine.pk) in body
    assert str(other.pk) not in body and str(cancelled.pk) not in body
    assert "How to prepare" in body and "<li>" in body


def test_confirm_changes_status_and_is_audited(portal: Any, world: Any) -> None:
    appt = make_appointment(world.patient_a)
    c = portal.client(portal.a)
    response = c.post(f"/portal/appointments/{appt.pk}/confirm/")
    assert response.status_code == 302
    appt.refresh_from_db()
    assert appt.status == AppointmentStatus.CONFIRMED and appt.confirmed_at is not None
    entry = AuditEntry.objects.filter(action="portal.appointment.confirmed").first()
    assert entry is not None and entry.actor_role == "patient"
    assert entry.patient_id == str(world.patient_a.pk)


def test_reschedule_request_messages_staff_and_keeps_the_booking(portal: Any, world: Any) -> None:
    appt = make_appointment(world.patient_a)
    starts = appt.starts_at
    c = portal.client(portal.a)
    c.post(f"/portal/appointments/{appt.pk}/reschedule/", {"note": "Tuesdays after 3 pm"})
    appt.refresh_from_db()
    assert appt.starts_at == starts and appt.status == AppointmentStatus.BOOKED
    assert appt.reschedule_requested_at is not None
    message = Message.objects.get(kind=MessageKind.RESCHEDULE)
    assert message.thread.patient_id == world.patient_a.pk
    assert message.thread.clinic_id == world.clinic_a.pk
    assert "Tuesdays after 3 pm" in message.body and message.appointment_id == appt.pk
    assert "You asked for another time" in c.get("/portal/appointments/").content.decode()


def test_other_patients_appointment_is_not_found_and_unchanged(portal: Any, world: Any) -> None:
    theirs = make_appointment(portal.a2.patient)
    foreign = make_appointment(world.patient_b)
    c = portal.client(portal.a)
    for appt in (theirs, foreign):
        assert c.post(f"/portal/appointments/{appt.pk}/confirm/").status_code == 404
        assert c.post(f"/portal/appointments/{appt.pk}/reschedule/").status_code == 404
        appt.refresh_from_db()
        assert appt.status == AppointmentStatus.BOOKED and appt.reschedule_requested_at is None
    assert not Message.objects.exists()
    assert AuditEntry.objects.filter(action="portal.access.refused").count() == 4


def test_started_appointment_cannot_be_confirmed(portal: Any, world: Any) -> None:
    past = make_appointment(world.patient_a, days=-1)
    c = portal.client(portal.a)
    response = c.post(f"/portal/appointments/{past.pk}/confirm/", follow=True)
    assert "already started" in response.content.decode()
    past.refresh_from_db()
    assert past.status == AppointmentStatus.BOOKED


def test_get_on_actions_is_refused(portal: Any, world: Any) -> None:
    appt = make_appointment(world.patient_a)
    assert (
        portal.client(portal.a).get(f"/portal/appointments/{appt.pk}/confirm/").status_code == 405
    )
