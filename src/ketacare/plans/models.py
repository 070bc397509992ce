"""A clinic's protocol versions, treatment plans, their revisions and review tasks.

The protocols themselves are pure data in `ketacare.clinical.protocols`; a clinic's edits are
stored as `ClinicProtocol` rows, one per version, holding only the differences from the library
default (`protocol_changes`). A plan pins the protocol version it was written under.

A plan is a draft until a prescriber signs it. From then on nothing is overwritten: every change
(personalisation, status, phase, a review decision) appends a `PlanRevision` holding the whole
plan as it now stands, who changed it, when and why; the plan row carries the current values
for queries and the revision number they belong to.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Patient


class ClinicProtocol(models.Model):
    """Version `version` of library protocol `code` at a clinic: the edits and why."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="protocols")
    code = models.CharField(max_length=60)
    version = models.PositiveIntegerField()
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(default=timezone.now)
    # A clinic may withdraw a protocol from new plans; plans already written keep their version.
    available = models.BooleanField(default=True)

    class Meta:
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "code", "version"], name="clinicprotocol_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} ({self.clinic})"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"


# Which status may follow which (after signing; a draft becomes active by signing).
PLAN_TRANSITIONS: dict[str, frozenset[str]] = {
    PlanStatus.DRAFT: frozenset({PlanStatus.ACTIVE}),
    PlanStatus.ACTIVE: frozenset({PlanStatus.ON_HOLD, PlanStatus.COMPLETED, PlanStatus.STOPPED}),
    PlanStatus.ON_HOLD: frozenset({PlanStatus.ACTIVE, PlanStatus.STOPPED, PlanStatus.COMPLETED}),
    PlanStatus.COMPLETED: frozenset(),
    PlanStatus.STOPPED: frozenset(),
}


class TreatmentPlan(models.Model):
    """One patient's course under one protocol version, personalised."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="plans")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    protocol_code = models.CharField(max_length=60)
    protocol_version = models.PositiveIntegerField(default=1)
    # The clinic's edits the version carried, copied so the plan reads the same forever.
    protocol_changes = models.JSONField(default=dict, blank=True)
    route = models.CharField(max_length=40)
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    status_reason = models.TextField(blank=True)
    phase = models.CharField(max_length=40)  # the protocol phase the patient is in now
    # Personalisation (None = the protocol's default).
    dose_value = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    weight_basis = models.CharField(max_length=12, blank=True)
    concentration_mg_per_ml = models.DecimalField(
        max_digits=8, decimal_places=3, null=True, blank=True
    )
    frequency_count = models.PositiveSmallIntegerField(null=True, blank=True)
    frequency_per_days = models.PositiveSmallIntegerField(null=True, blank=True)
    sessions_planned = models.PositiveSmallIntegerField(null=True, blank=True)
    # [{"scale": "phq9", "target": 4, "comparison": "lt"|"le", "label": "..."}]
    targets = models.JSONField(default=list, blank=True)
    goals = models.TextField(blank=True)
    starts_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=0)  # 0 while a draft
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["clinic", "status"], name="plan_clinic_status")]

    def __str__(self) -> str:
        return f"{self.protocol_code} plan for {self.patient} ({self.status})"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def is_open(self) -> bool:
        return self.status in (PlanStatus.DRAFT, PlanStatus.ACTIVE, PlanStatus.ON_HOLD)


class RevisionKind(models.TextChoices):
    SIGNED = "signed", "Signed"
    CHANGED = "changed", "Changed"
    STATUS = "status", "Status changed"
    PHASE = "phase", "Phase changed"
    REVIEW = "review", "Review decision"


class PlanRevision(models.Model):
    """The whole plan after one signed change. Append-only."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=RevisionKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    snapshot = models.JSONField()  # every personalisable field, status and phase
    changes = models.JSONField(default=dict, blank=True)  # field -> [before, after]

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="planrevision_unique_number")
        ]

    def __str__(self) -> str:
        return f"revision {self.number} of plan {self.plan_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("Plan revisions are append-only.")
        super().save(*args, **kwargs)


class ReviewKind(models.TextChoices):
    REVIEW_POINT = "review_point", "Review point"
    STOP_RULE = "stop_rule", "Stop rule"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"


class ReviewDecision(models.TextChoices):
    CONTINUE = "continue", "Continue as planned"
    ADJUST = "adjust", "Adjust the plan"
    MAINTENANCE = "maintenance", "Switch to maintenance"
    STOP = "stop", "Stop treatment"


class ReviewTask(models.Model):
    """A review point reached or a stop rule fired: a task on the prescriber's work list."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="review_tasks")
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="reviews")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plan_reviews")
    kind = models.CharField(max_length=14, choices=ReviewKind.choices)
    code = models.CharField(max_length=60)  # review point code, or "stop_rule"
    title = models.CharField(max_length=200)
    due_at = models.DateTimeField()
    data = models.JSONField(default=dict, blank=True)  # the scores and sessions behind it
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    decision = models.CharField(max_length=12, choices=ReviewDecision.choices, blank=True)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    revision = models.ForeignKey(
        PlanRevision, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            # One task per review point per plan, however often the schedule runs.
            models.UniqueConstraint(fields=["plan", "code"], name="reviewtask_unique_code")
        ]
        indexes = [models.Index(fields=["clinic", "status"], name="review_clinic_status")]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"
