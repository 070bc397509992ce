"""Aftercare: integration therapy notes, follow-up tasks, lifestyle habit logs and goals, and
the clinic's aftercare settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.clinical.booster import DEFAULT_RISE_PCT
from ketacare.clinical.habits import GOAL_LABELS
from ketacare.patients.models import Patient


class AftercareSettings(models.Model):
    """A clinic's practice choices for aftercare (one row per clinic; defaults when absent)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="aftercare")
    integration_gap_days = models.PositiveSmallIntegerField(
        "Days after dosing to expect an integration session",
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )
    booster_rise_pct = models.PositiveSmallIntegerField(
        "Booster may be due at a rise of (% of baseline, since the best score)",
        default=DEFAULT_RISE_PCT,
        validators=[MinValueValidator(5), MaxValueValidator(100)],
    )
    alcohol_limit_drinks = models.DecimalField(
        "Alcohol limit before a dosing day (standard drinks)",
        max_digits=4,
        decimal_places=1,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("20"))],
    )
    alcohol_window_days = models.PositiveSmallIntegerField(
        "Days before the dosing day the limit covers",
        default=1,
        validators=[MaxValueValidator(7)],
    )
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Aftercare settings of clinic {self.clinic_id}"


class NoteKind(models.TextChoices):
    PREPARATION = "preparation", "Preparation (before dosing)"
    INTEGRATION = "integration", "Integration (after dosing)"


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class RiskAnswer(models.TextChoices):
    NONE = "none", "No thoughts of suicide or self-harm reported"
    CONCERN = "concern", "Passive thoughts or other concern — needs review"
    URGENT = "urgent", "Active thoughts, intent or plan — urgent"


class IntegrationNote(models.Model):
    """The therapist's structured note of one preparation or integration session."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="integration_notes")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="integration_notes")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="integration_notes"
    )
    kind = models.CharField(max_length=12, choices=NoteKind.choices, default=NoteKind.INTEGRATION)
    held_on = models.DateField()
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="integration_notes",
    )
    treatment_sessions = models.ManyToManyField(
        "treatments.TreatmentSession", blank=True, related_name="integration_notes"
    )
    intentions = models.TextField(blank=True)
    themes = models.TextField(blank=True)
    insights = models.TextField(blank=True)
    homework = models.TextField(blank=True)
    risk = models.CharField(max_length=8, choices=RiskAnswer.choices)
    risk_note = models.TextField(blank=True)
    risk_flag = models.ForeignKey(
        "safety.RiskFlag", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=8, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-held_on", "-pk"]
        indexes = [models.Index(fields=["clinic", "therapist", "-held_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} note {self.held_on}"

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED


class IntegrationAddendum(models.Model):
    """A later addition to a signed note; the note itself never changes."""

    note = models.ForeignKey(IntegrationNote, on_delete=models.PROTECT, related_name="addenda")
    text = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"Addendum to note {self.note_id}"


class TaskKind(models.TextChoices):
    RELAPSE = "relapse", "Relapse: review the plan"
    BOOSTER = "booster", "Booster may be due"


class TaskStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class FollowUpTask(models.Model):
    """A piece of follow-up work the schedule pass opened (once per `key`)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="followup_tasks")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="followup_tasks")
    episode = models.ForeignKey(
        "measures.EpisodeOfCare", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=TaskKind.choices)
    key = models.CharField(max_length=120)  # what makes it unique, e.g. relapse:<episode>:<date>
    title = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True)  # the scores and reasons behind it
    status = models.CharField(max_length=6, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    done_note = models.TextField(blank=True)

    class Meta:
        ordering = ["status", "-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "key"], name="aftercare_task_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class HabitSource(models.TextChoices):
    STAFF = "staff", "Staff"
    PATIENT = "patient", "Patient"


class HabitLog(models.Model):
    """One day of habits for one patient. Blank = not logged (never zero)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="habit_logs")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="habit_logs")
    day = models.DateField()
    bed_time = models.TimeField(null=True, blank=True)
    wake_time = models.TimeField(null=True, blank=True)
    active_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(1440)]
    )
    activity_kind = models.CharField(max_length=60, blank=True)
    drinks = models.DecimalField(
        "Standard drinks",
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("60"))],
    )
    therapy = models.BooleanField("Attended therapy", null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=8, choices=HabitSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "day"], name="aftercare_habit_day_once")
        ]

    def __str__(self) -> str:
        return f"Habits {self.day}"


GOAL_KIND_CHOICES = [(str(k), label) for k, label in GOAL_LABELS.items()]


class HabitGoal(models.Model):
    """A goal set with the clinician. Ended, never edited: a new target is a new goal."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="habit_goals")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="habit_goals")
    kind = models.CharField(max_length=20, choices=GOAL_KIND_CHOICES)
    target = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10080)])
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "-starts_on"]

    def __str__(self) -> str:
        return f"{self.label} {self.target}"

    @property
    def label(self) -> str:
        return dict(GOAL_KIND_CHOICES).get(self.kind, self.kind)

    @property
    def is_active(self) -> bool:
        return self.ends_on is None
