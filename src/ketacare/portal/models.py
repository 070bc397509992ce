"""Portal accounts: a sign-in (an `accounts.User` with no clinic membership) tied to one Patient.

A portal user is never staff: they hold no `Membership`, and the portal refuses users who do.
One-time tokens (invitation and email sign-in links) are stored only as their SHA-256.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.patients.models import Patient


class PortalAccount(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_account"
    )
    patient = models.OneToOneField(Patient, on_delete=models.CASCADE, related_name="portal_account")
    is_active = models.BooleanField(default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    activated_at = models.DateTimeField(null=True, blank=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-invited_at"]

    def __str__(self) -> str:
        return f"portal account of {self.patient_id}"


class TokenPurpose(models.TextChoices):
    INVITE = "invite", "Invitation (set a password)"
    SIGN_IN = "sign_in", "One-time sign-in link"


class PortalToken(models.Model):
    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="tokens")
    purpose = models.CharField(max_length=10, choices=TokenPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.purpose} token for account {self.account_id}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class ThreadStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class MessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    RESCHEDULE = "reschedule", "Asks to reschedule an appointment"


class MessageThread(models.Model):
    """A conversation between one patient and their clinic's care team."""

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="portal_threads"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="portal_threads")
    subject = models.CharField(max_length=150)
    status = models.CharField(max_length=10, choices=ThreadStatus.choices, default="open")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_message_at"]
        indexes = [models.Index(fields=["clinic", "-last_message_at"], name="portal_thread_inbox")]

    def __str__(self) -> str:
        return self.subject


class Message(models.Model):
    """One message. `from_patient` tells the side; `read_at` is when the other side read it."""

    thread = models.ForeignKey(MessageThread, on_delete=models.CASCADE, related_name="messages")
    from_patient = models.BooleanField()
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=MessageKind.choices, default="message")
    body = models.TextField()
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    risk_phrases = models.JSONField(default=list, blank=True)
    flag = models.ForeignKey(
        "safety.RiskFlag", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["sent_at", "pk"]

    def __str__(self) -> str:
        return f"message {self.pk} in thread {self.thread_id}"


class Stage(models.TextChoices):
    ANY = "any", "Any stage"
    BEFORE = "before", "Before treatment (evaluation, preparation)"
    INDUCTION = "induction", "During the induction series"
    MAINTENANCE = "maintenance", "Maintenance and follow-up"


class Article(models.Model):
    """An education article a clinic publishes to its patients (plain paragraphs, no HTML)."""

    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.CASCADE, related_name="portal_articles"
    )
    title = models.CharField(max_length=150)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Plain text. A blank line starts a new paragraph.")
    conditions = models.JSONField(
        default=list,
        blank=True,
        help_text="ICD-10 code prefixes (e.g. F32, F33, F43.1); empty = all",
    )
    stages = models.JSONField(default=list, blank=True, help_text="stages; empty = any stage")
    published = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
