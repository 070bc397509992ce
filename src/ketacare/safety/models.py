"""Risk flags: a warning sign on a patient that stays visible until a clinician acts.

This holds the flag itself; the escalation and crisis workflow around it build on it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.patients.models import Patient
from ketacare.safety.escalation_models import (  # noqa: F401  (model registration)
    EscalationContact,
    EscalationEvent,
    FlagEscalation,
    OnCallOverride,
    OnCallSlot,
    SafetySettings,
    StaffAlertContact,
    StaffNotification,
)


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class FlagSource(models.TextChoices):
    PHQ9_ITEM9 = "phq9_item9", "PHQ-9 item 9 above 0"
    CSSRS = "cssrs", "C-SSRS screen"
    QIDS_ITEM12 = "qids_item12", "QIDS-SR16 item 12 above 0"
    MANUAL = "manual", "Raised by a clinician"
    PATIENT_REQUEST = "patient_request", "Patient asked for help"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class RiskFlag(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="risk_flags")
    level = models.CharField(max_length=10, choices=RiskLevel.choices)
    source = models.CharField(max_length=20, choices=FlagSource.choices)
    reason = models.TextField()
    assessment = models.ForeignKey(
        "measures.Assessment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="risk_flags",
    )
    raised_at = models.DateTimeField(default=timezone.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=15, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    requires_cssrs = models.BooleanField(
        default=False, help_text="A C-SSRS screen is required before the next dose."
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    action_taken = models.TextField(blank=True)
    # Set by `resolve.do_resolve_flag` (a flag without a crisis record). A flag resolved by
    # closing its crisis record keeps its resolution on that record (closed_at/by, summary).
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        indexes = [models.Index(fields=["patient", "status"], name="flag_patient_status")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} risk flag: {self.reason[:60]}"


# The crisis workflow and safety plan models live in their own module (and the receiver that
# opens a crisis record when a high-risk flag is raised is connected there).
from ketacare.safety.crisis_models import (  # noqa: E402, F401
    CrisisRecord,
    CrisisStep,
    DosingBlock,
    SafetyPlanLink,
    SafetyPlanReminder,
    SafetyPlanVersion,
)
