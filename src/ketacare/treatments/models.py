"""Treatment sessions at the chair: the session and its steps, the pre-dose checklist, the
dose given (with esketamine devices), vital-sign readings and the alerts they raise.

Readings, checks, devices and alerts are append-only: a correction is a new reading that
points at the one it corrects (`corrects`), and the original is never changed. The session row
carries the current state and a time and a person for every step.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.clinical.vitals import ALERT_ACTIONS
from ketacare.patients.models import Patient

USER = settings.AUTH_USER_MODEL


def _who(name: str) -> models.ForeignKey:
    return models.ForeignKey(
        USER,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=name,
    )


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CHECKED_IN = "checked_in", "Checked in"
    PRE_DOSE = "pre_dose", "Pre-dose checks"
    DOSING = "dosing", "Dosing"
    MONITORING = "monitoring", "Monitoring"
    READY = "ready_for_discharge", "Ready for discharge"
    DISCHARGED = "discharged", "Discharged"
    # Ended without discharge after dosing by the old "stop": no session reaches it any more
    # (stopping now stops the dosing and monitoring goes on); kept for the sessions that did.
    STOPPED = "stopped", "Stopped"
    ABORTED = "aborted", "Aborted"
    # After a drug was given, the only end without discharge: an emergency transfer (e.g. to
    # the ED by ambulance), with a reason.
    TRANSFERRED = "transferred", "Transferred out"


ACTIVE_SESSION_STATUSES = (
    SessionStatus.CHECKED_IN,
    SessionStatus.PRE_DOSE,
    SessionStatus.DOSING,
    SessionStatus.MONITORING,
    SessionStatus.READY,
)
CLOSED_SESSION_STATUSES = (
    SessionStatus.DISCHARGED,
    SessionStatus.STOPPED,
    SessionStatus.ABORTED,
    SessionStatus.TRANSFERRED,
)


class TreatmentSession(models.Model):
    """One treatment at a chair, made from one treatment appointment when the nurse checks in."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="treatment_sessions")
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="treatment_sessions"
    )
    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.PROTECT, related_name="treatment_session"
    )
    plan = models.ForeignKey(
        "plans.TreatmentPlan", on_delete=models.PROTECT, related_name="sessions"
    )
    protocol_code = models.CharField(max_length=60)
    protocol_version = models.PositiveIntegerField()
    route = models.CharField(max_length=40)
    status = models.CharField(
        max_length=20, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = _who("checked in by")
    checks_at = models.DateTimeField(null=True, blank=True)
    checks_by = _who("checks by")
    # Every pre-dose check passed when last recorded (a BP hold still needs clearing).
    checks_passed = models.BooleanField(default=False)
    check_problems = models.JSONField(default=list, blank=True)
    # Pre-dose vitals beyond the clinic's limits: a prescriber decides, with a reason.
    on_hold = models.BooleanField(default=False)
    hold_reasons = models.JSONField(default=list, blank=True)
    hold_cleared_at = models.DateTimeField(null=True, blank=True)
    hold_cleared_by = _who("hold cleared by")
    hold_decision_note = models.TextField(blank=True)
    dosing_started_at = models.DateTimeField(null=True, blank=True)
    dosing_started_by = _who("dosing started by")
    dosing_ended_at = models.DateTimeField(null=True, blank=True)
    dosing_ended_by = _who("dosing ended by")
    # Set when dosing was stopped before the planned dose was all given (who and when: the two
    # fields above); the session goes on to monitoring and discharge.
    dosing_stop_reason = models.TextField(blank=True)
    # When the minimum observation clock started (protocol `observation_from`).
    observation_started_at = models.DateTimeField(null=True, blank=True)
    # The first moment the patient was clinically fit to leave (escort aside).
    ready_at = models.DateTimeField(null=True, blank=True)
    escort_confirmed = models.BooleanField(default=False)
    escort_confirmed_at = models.DateTimeField(null=True, blank=True)
    escort_confirmed_by = _who("escort confirmed by")
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = _who("discharged by")
    discharge_override_reason = models.TextField(blank=True)
    discharge_missing = models.JSONField(default=list, blank=True)  # what an override waived
    ended_at = models.DateTimeField(null=True, blank=True)  # aborted or transferred out
    ended_by = _who("ended by")
    end_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    escort_name = models.CharField(max_length=120, blank=True)
    # Set when both nurse and prescriber have signed: from then on, addenda only.
    locked_at = models.DateTimeField(null=True, blank=True)
    # The clinic's limits in force at the pre-dose checks (treatments.limits): the session is
    # judged by them to the end, so a later settings change never rewrites a past decision.
    limits_used = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["clinic", "status"], name="session_clinic_status"),
            models.Index(fields=["patient", "-created_at"], name="session_patient_time"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_SESSION_STATUSES

    @property
    def is_esketamine(self) -> bool:
        return self.route == "esketamine_nasal"


class CheckResult(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    NA = "na", "Not applicable"


class PreDoseCheck(models.Model):
    """One answer to one checklist item. Re-answering adds a row; the latest counts."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="checks")
    code = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    result = models.CharField(max_length=3, choices=CheckResult.choices)
    automatic = models.BooleanField(default=False)  # decided from the record, not typed
    note = models.TextField(blank=True)
    # "Medication changes since the last visit": the classes the nurse ticked as started,
    # stopped or changed (`clinical.predose.MEDICATION_CLASS_CODES`; any one holds the dose).
    changed_classes = models.JSONField(default=list, blank=True)
    by = _who("checked by")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["session", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.code}: {self.result}"

    @property
    def changed_class_labels(self) -> list[str]:
        from ketacare.clinical.predose import MEDICATION_CLASSES

        labels = {code: label for code, label, _ in MEDICATION_CLASSES}
        return [labels.get(code, code) for code in self.changed_classes]


class ReadingPhase(models.TextChoices):
    PRE_DOSE = "pre_dose", "Pre-dose"
    DURING = "during", "During / after dosing"


class ReadingSource(models.TextChoices):
    MANUAL = "manual", "Typed at the chair"
    DEVICE = "device", "From a monitor"


class VitalReading(models.Model):
    """One set of vital signs and scores at one time. Never changed: corrected by a new row."""

    # No index of its own: `reading_session_time` (session, -taken_at) serves every lookup by
    # session, and one index fewer to update on each of a monitor's many inserts.
    session = models.ForeignKey(
        TreatmentSession, on_delete=models.CASCADE, related_name="readings", db_index=False
    )
    phase = models.CharField(
        max_length=10, choices=ReadingPhase.choices, default=ReadingPhase.DURING
    )
    taken_at = models.DateTimeField(default=timezone.now)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = _who("recorded by")
    systolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    spo2_pct = models.PositiveSmallIntegerField(null=True, blank=True)
    resp_rate_per_min = models.PositiveSmallIntegerField(null=True, blank=True)
    temperature_c = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    moaas = models.PositiveSmallIntegerField("MOAA/S", null=True, blank=True)
    cadss6 = models.PositiveSmallIntegerField("CADSS-6", null=True, blank=True)
    source = models.CharField(
        max_length=8, choices=ReadingSource.choices, default=ReadingSource.MANUAL
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    correction_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["session", "taken_at", "pk"]
        indexes = [
            models.Index(fields=["session", "-taken_at"], name="reading_session_time"),
            # The newest sedation score, dissociation score and pre-dose reading of a session
            # (`readings.standing_readings`, on every stored reading): without these, a session
            # fed by a monitor that sends neither score is read to its first row each time.
            models.Index(
                fields=["session", "-taken_at"],
                condition=models.Q(moaas__isnull=False),
                name="reading_session_moaas",
            ),
            models.Index(
                fields=["session", "-taken_at"],
                condition=models.Q(cadss6__isnull=False),
                name="reading_session_cadss6",
            ),
            models.Index(
                fields=["session", "-taken_at"],
                condition=models.Q(phase="pre_dose"),
                name="reading_session_pre_dose",
            ),
            # The same for the newest respiratory rate and temperature (discharge judges every
            # sign's newest value): many monitors send neither. Heart rate and SpO2 come in
            # nearly every monitor message, so their newest is found a few rows back without one.
            models.Index(
                fields=["session", "-taken_at"],
                condition=models.Q(resp_rate_per_min__isnull=False),
                name="reading_session_rr",
            ),
            models.Index(
                fields=["session", "-taken_at"],
                condition=models.Q(temperature_c__isnull=False),
                name="reading_session_temp",
            ),
        ]

    def __str__(self) -> str:
        return f"reading {self.pk} at {self.taken_at:%H:%M}"

    @property
    def bp(self) -> str:
        if self.systolic_mmhg is None:
            return ""
        return f"{self.systolic_mmhg}/{self.diastolic_mmhg}"


class AlertAction(models.TextChoices):
    REPEAT_5MIN = ALERT_ACTIONS[0]
    PAUSE_INFUSION = ALERT_ACTIONS[1]
    NOTIFY_PRESCRIBER = ALERT_ACTIONS[2]
    TREAT = ALERT_ACTIONS[3]
    STOP = ALERT_ACTIONS[4]
    NONE_NEEDED = ALERT_ACTIONS[5]


class SessionAlert(models.Model):
    """An alert a reading raised; open until acknowledged with the action taken.

    While it is open, later readings raising the same code at the same or a lower level
    repeat it instead of raising another (`readings.store_readings`): `reading` stays the
    first, `raised_at` the escalation clock's start; `repeat_count`, `last_reading` and
    `last_value_at` follow the newest, and `message` shows its value."""

    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="alerts")
    reading = models.ForeignKey(
        VitalReading, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    code = models.CharField(max_length=40)
    level = models.CharField(max_length=10)
    field = models.CharField(max_length=40, blank=True)
    message = models.TextField()
    source = models.CharField(max_length=200, blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = _who("acknowledged by")
    action = models.CharField(max_length=20, choices=AlertAction.choices, blank=True)
    note = models.TextField(blank=True)
    # The limits that raised it (treatments.limits), kept with the alert.
    limits_used = models.JSONField(default=dict, blank=True)
    # "Vitals overdue": the due time it is about (one alert per session and due time).
    due_at = models.DateTimeField(null=True, blank=True)
    # Escalated to the prescriber on duty when not acknowledged in time (claimed once).
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = _who("escalated to")
    # Readings that repeated it while open (0: only the first), and the newest of them.
    repeat_count = models.PositiveIntegerField(default=0)
    last_reading = models.ForeignKey(
        VitalReading, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_value_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "raised_at", "pk"]
        indexes = [
            models.Index(fields=["session", "acknowledged_at"], name="alert_session_open"),
            models.Index(
                fields=["raised_at"],
                condition=models.Q(acknowledged_at__isnull=True, escalated_at__isnull=True),
                name="alert_unescalated",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "code", "due_at"], name="alert_one_per_due_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.level})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class DoseRecord(models.Model):
    """The dose given at a session: what, how much (calculated and given), when."""

    session = models.OneToOneField(TreatmentSession, on_delete=models.PROTECT, related_name="dose")
    drug = models.CharField(max_length=120)
    concentration_mg_per_ml = models.DecimalField(
        max_digits=8, decimal_places=3, null=True, blank=True
    )
    lot_number = models.CharField(max_length=60)
    expiry = models.DateField()
    calculated_mg = models.DecimalField(max_digits=8, decimal_places=2)
    formula = models.JSONField(default=list)  # the working, one line a step, as shown then
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    # What was given: for esketamine 28 mg for each device recorded; for an infusion stopped
    # early, the amount the nurse recorded at the stop. `intended_mg` is the dose set to be
    # given when dosing started (null on rows from before it was kept).
    given_mg = models.DecimalField(max_digits=8, decimal_places=2)
    intended_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    deviation_reason = models.TextField(blank=True)
    route = models.CharField(max_length=40)
    devices_planned = models.PositiveSmallIntegerField(null=True, blank=True)
    device_interval_min = models.PositiveSmallIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    recorded_by = _who("recorded by")
    drug_lot = models.ForeignKey(
        "treatments.DrugLot", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.drug} {self.given_mg} mg"


class DeviceAdministration(models.Model):
    """One 28 mg esketamine device, self-administered under observation."""

    dose = models.ForeignKey(DoseRecord, on_delete=models.PROTECT, related_name="devices")
    number = models.PositiveSmallIntegerField()
    given_at = models.DateTimeField()
    recorded_by = _who("recorded by")

    class Meta:
        ordering = ["dose", "number"]
        constraints = [
            models.UniqueConstraint(fields=["dose", "number"], name="device_unique_number")
        ]

    def __str__(self) -> str:
        return f"device {self.number} at {self.given_at:%H:%M}"


from ketacare.treatments.models_chair import (  # noqa: E402, F401  (models live there)
    InfusionEvent,
    SessionAddendum,
    SessionSignature,
    SideEffect,
)

# Clinic limits and staff notices live in their own module (imported so Django sees them).
from ketacare.treatments.models_monitoring import (  # noqa: E402
    ClinicMonitoringSettings as ClinicMonitoringSettings,
)
from ketacare.treatments.models_monitoring import StaffNotice as StaffNotice  # noqa: E402
from ketacare.treatments.models_rems import RemsMonitoringForm  # noqa: E402, F401
from ketacare.treatments.models_substances import (  # noqa: E402, F401
    DrugLot,
    SubstanceEntry,
)
