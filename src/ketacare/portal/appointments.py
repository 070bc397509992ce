"""The patient's own appointments in the portal: what is coming, confirm, ask for another
time. Asking never moves the booking: it marks the appointment (the same
`reschedule_requested_at` the reminder link sets, shown on the staff appointment page) and
writes a message to the care team's inbox. The request takes `once`, the form's one-time
submission key (core/submission.py): pressed twice, it sends one message.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.core import submission
from ketacare.patients.models import Patient
from ketacare.portal.messaging import do_patient_send
from ketacare.portal.models import MessageKind
from ketacare.scheduling import reminders
from ketacare.scheduling.models import Appointment, AppointmentStatus

UPCOMING_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
# The patient's note with a request: room for a few lines of times that suit, well inside a
# message's own maximum (messaging.MAX_BODY) once the request's first sentence is added.
MAX_NOTE = 2000
# What a reschedule form's one-time key is for (core/submission.py `scope`), with the
# appointment; the key is stored with the message it sent.
ONCE_RESCHEDULE = "portal.reschedule"


def note_problem(note: str) -> str:
    """The words shown under the note field when it is too long ("" when it fits)."""
    length = len((note or "").strip())
    if length > MAX_NOTE:
        return f"Please keep this to {MAX_NOTE} characters or fewer: it has {length}."
    return ""


def upcoming(patient: Patient) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(
            patient=patient, status__in=UPCOMING_STATUSES, starts_at__gt=timezone.now()
        )
        .select_related("clinic", "resource", "plan")
        .order_by("starts_at")
    )


def _locked(patient: Patient, appointment_id: str) -> Appointment:
    fresh = (
        Appointment.objects.select_for_update(of=("self",))
        .select_related("clinic", "resource", "plan")
        .filter(pk=appointment_id, patient=patient)
        .first()
    )
    if fresh is None or fresh.status not in UPCOMING_STATUSES:
        raise ActionError("appointment", "This appointment cannot be changed here any more.")
    if fresh.starts_at <= timezone.now():
        raise ActionError("appointment", "This appointment has already started.")
    return fresh


def _audit(actor: Actor, appointment: Appointment, action: str, **detail: object) -> None:
    record(
        actor,
        f"portal.appointment.{action}",
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        clinic_id=appointment.clinic_id,
        detail=dict(detail),
    )


def do_confirm(actor: Actor, patient: Patient, appointment_id: str) -> Appointment:
    now = timezone.now()
    with transaction.atomic():
        fresh = _locked(patient, appointment_id)
        changed = fresh.status == AppointmentStatus.BOOKED
        if changed:
            fresh.status = AppointmentStatus.CONFIRMED
            fresh.confirmed_at = now
            fresh.updated_at = now
            fresh.save(update_fields=["status", "confirmed_at", "updated_at"])
        _audit(actor, fresh, "confirmed", changed=changed)
    return fresh


def do_ask_reschedule(
    actor: Actor, patient: Patient, appointment_id: str, note: str, *, once: str = ""
) -> Appointment:
    """Mark the request and message the care team; the booking itself stays as it is."""
    problem = note_problem(note)
    if problem:
        raise ActionError("note", problem)
    note = (note or "").strip()
    now = timezone.now()
    with transaction.atomic():
        fresh = _locked(patient, appointment_id)
        first = fresh.reschedule_requested_at is None
        if first:
            fresh.reschedule_requested_at = now
            fresh.updated_at = now
            fresh.save(update_fields=["reschedule_requested_at", "updated_at"])
        when = reminders.local_when(fresh)
        body = f"I would like another time for my {fresh.get_type_display().lower()} on {when}."
        if note:
            body += f"\n\n{note}"
        sent = do_patient_send(
            actor,
            patient,
            body,
            subject=f"Reschedule request: {when}",
            kind=MessageKind.RESCHEDULE,
            appointment=fresh,
        )
        submission.remember(
            actor, once, submission.scope(ONCE_RESCHEDULE, fresh.pk), sent.message.pk
        )
        _audit(actor, fresh, "reschedule_requested", first=first, with_note=bool(note))
    return fresh
