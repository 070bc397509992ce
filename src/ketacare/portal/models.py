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
