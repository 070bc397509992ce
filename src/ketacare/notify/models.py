"""The notification log: every email and text message the platform sends, and how it went.

A message is written here first (status "queued"), then delivered by a background task that
claims the row, so a failure is visible and retried, and a restart loses nothing.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Patient


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class NotificationLog(models.Model):
    channel = models.CharField(max_length=10, choices=Channel.choices)
    to = models.CharField(max_length=254, help_text="Email address or phone number.")
    subject = models.CharField(max_length=200, blank=True)
    # The text is kept only until it is sent or given up: it may hold a live one-time link.
    body = models.TextField(blank=True)
    # Extra mail headers (e.g. List-Unsubscribe for mailings); cleared with the body once sent.
    headers = models.JSONField(default=dict, blank=True)
    purpose = models.CharField(max_length=60, help_text="e.g. 'selfreport.link'")
    reference = models.CharField(
        max_length=60, blank=True, help_text="What the message is about, e.g. 'selfreportlink:12'."
    )
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    error = models.CharField(max_length=500, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a failed message is tried again; empty: never."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    patient = models.ForeignKey(
        Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clinic = models.ForeignKey(
        Clinic, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notify_status_next"),
            models.Index(fields=["reference"], name="notify_reference"),
            models.Index(fields=["patient", "-created_at"], name="notify_patient_time"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.purpose} ({self.status})"

    @property
    def gave_up(self) -> bool:
        return self.status == NotificationStatus.FAILED and self.next_attempt_at is None
