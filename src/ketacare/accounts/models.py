"""Clinics, staff users, their role in each clinic, API tokens, and one-time submission keys.

The audit log lives in `audit.py` (model `AuditEntry`).
"""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from ketacare.accounts.audit import AuditChainHead, AuditEntry  # noqa: F401  (model registration)


class Role(models.TextChoices):
    ADMIN = "admin", "Clinic admin"
    PRESCRIBER = "prescriber", "Prescriber"
    NURSE = "nurse", "Infusion nurse"
    THERAPIST = "therapist", "Therapist"
    INTAKE = "intake", "Intake coordinator"
    DIRECTOR = "director", "Clinic director"


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    # Each clinic's MRNs carry its own prefix so a chart printout shows where it came from.
    mrn_prefix = models.CharField(max_length=6)
    mrn_counter = models.PositiveIntegerField(default=0)
    phone = models.CharField(max_length=40, blank=True)
    time_zone = models.CharField(max_length=64, default="America/New_York")
    mfa_required = models.BooleanField(
        default=False, help_text="Staff must use a TOTP authenticator to sign in."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Their powers come from memberships, one per clinic."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200)
    credentials = models.CharField(
        max_length=60, blank=True, help_text="e.g. MD, RN, NP, LCSW — shown beside the name."
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)  # Django admin site access; not used by clinics
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        ordering = ["full_name", "email"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.full_name or self.email
        return f"{name}, {self.credentials}" if self.credentials else name

    def active_memberships(self) -> models.QuerySet[Membership]:
        return self.memberships.filter(is_active=True, clinic__isnull=False).select_related(
            "clinic"
        )


class Membership(models.Model):
    """A user's role in one clinic. A person may work for several clinics."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "clinic"], name="one_membership_per_clinic"),
        ]
        ordering = ["clinic__name"]

    def __str__(self) -> str:
        return f"{self.user.email} — {self.get_role_display()} at {self.clinic.name}"


TOKEN_PREFIX_LEN = 8


def hash_token(raw: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough and keeps lookup O(1).
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON and FHIR APIs, bound to one user in one clinic."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=TOKEN_PREFIX_LEN, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, related_name="+", blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @staticmethod
    def generate() -> tuple[str, str]:
        """Return (prefix, full token). The full token is shown once and never stored."""
        prefix = secrets.token_hex(TOKEN_PREFIX_LEN // 2)
        return prefix, f"kc_{prefix}_{secrets.token_urlsafe(32)}"


class SubmissionKey(models.Model):
    """A create form's (or an API call's `Idempotency-Key`) one-time key, stored with what it
    created, in the same transaction, so pressing Save twice creates one row
    (`core/submission.py`). Unique per user; `scope` says which create it was for (such as
    `patients.allergy@<patient id>`), `object_id` is the primary key of what it created.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    scope = models.CharField(max_length=120)
    object_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="submission_key_once_per_user"),
        ]
        indexes = [models.Index(fields=["user", "created_at"], name="submission_key_age")]

    def __str__(self) -> str:
        return f"{self.scope} → {self.object_id}"
