"""Chairs and rooms, the hours people and the clinic work, closures, and appointments.

Double booking is prevented by row locks: every booking, reschedule or reinstatement locks the
chair/room row and the patient's `SchedulingLock` row (`select_for_update`) before it looks for
overlaps, so two requests for the same chair or patient run one after the other and the second
sees the first (on SQLite, IMMEDIATE transactions serialise writers the same way). See
`scheduling/booking.py`; a concurrent test on PostgreSQL proves it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Patient


class ResourceKind(models.TextChoices):
    CHAIR = "chair", "Treatment chair"
    ROOM = "room", "Room"


class Resource(models.Model):
    """A treatment chair or a room, with what it can be used for."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="resources")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=8, choices=ResourceKind.choices, default=ResourceKind.CHAIR)
    has_iv_pump = models.BooleanField("IV infusion pump", default=False)
    has_monitor = models.BooleanField("vital-signs monitor", default=False)
    esketamine_certified = models.BooleanField(
        "esketamine (REMS-certified treatment setting)", default=False
    )
    active = models.BooleanField(default=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["clinic", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="resource_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ClinicHours(models.Model):
    """When the clinic is open on a weekday (0 = Monday). No row: closed that day."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField()
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["clinic", "weekday"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "weekday"], name="clinichours_one_per_day"),
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="clinichours_order"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="clinichours_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"weekday {self.weekday}: {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(models.Model):
    """Days the clinic is closed (holidays, training), inclusive."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["clinic", "starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="closure_order"
            )
        ]

    def __str__(self) -> str:
        return f"closed {self.starts_on}–{self.ends_on}: {self.reason}"


class StaffHours(models.Model):
    """When a staff member works at a clinic on a weekday (0 = Monday)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="staff_hours")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField()
    starts = models.TimeField()
    ends = models.TimeField()

    class Meta:
        ordering = ["clinic", "user", "weekday", "starts"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="staffhours_order"
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="staffhours_weekday_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} weekday {self.weekday}: {self.starts:%H:%M}–{self.ends:%H:%M}"

    @property
    def weekday_label(self) -> str:
        return ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[self.weekday]


class AppointmentType(models.TextChoices):
    EVALUATION = "evaluation", "Evaluation"
    TREATMENT = "treatment", "Treatment session"
    INTEGRATION = "integration", "Integration therapy"
    FOLLOW_UP = "follow_up", "Follow-up"
    TELEHEALTH = "telehealth", "Telehealth"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed by patient"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"


# Statuses that hold the chair and the patient's time.
ACTIVE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
)


class SchedulingLock(models.Model):
    """One row per patient, locked while that patient's appointments are checked and written."""

    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, primary_key=True)

    def __str__(self) -> str:
        return f"scheduling lock for {self.patient_id}"


# Appointment notes are a few lines for the front desk and the chair (what to bring, access
# needs), not a clinical record. The column is unbounded text; the booking form and `do_book`
# hold them to this.
NOTES_MAX_CHARS = 2000


def notes_too_long(length: int) -> str:
    """The refusal of notes of `length` characters, or "" when they fit."""
    if length <= NOTES_MAX_CHARS:
        return ""
    return (
        f"Notes can be at most {NOTES_MAX_CHARS:,} characters (these have {length:,}); "
        "keep them to what the visit needs."
    )


class Appointment(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="appointments")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    type = models.CharField(max_length=12, choices=AppointmentType.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    plan = models.ForeignKey(
        "plans.TreatmentPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    phase = models.CharField(max_length=40, blank=True)
    session_number = models.PositiveSmallIntegerField(null=True, blank=True)
    series = models.UUIDField(null=True, blank=True)  # appointments booked together
    status = models.CharField(
        max_length=12, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    status_reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    # Patient's confirm/cancel link: only the SHA-256 of the token is kept.
    link_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    # Set when the patient asks to reschedule through the link; staff act on it.
    reschedule_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_order"
            )
        ]
        indexes = [
            models.Index(fields=["resource", "starts_at"], name="appt_resource_start"),
            models.Index(fields=["patient", "starts_at"], name="appt_patient_start"),
            models.Index(fields=["clinic", "starts_at"], name="appt_clinic_start"),
            models.Index(fields=["clinician", "starts_at"], name="appt_clinician_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} for {self.patient} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class ReminderLead(models.Model):
    """A clinic's reminder lead times, in hours before the appointment (default 48 and 2)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="reminder_leads")
    hours = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["clinic", "-hours"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "hours"], name="reminderlead_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hours} h before"


class AppointmentReminder(models.Model):
    """One reminder of one appointment at one lead time: the unique row is the claim that
    makes sure it is never sent twice; the message itself is a notify.NotificationLog."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="reminders")
    lead_hours = models.PositiveSmallIntegerField()
    channel = models.CharField(max_length=8)
    notification = models.ForeignKey(
        "notify.NotificationLog", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["appointment", "-lead_hours"]
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "lead_hours", "channel"], name="reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_hours} h reminder ({self.channel}) of {self.appointment_id}"
