"""Booking, moving and closing appointments: the actions behind every scheduling page.

Each action owns its transaction and audit entry and refuses bad input with an `ActionError`
naming the field; a booking with conflicts raises `ConflictError`, which carries every
conflict (`.conflicts`, each with its field and message).

Double booking is impossible under concurrent requests: inside the transaction the action
locks the chair/room rows (by primary key, ascending) and then the patient's `SchedulingLock`
row (`select_for_update`), and only then looks for overlaps and writes. Two requests for the
same chair or the same patient therefore run one after the other, and the second sees the
first's appointment. Every action takes the locks in that same order (chairs, then patient),
so two of them cannot deadlock. On SQLite, IMMEDIATE transactions serialise writers anyway.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, User
from ketacare.evaluations.gates import assert_can_schedule_first_dose
from ketacare.measures.scheduling import clinic_zone
from ketacare.patients.models import Patient
from ketacare.plans.actions import plan_protocol
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.scheduling.calendar import ClinicCalendar
from ketacare.scheduling.conflicts import Conflict, Slot, TreatmentNeeds, check_slots
from ketacare.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    AppointmentType,
    Resource,
    SchedulingLock,
    notes_too_long,
)

OPEN_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)


class ConflictError(ActionError):
    """The booking was refused; `conflicts` lists every reason (or, for a series, `rows`
    maps a row index to its conflicts)."""

    def __init__(
        self, conflicts: Sequence[Conflict], rows: dict[int, list[Conflict]] | None = None
    ):
        first = conflicts[0]
        super().__init__(first.field, " ".join(c.message for c in conflicts))
        self.conflicts = list(conflicts)
        self.rows = rows or {}


@dataclass
class Booking:
    """What the user asked for (already parsed by a form)."""

    type: str
    starts_at: datetime
    ends_at: datetime
    resource: Resource | None = None
    clinician: User | None = None
    plan: TreatmentPlan | None = None
    notes: str = ""


@dataclass
class SeriesRow:
    number: int
    starts_at: datetime
    ends_at: datetime
    resource: Resource | None
    notes: list[str] = field(default_factory=list)


def needs_for_plan(plan: TreatmentPlan) -> TreatmentNeeds:
    return TreatmentNeeds.from_protocol(plan_protocol(plan), plan.phase)


def check_plan(clinic: Clinic, patient: Patient, plan: TreatmentPlan | None, kind: str) -> None:
    if kind != AppointmentType.TREATMENT:
        return
    if plan is None:
        raise ActionError("plan", "A treatment session is booked under the patient's plan.")
    if plan.clinic_id != clinic.pk or plan.patient_id != patient.pk:
        raise ActionError("plan", "That plan is not this patient's.")
    if plan.status != PlanStatus.ACTIVE:
        raise ActionError(
            "plan",
            f"The plan is {plan.get_status_display().lower()}: sessions are booked under a "
            "signed, active plan.",
        )


def _lock(resources: Iterable[Resource | None], patient: Patient) -> None:
    """Chairs/rooms first (ascending primary key), then the patient: the one lock order."""
    ids = sorted({r.pk for r in resources if r is not None})
    if ids:
        list(Resource.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    SchedulingLock.objects.get_or_create(patient=patient)
    SchedulingLock.objects.select_for_update().get(pk=patient.pk)


def _first_dose_gate(patient: Patient, needs: TreatmentNeeds | None, before: datetime) -> None:
    """No earlier treatment on this route: the eligibility (and REMS) gate must pass."""
    if needs is None:
        return
    earlier = Appointment.objects.filter(
        patient=patient,
        type=AppointmentType.TREATMENT,
        status__in=ACTIVE_STATUSES,
        plan__route=needs.route,
        starts_at__lt=before,
    )
    if not earlier.exists():
        assert_can_schedule_first_dose(patient, needs.route)


def _refuse(results: list[list[Conflict]]) -> None:
    rows = {i: found for i, found in enumerate(results) if found}
    if rows:
        raise ConflictError([c for found in rows.values() for c in found], rows)


def _session_number(plan: TreatmentPlan, starts_at: datetime, ignore: Any = None) -> int:
    earlier = Appointment.objects.filter(
        plan=plan,
        type=AppointmentType.TREATMENT,
        status__in=ACTIVE_STATUSES,
        starts_at__lt=starts_at,
    )
    if ignore is not None:
        earlier = earlier.exclude(pk=ignore)
    return earlier.count() + 1


def do_book(actor: Actor, clinic: Clinic, patient: Patient, booking: Booking) -> Appointment:
    """Book one appointment, or raise ConflictError with every conflict."""
    if patient.clinic_id != clinic.pk:
        raise ActionError("patient", "That patient is not at this clinic.")
    if booking.type not in AppointmentType.values:
        raise ActionError("type", "Choose an appointment type.")
    if problem := notes_too_long(len(booking.notes.strip())):
        raise ActionError("notes", problem)
    check_plan(clinic, patient, booking.plan, booking.type)
    plan = booking.plan if booking.type == AppointmentType.TREATMENT else None
    needs = needs_for_plan(plan) if plan is not None else None
    with transaction.atomic():
        _lock([booking.resource], patient)
        calendar = ClinicCalendar.load(clinic)
        slot = Slot(
            patient=patient,
            type=booking.type,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            resource=booking.resource,
            clinician=booking.clinician,
            needs=needs,
        )
        _refuse(check_slots(calendar, [slot]))
        _first_dose_gate(patient, needs, booking.starts_at)
        now = timezone.now()
        appointment = Appointment.objects.create(
            clinic=clinic,
            patient=patient,
            type=booking.type,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            resource=booking.resource,
            clinician=booking.clinician,
            plan=plan,
            phase=needs.phase if needs else "",
            session_number=_session_number(plan, booking.starts_at) if plan else None,
            notes=booking.notes.strip(),
            created_by_id=actor.user_id,
            created_at=now,
            updated_at=now,
        )
        record(
            actor,
            "scheduling.appointment.booked",
            object_type="appointment",
            object_id=appointment.pk,
            patient_id=patient.pk,
            clinic_id=clinic.pk,
            detail=_describe(appointment),
        )
    return appointment


def do_book_series(
    actor: Actor,
    clinic: Clinic,
    patient: Patient,
    plan: TreatmentPlan,
    rows: Sequence[SeriesRow],
) -> list[Appointment]:
    """Book every session of a series in one transaction, or none (ConflictError with
    `.rows` = {row index: conflicts})."""
    if not rows:
        raise ActionError("rows", "There are no sessions to book.")
    check_plan(clinic, patient, plan, AppointmentType.TREATMENT)
    needs = needs_for_plan(plan)
    ordered = sorted(rows, key=lambda r: r.starts_at)
    series = uuid.uuid4()
    with transaction.atomic():
        _lock([r.resource for r in rows], patient)
        calendar = ClinicCalendar.load(clinic)
        slots = [
            Slot(
                patient=patient,
                type=AppointmentType.TREATMENT,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                resource=row.resource,
                needs=needs,
                label=f"session {row.number}",
            )
            for row in rows
        ]
        _refuse(check_slots(calendar, slots))
        _first_dose_gate(patient, needs, ordered[0].starts_at)
        first_number = _session_number(plan, ordered[0].starts_at)
        now = timezone.now()
        appointments = [
            Appointment(
                clinic=clinic,
                patient=patient,
                type=AppointmentType.TREATMENT,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                resource=row.resource,
                plan=plan,
                phase=needs.phase,
                session_number=first_number + i,
                series=series,
                created_by_id=actor.user_id,
                created_at=now,
                updated_at=now,
            )
            for i, row in enumerate(ordered)
        ]
        Appointment.objects.bulk_create(appointments)
        record(
            actor,
            "scheduling.series.booked",
            object_type="appointment_series",
            object_id=series,
            patient_id=patient.pk,
            clinic_id=clinic.pk,
            detail={
                "plan": plan.pk,
                "phase": needs.phase,
                "appointments": [str(a.pk) for a in appointments],
                "starts": [a.starts_at.isoformat() for a in appointments],
                "resources": [a.resource_id for a in appointments],
            },
        )
    return appointments


def _describe(appointment: Appointment) -> dict[str, Any]:
    return {
        "type": appointment.type,
        "starts_at": appointment.starts_at.isoformat(),
        "ends_at": appointment.ends_at.isoformat(),
        "resource": appointment.resource_id,
        "clinician": appointment.clinician_id,
        "plan": appointment.plan_id,
        "session_number": appointment.session_number,
    }


def _locked(appointment: Appointment) -> Appointment:
    return Appointment.objects.select_for_update().get(pk=appointment.pk)


def do_reschedule(
    actor: Actor,
    appointment: Appointment,
    starts_at: datetime,
    ends_at: datetime,
    resource: Resource | None,
    clinician: User | None,
    reason: str = "",
) -> Appointment:
    """Move an open appointment (new time, chair or clinician), re-checking every conflict.
    The patient is asked to confirm again (confirmed_at is cleared)."""
    patient = appointment.patient
    with transaction.atomic():
        _lock([resource, appointment.resource], patient)
        current = _locked(appointment)
        if current.status not in OPEN_STATUSES:
            raise ActionError(
                "starts_at", f"A {current.get_status_display().lower()} appointment cannot move."
            )
        needs = needs_for_plan(current.plan) if current.plan is not None else None
        calendar = ClinicCalendar.load(current.clinic)
        slot = Slot(
            patient=patient,
            type=current.type,
            starts_at=starts_at,
            ends_at=ends_at,
            resource=resource,
            clinician=clinician,
            needs=needs,
            ignore_id=current.pk,
        )
        _refuse(check_slots(calendar, [slot]))
        before = _describe(current)
        current.starts_at, current.ends_at = starts_at, ends_at
        current.resource, current.clinician = resource, clinician
        current.status = AppointmentStatus.BOOKED
        current.confirmed_at = None
        current.reschedule_requested_at = None
        current.updated_at = timezone.now()
        current.save()
        # The reminders already sent were for the old time: release their claims so the new
        # time is reminded at every lead again (the messages themselves stay in the log).
        released, _ = AppointmentReminder.objects.filter(appointment=current).delete()
        record(
            actor,
            "scheduling.appointment.rescheduled",
            object_type="appointment",
            object_id=current.pk,
            patient_id=patient.pk,
            clinic_id=current.clinic_id,
            detail={
                "before": before,
                "after": _describe(current),
                "reason": reason.strip(),
                "reminder_claims_released": released,
            },
        )
    return current


def _set_status(
    actor: Actor,
    appointment: Appointment,
    allowed_from: Sequence[str],
    status: str,
    verb: str,
    *,
    reason: str = "",
    changes: dict[str, Any] | None = None,
    check: Any = None,
) -> Appointment:
    with transaction.atomic():
        current = _locked(appointment)
        if current.status not in allowed_from:
            raise ActionError(
                "status",
                f"This appointment is {current.get_status_display().lower()}; it cannot be "
                f"marked {AppointmentStatus(status).label.lower()}.",
            )
        if check is not None:
            check(current)
        previous = current.status
        current.status = status
        if reason:
            current.status_reason = reason
        for name, value in (changes or {}).items():
            setattr(current, name, value)
        current.updated_at = timezone.now()
        current.save()
        record(
            actor,
            f"scheduling.appointment.{verb}",
            object_type="appointment",
            object_id=current.pk,
            patient_id=current.patient_id,
            clinic_id=current.clinic_id,
            detail={"from": previous, "to": status, "reason": reason},
        )
    return current


def do_cancel(actor: Actor, appointment: Appointment, reason: str) -> Appointment:
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("reason", "Say why the appointment is cancelled.")
    return _set_status(
        actor,
        appointment,
        OPEN_STATUSES,
        AppointmentStatus.CANCELLED,
        "cancelled",
        reason=reason,
        changes={"cancelled_at": timezone.now()},
    )


def _started(current: Appointment) -> None:
    if current.starts_at > timezone.now():
        raise ActionError("status", "A no-show is recorded once the appointment time has come.")


def do_no_show(actor: Actor, appointment: Appointment, reason: str = "") -> Appointment:
    return _set_status(
        actor,
        appointment,
        OPEN_STATUSES,
        AppointmentStatus.NO_SHOW,
        "no_show",
        reason=reason.strip(),
        changes={"no_show_at": timezone.now()},
        check=_started,
    )


def _same_day(current: Appointment) -> None:
    calendar_zone = clinic_zone(current.clinic)
    today = timezone.now().astimezone(calendar_zone).date()
    if current.starts_at.astimezone(calendar_zone).date() != today:
        raise ActionError("status", "Check-in is on the day of the appointment.")


def do_check_in(actor: Actor, appointment: Appointment) -> Appointment:
    return _set_status(
        actor,
        appointment,
        OPEN_STATUSES,
        AppointmentStatus.CHECKED_IN,
        "checked_in",
        changes={"checked_in_at": timezone.now(), "checked_in_by_id": actor.user_id},
        check=_same_day,
    )


def do_complete(actor: Actor, appointment: Appointment) -> Appointment:
    """Mark a checked-in appointment done (for a treatment: the session took place; the
    treatments app attaches its session record to the appointment)."""
    return _set_status(
        actor,
        appointment,
        (AppointmentStatus.CHECKED_IN,),
        AppointmentStatus.COMPLETED,
        "completed",
        changes={"completed_at": timezone.now()},
    )
