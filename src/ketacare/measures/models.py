"""Measurement-based care: episodes of care, assessments, schedules, due items, self-report links.

Scoring is never done here: `clinical.scales` scores, and an Assessment stores the answers
*and* the result with its explanation, so what a clinician saw is what the record keeps.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Diagnosis, Patient


class EpisodeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class EpisodeOfCare(models.Model):
    """A course of treatment for one condition; response is measured against its baseline."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episodes")
    title = models.CharField(max_length=200, help_text="e.g. 'IV ketamine for TRD, 2026'")
    diagnosis = models.ForeignKey(
        Diagnosis, on_delete=models.SET_NULL, null=True, blank=True, related_name="episodes"
    )
    primary_scale = models.CharField(
        max_length=20, default="phq9", help_text="The scale response and remission are judged on."
    )
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=EpisodeStatus.choices, default=EpisodeStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_on"]

    def __str__(self) -> str:
        return self.title


class Context(models.TextChoices):
    INTAKE_BASELINE = "intake_baseline", "Intake baseline"
    PRE_SESSION = "pre_session", "Pre-session"
    POST_SESSION = "post_session", "Post-session"
    FOLLOW_UP = "follow_up", "Follow-up"
    UNSCHEDULED = "unscheduled", "Unscheduled"


class Source(models.TextChoices):
    STAFF = "staff", "Entered by staff"
    SELF_REPORT = "self_report", "Patient self-report"
    FHIR = "fhir", "Received over FHIR"


class AssessmentStatus(models.TextChoices):
    FINAL = "final", "Final"
    ENTERED_IN_ERROR = "entered_in_error", "Entered in error"


class Assessment(models.Model):
    """One administration of one scale, with the score exactly as computed at the time.

    Immutable once saved, except that it may be marked "entered in error" with a reason
    (the original stays readable).
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assessments")
    episode = models.ForeignKey(
        EpisodeOfCare, on_delete=models.SET_NULL, null=True, blank=True, related_name="assessments"
    )
    scale_code = models.CharField(max_length=20)
    scale_version = models.CharField(max_length=40)
    answers = models.JSONField(help_text="{item link_id: value} as given")
    total = models.IntegerField(null=True, blank=True)
    subscores = models.JSONField(default=dict, blank=True)
    mean_scores = models.JSONField(default=dict, blank=True)
    band = models.CharField(max_length=80, blank=True)
    flags = models.JSONField(default=list, blank=True)
    risk_level = models.CharField(max_length=20, blank=True)
    complete = models.BooleanField(default=True)
    missing_items = models.JSONField(default=list, blank=True)
    explanation = models.JSONField(default=list, blank=True)
    context = models.CharField(max_length=20, choices=Context.choices, default=Context.UNSCHEDULED)
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.STAFF)
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    administered_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.FINAL
    )
    error_reason = models.CharField(max_length=300, blank=True)
    # Set when the assessment came in as a FHIR QuestionnaireResponse (kept verbatim).
    fhir_response = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-administered_at"]
        indexes = [
            models.Index(
                fields=["patient", "scale_code", "-administered_at"],
                name="assess_patient_scale_time",
            ),
            models.Index(fields=["patient", "-administered_at"], name="assess_patient_time"),
        ]

    def __str__(self) -> str:
        return f"{self.scale_code} {self.total} on {self.administered_at:%Y-%m-%d}"

    @property
    def by_label(self) -> str:
        if self.source == Source.SELF_REPORT:
            return "self-report"
        return self.administered_by.display_name if self.administered_by else "unknown"


class RuleKind(models.TextChoices):
    BASELINE = "baseline", "At the start of an episode (baseline)"
    INTERVAL = "interval", "Every N days during an active episode"
    AFTER_ITEM9 = "after_item9", "Whenever PHQ-9 item 9 is above 0"
    BEFORE_SESSION = (
        "before_session",
        "Before every treatment session (due on the day of each booked session)",
    )
    MAINTENANCE = (
        "maintenance",
        "Every N days (7 = weekly) while the treatment plan is in a maintenance phase",
    )


class ScheduleRule(models.Model):
    """Which scale is due when, per clinic (e.g. PHQ-9 weekly; PCL-5 for PTSD diagnoses)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="schedule_rules")
    scale_code = models.CharField(max_length=20)
    kind = models.CharField(max_length=20, choices=RuleKind.choices)
    interval_days = models.PositiveIntegerField(null=True, blank=True)
    grace_days = models.PositiveIntegerField(
        default=2, help_text="Days after the due date before it counts as overdue."
    )
    diagnosis_prefixes = models.CharField(
        max_length=200,
        blank=True,
        help_text="Only for patients with an active diagnosis starting with one of these "
        "comma-separated ICD-10-CM prefixes (e.g. 'F43.1' for PTSD). Empty: everyone.",
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["scale_code", "kind"]

    def __str__(self) -> str:
        return f"{self.scale_code}: {self.get_kind_display()}"


class DueStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class DueAssessment(models.Model):
    """A scale due for a patient on a date. Materialised so clinic-wide lists stay fast."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="due_assessments")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="due_assessments")
    scale_code = models.CharField(max_length=20)
    rule = models.ForeignKey(
        ScheduleRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="due_items"
    )
    episode = models.ForeignKey(
        EpisodeOfCare, on_delete=models.CASCADE, null=True, blank=True, related_name="due_items"
    )
    # Set for "before every session" items: the treatment appointment the scale is due before.
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="due_assessments",
    )
    due_on = models.DateField()
    overdue_on = models.DateField()
    reason = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=DueStatus.choices, default=DueStatus.OPEN)
    completed_by = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="fulfils"
    )
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "scale_code", "due_on", "rule"],
                name="one_due_item_per_rule_date",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status", "due_on"], name="due_clinic_status_date"),
            models.Index(fields=["patient", "status"], name="due_patient_status"),
        ]

    def __str__(self) -> str:
        return f"{self.scale_code} due {self.due_on} ({self.status})"


class SelfReportLink(models.Model):
    """A one-time link that lets a patient answer given scales on their phone, without login."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="self_report_links")
    token_hash = models.CharField(max_length=64, unique=True)
    scale_codes = models.JSONField(help_text="list of scale codes, in order")
    context = models.CharField(max_length=20, choices=Context.choices, default=Context.FOLLOW_UP)
    episode = models.ForeignKey(
        EpisodeOfCare, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    draft = models.JSONField(default=dict, blank=True, help_text="{scale: {link_id: value}}")
    channel = models.CharField(max_length=10, default="email")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"self-report link for {self.patient_id} ({', '.join(self.scale_codes)})"

    @property
    def is_usable(self) -> bool:
        return (
            self.completed_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class ClinicResponseRules(models.Model):
    """A clinic's own definitions of partial response, remission and relapse.

    shared/reference/clinical.md §12 marks these as programme choices ("pick one per programme
    and store the definition with the result"), so they are clinic settings. Only what differs
    from the library's `clinical.response.ResponseRules` defaults is stored: a scale missing
    from `remission_at_or_below`, or a None, means the library default (which cites its source).
    """

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="response_rules")
    remission_at_or_below = models.JSONField(
        default=dict,
        blank=True,
        help_text="{scale code: highest total that counts as remission}, only where it differs",
    )
    partial_response_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    relapse_consecutive = models.PositiveSmallIntegerField(null=True, blank=True)
    # Days before an episode's start whose scores without an episode still count for it
    # ([PRACTICE]; clinical.response.ResponseRules.baseline_lookback_days cites the default).
    baseline_lookback_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reason = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"response rules of {self.clinic}"


class PainBandConvention(models.TextChoices):
    HL7EU = "hl7eu", "hl7.eu (0 / 1–3 / 4–6 / 7–9 / 10)"
    EPPOC = "eppoc", "ePPOC (0–4 / 5–6 / 7–10)"


class ClinicScoringThresholds(models.Model):
    """A clinic's scale cut-offs, band edges and risk-flag levels, where the reference marks
    them as population-dependent or practice variation (clinical.thresholds.SPECS cites each).

    Only what differs from the library's `clinical.thresholds.ScoringThresholds` is stored: a
    None, a blank or a level missing from `risk_levels` means the library default. New scores
    use these values; stored assessments keep the band and flags they were scored with.
    """

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, related_name="scoring_thresholds"
    )
    pcl5_cutoff = models.PositiveSmallIntegerField(null=True, blank=True)
    gad7_cutoff = models.PositiveSmallIntegerField(null=True, blank=True)
    madrs_mild_from = models.PositiveSmallIntegerField(null=True, blank=True)
    madrs_moderate_from = models.PositiveSmallIntegerField(null=True, blank=True)
    madrs_severe_from = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_nrs_bands = models.CharField(
        max_length=8, choices=PainBandConvention.choices, blank=True, default=""
    )
    risk_levels = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"phq9_item9.1": "low", …}: flag level per item answer, only where it differs',
    )
    reason = models.TextField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"scoring thresholds of {self.clinic}"
