"""More of the chair record, all append-only: infusion rate changes and pauses, side effects
with the intervention given, signatures, and addenda after the session is locked."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

USER = settings.AUTH_USER_MODEL


class InfusionEventKind(models.TextChoices):
    RATE = "rate", "Rate changed"
    PAUSE = "pause", "Paused"
    RESUME = "resume", "Resumed"


class InfusionEvent(models.Model):
    """A rate change, a pause or a resume of an IV infusion, with its reason."""

    session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.CASCADE, related_name="infusion_events"
    )
    kind = models.CharField(max_length=8, choices=InfusionEventKind.choices)
    at = models.DateTimeField(default=timezone.now)
    rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    reason = models.TextField(blank=True)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["session", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at:%H:%M}"


class SideEffectCode(models.TextChoices):
    NAUSEA = "nausea", "Nausea"
    VOMITING = "vomiting", "Vomiting"
    DIZZINESS = "dizziness", "Dizziness"
    DISSOCIATION = "dissociation", "Dissociation"
    HEADACHE = "headache", "Headache"
    ANXIETY = "anxiety", "Anxiety / agitation"
    HYPERTENSION = "hypertension", "Hypertension"
    HYPERSALIVATION = "hypersalivation", "Hypersalivation"
    RESP_DEPRESSION = "resp_depression", "Respiratory depression"
    OTHER = "other", "Other"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class SideEffect(models.Model):
    """A side effect seen at the chair, and what was given for it (if anything)."""

    session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.CASCADE, related_name="side_effects"
    )
    code = models.CharField(max_length=20, choices=SideEffectCode.choices)
    other_text = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    onset_at = models.DateTimeField(default=timezone.now)
    intervention_drug = models.CharField(max_length=120, blank=True)
    intervention_dose = models.CharField(max_length=60, blank=True)
    intervention_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    # Marked entered in error (the wrong patient, a slip): the row is kept as recorded, with
    # who, when and why; it no longer counts (REMS form, FHIR searches), and its alert is
    # closed (`side_effects.do_mark_side_effect_in_error`).
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    entered_in_error_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["session", "onset_at", "pk"]

    def __str__(self) -> str:
        return f"{self.label} ({self.severity})"

    @property
    def in_error(self) -> bool:
        return self.entered_in_error_at is not None

    @property
    def label(self) -> str:
        if self.code == SideEffectCode.OTHER and self.other_text:
            return f"Other: {self.other_text}"
        return str(self.get_code_display())

    @property
    def serious(self) -> bool:
        return self.severity == Severity.SEVERE or self.code == SideEffectCode.RESP_DEPRESSION


class SignerRole(models.TextChoices):
    NURSE = "nurse", "Nurse"
    PRESCRIBER = "prescriber", "Prescriber"


class SessionSignature(models.Model):
    session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.CASCADE, related_name="signatures"
    )
    role = models.CharField(max_length=12, choices=SignerRole.choices)
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "role"], name="session_one_sign_per_role")
        ]

    def __str__(self) -> str:
        return f"{self.role} signed session {self.session_id}"


class SessionAddendum(models.Model):
    session = models.ForeignKey(
        "treatments.TreatmentSession", on_delete=models.CASCADE, related_name="addenda"
    )
    text = models.TextField()
    by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "at", "pk"]

    def __str__(self) -> str:
        return f"addendum {self.pk}"
