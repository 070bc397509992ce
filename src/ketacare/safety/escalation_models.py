"""Escalation of risk flags: clinic safety settings, the on-call rota, the escalation list,
each flag's escalation state, its audited events, and staff in-app notifications.

Imported by `safety.models` so Django registers these models in the `safety` app. RiskFlag is
referenced by name ("safety.RiskFlag") so this module does not import models.py.
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic

WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]


class SafetySettings(models.Model):
    """Per-clinic crisis resources and escalation timing (defaults: clinical/escalation.py)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="safety_settings")
    country = models.CharField(
        max_length=2,
        default="US",
        help_text="Country of the clinic's patients. US numbers (988, 911) are built in; "
        "elsewhere enter the lines below.",
    )
    crisis_phone = models.CharField(
        max_length=40,
        blank=True,
        help_text="The number patients in crisis call (else the clinic's).",
    )
    hours = models.CharField(
        max_length=200, blank=True, help_text="When that number is answered, e.g. Mon–Fri 8–6."
    )
    extra_lines = models.TextField(
        blank=True,
        help_text="More crisis lines, one per line: name | number | what to say (optional).",
    )
    high_minutes = models.PositiveIntegerField(default=15)
    moderate_minutes = models.PositiveIntegerField(default=240)
    low_time = models.TimeField(default=time(9, 0))
    business_days = models.CharField(max_length=7, default="01234", help_text="Monday = 0.")
    director = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Last step of every escalation.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Safety settings of {self.clinic}"


class StaffAlertContact(models.Model):
    """Where a staff member gets urgent text messages (the user record has no phone)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="alert_contact"
    )
    mobile = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return f"alert contact of {self.user_id}"


class EscalationContact(models.Model):
    """One place on the clinic's ordered escalation list (before the director)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="escalation_list")
    position = models.PositiveSmallIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["clinic", "position"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "position"], name="escalation_position"),
        ]

    def __str__(self) -> str:
        return f"#{self.position} {self.user_id}"


class OnCallSlot(models.Model):
    """Weekly rota: `user` is on call on `weekday` from `starts` to `ends` (clinic time).
    `ends` at or before `starts` runs past midnight into the next day."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="on_call_slots")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts = models.TimeField()
    ends = models.TimeField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["clinic", "weekday", "starts"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.starts:%H:%M}–{self.ends:%H:%M}"


class OnCallOverride(models.Model):
    """A dated change to the rota (holiday cover, swaps): wins over the weekly slots."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="on_call_overrides")
    on_date = models.DateField()
    starts = models.TimeField(default=time(0, 0))
    ends = models.TimeField(default=time(0, 0), help_text="00:00 to 00:00 = the whole day.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["clinic", "on_date", "starts"]

    def __str__(self) -> str:
        return f"{self.on_date} {self.starts:%H:%M}–{self.ends:%H:%M}"


class EscalationState(models.TextChoices):
    ACTIVE = "active", "Escalating"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    EXHAUSTED = "exhausted", "Everyone paged"


class FlagEscalation(models.Model):
    """Where one flag's escalation stands. The worker claims a step with a conditional UPDATE
    on (step, due_at), so two workers never page the same people twice."""

    flag = models.OneToOneField(
        "safety.RiskFlag", on_delete=models.CASCADE, related_name="escalation"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    # 0 = nobody told yet; 1 = prescriber and on-call told; 2.. = escalation list, director.
    step = models.PositiveSmallIntegerField(default=0)
    due_at = models.DateTimeField(help_text="When the next step runs if nobody acknowledges.")
    state = models.CharField(
        max_length=15, choices=EscalationState.choices, default=EscalationState.ACTIVE
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["state", "due_at"], name="escalation_due")]

    def __str__(self) -> str:
        return f"escalation of flag {self.flag_id}: step {self.step} ({self.state})"


class EventKind(models.TextChoices):
    RAISED = "raised", "Flag raised"
    NOTIFIED = "notified", "Notified"
    NOBODY = "nobody", "Nobody to notify"
    ESCALATED = "escalated", "Escalated"
    EXHAUSTED = "exhausted", "Everyone paged"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"


class EscalationEvent(models.Model):
    """One audited step in a flag's life (also written to the audit log)."""

    flag = models.ForeignKey(
        "safety.RiskFlag", on_delete=models.CASCADE, related_name="escalation_events"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=15, choices=EventKind.choices)
    step = models.PositiveSmallIntegerField(default=0)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    role = models.CharField(max_length=30, blank=True, help_text="Why this person: prescriber…")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    detail = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["flag", "at"], name="escalation_event_flag")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%Y-%m-%d %H:%M}"


class StaffNotification(models.Model):
    """An in-app notification for one staff member (the bell list), about one flag."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="safety_notifications"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    flag = models.ForeignKey(
        "safety.RiskFlag", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "clinic", "read_at"], name="staff_note_unread")]

    def __str__(self) -> str:
        return self.text
