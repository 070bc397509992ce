"""The crisis record, the dosing block and the safety plan (imported by `safety.models`).

- `CrisisRecord`: opened by a high-risk flag (or by a clinician from the chart); every step is
  a `CrisisStep` row, time-stamped with its author, never changed or deleted. Once closed, only
  addenda may be added. A high-risk flag raised while it is open joins it (`CrisisFlag`).
- `DosingBlock`: no dose for the patient that day, and until a prescriber clears it with a
  documented reason (`clinical.crisis_rules.dosing_block`).
- `SafetyPlanVersion`: the Stanley–Brown plan; every save is a new version, the newest is the
  current one. `SafetyPlanLink`: a patient's tokenized, expiring view of the current plan.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.clinical.crisis_rules import Disposition, Step
from ketacare.patients.models import Patient


class AppendOnly(models.Model):
    """Rows that are written once: an update or delete is a programming error."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise RuntimeError(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise RuntimeError(f"{type(self).__name__} rows are append-only.")


class CrisisStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CrisisRecord(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="crisis_records")
    flag = models.OneToOneField(
        "safety.RiskFlag",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="crisis_record",
    )
    status = models.CharField(max_length=10, choices=CrisisStatus.choices, default="open")
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField()
    disposition = models.CharField(
        max_length=24,
        blank=True,
        choices=[
            (Disposition.EMERGENCY_TRANSFER.value, "Emergency transfer"),
            (Disposition.VOLUNTARY_ADMISSION.value, "Voluntary admission"),
            (Disposition.OUTPATIENT.value, "Outpatient with safety plan and follow-up"),
        ],
    )
    follow_up_at = models.DateTimeField(null=True, blank=True)
    # When the follow-up reminder went out (`safety.followup`): the claim, so it goes once.
    follow_up_reminded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    summary = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["patient", "status"], name="crisis_patient_status")]

    def __str__(self) -> str:
        return f"crisis record {self.pk} ({self.status})"


class CrisisFlag(models.Model):
    """A high-risk flag raised while the patient's crisis record was already open: it joins
    that record instead of opening a second one (one crisis episode per patient at a time).
    The flag stays its own record (its source is evidence, and it escalates on its own until
    acknowledged); the crisis work, its dosing block and its close-out are shared. The flag
    that opened the record is `CrisisRecord.flag`, not a row here."""

    crisis = models.ForeignKey(CrisisRecord, on_delete=models.CASCADE, related_name="joined")
    flag = models.OneToOneField(
        "safety.RiskFlag", on_delete=models.CASCADE, related_name="joined_crisis"
    )
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["joined_at", "pk"]

    def __str__(self) -> str:
        return f"flag {self.flag_id} joined crisis record {self.crisis_id}"


STEP_CHOICES = [
    (Step.STAY.value, "Stayed with the patient"),
    (Step.MEANS.value, "Means restriction"),
    (Step.EVALUATION.value, "Clinician evaluation"),
    (Step.DISPOSITION.value, "Disposition"),
    (Step.CONTACT.value, "Contact made"),
    (Step.CLOSE.value, "Closed"),
    (Step.ADDENDUM.value, "Addendum"),
]


class CrisisStep(AppendOnly):
    """One documented step. `who`/`occurred_at` say who did it and when it happened;
    `author`/`recorded_at` who wrote it down and when."""

    record = models.ForeignKey(CrisisRecord, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(max_length=12, choices=STEP_CHOICES)
    who = models.CharField(max_length=200, blank=True)
    method = models.CharField(max_length=60, blank=True, help_text="contacts: phone, in person…")
    occurred_at = models.DateTimeField()
    note = models.TextField(blank=True)
    assessment = models.ForeignKey(
        "measures.Assessment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    disposition = models.CharField(max_length=24, blank=True)
    follow_up_at = models.DateTimeField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} on crisis record {self.record_id}"


class DosingBlock(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="dosing_blocks")
    flag = models.ForeignKey(
        "safety.RiskFlag", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    crisis = models.ForeignKey(
        CrisisRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="blocks"
    )
    reason = models.TextField()
    blocked_at = models.DateTimeField(default=timezone.now)
    blocked_on = models.DateField(help_text="The clinic's local date of the block.")
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clear_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-blocked_at"]

    def __str__(self) -> str:
        return f"dosing block {self.pk} on {self.blocked_on}"


PLAN_FIELDS: tuple[tuple[str, str, str], ...] = (
    (
        "warning_signs",
        "1. Warning signs",
        "Thoughts, images, moods or situations that tell me a crisis may be developing",
    ),
    (
        "coping_strategies",
        "2. Internal coping strategies",
        "Things I can do on my own to take my mind off my problems",
    ),
    (
        "distractions",
        "3. People and social settings that provide distraction",
        "Names, phone numbers, places",
    ),
    ("help_contacts", "4. People I can ask for help", "Names and phone numbers"),
    (
        "professionals",
        "5. Professionals and agencies I can contact in a crisis",
        "My clinician, the clinic, a crisis line, the nearest emergency department",
    ),
    ("safe_environment", "6. Making the environment safe", "How I will keep means out of reach"),
    (
        "reasons_for_living",
        "The one thing most important to me and worth living for (optional)",
        "",
    ),
)
REQUIRED_PLAN_FIELDS = tuple(name for name, _, _ in PLAN_FIELDS if name != "reasons_for_living")


class SafetyPlanVersion(AppendOnly):
    """One version of a patient's Stanley–Brown safety plan (clinical.md §16c)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="safety_plans")
    version = models.PositiveIntegerField()
    warning_signs = models.TextField()
    coping_strategies = models.TextField()
    distractions = models.TextField()
    help_contacts = models.TextField()
    professionals = models.TextField()
    safe_environment = models.TextField()
    reasons_for_living = models.TextField(blank=True)
    made_with_patient = models.BooleanField(default=True)
    review_due_on = models.DateField()
    crisis = models.ForeignKey(
        CrisisRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "version"], name="safety_plan_version")
        ]

    def __str__(self) -> str:
        return f"safety plan v{self.version} of {self.patient_id}"


class SafetyPlanReminder(models.Model):
    """A review reminder sent for one plan version (one per version: the claim)."""

    plan = models.OneToOneField(
        SafetyPlanVersion, on_delete=models.CASCADE, related_name="reminder"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    to = models.CharField(max_length=254, blank=True)

    def __str__(self) -> str:
        return f"review reminder for {self.plan_id}"


class SafetyPlanLink(models.Model):
    """The patient's own link to their current safety plan: expiring, one patient only."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="safety_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"safety plan link for {self.patient_id}"

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


from ketacare.safety import crisis_receivers  # noqa: E402, F401  (connects the receiver)
