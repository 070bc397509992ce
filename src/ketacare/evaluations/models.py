"""The comprehensive evaluation, its eligibility decision, addenda, consent, REMS enrolment and
the clinic's eligibility policy.

The engine (`clinical.eligibility`) decides; these models store its inputs, the decision *and*
its reasons (findings with sources, the policy it ran under, the engine version). Once an
evaluation is signed, neither it nor its decision, trials or medications change: corrections
are `Addendum` rows pointing at it (architecture.md, "A signed clinical record is immutable").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Patient


# These mirror the engine's enums (Route, Indication, TriState, DrugClass, ...) for forms and
# the database; tests/evaluations check that the values stay the same.
class RouteChoice(models.TextChoices):
    IV_RACEMIC = "iv_racemic", "IV racemic ketamine (off-label)"
    ESKETAMINE_NASAL = "esketamine_nasal", "Esketamine nasal spray (SPRAVATO)"
    IM_RACEMIC = "im_racemic", "IM racemic ketamine (off-label)"
    ORAL_SUBLINGUAL_RACEMIC = "oral_sublingual_racemic", "Oral/sublingual racemic (off-label)"


class IndicationChoice(models.TextChoices):
    TRD = "trd", "Treatment-resistant depression"
    MDD_SUICIDAL_IDEATION = "mdd_suicidal_ideation", "MDD with acute suicidal ideation/behaviour"
    PTSD = "ptsd", "PTSD"
    ANXIETY = "anxiety", "Anxiety disorder"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"
    OTHER = "other", "Other"


class TriStateChoice(models.TextChoices):
    YES = "yes", "Yes"
    NO = "no", "No"
    UNKNOWN = "unknown", "Unknown / not asked"


class DrugClassChoice(models.TextChoices):
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    NON_BENZODIAZEPINE_HYPNOTIC = "non_benzodiazepine_hypnotic", "Non-benzodiazepine hypnotic"
    OPIOID = "opioid", "Opioid"
    STIMULANT = "stimulant", "Stimulant"
    MAOI = "maoi", "MAOI"
    LAMOTRIGINE = "lamotrigine", "Lamotrigine"
    NALTREXONE = "naltrexone", "Naltrexone"
    NASAL_CORTICOSTEROID = "nasal_corticosteroid", "Nasal corticosteroid"
    NASAL_DECONGESTANT = "nasal_decongestant", "Nasal decongestant"
    ANTIDEPRESSANT = "antidepressant", "Antidepressant"
    MOOD_STABILISER = "mood_stabiliser", "Mood stabiliser"
    ANTIPSYCHOTIC = "antipsychotic", "Antipsychotic"
    OTHER = "other", "Other (reviewed, no interaction)"


class ResponseChoice(models.TextChoices):
    NONE = "none", "None (<25%)"
    PARTIAL = "partial", "Partial (25-49%)"
    RESPONSE = "response", "Response (≥50%)"
    REMISSION = "remission", "Remission"
    UNKNOWN = "unknown", "Unknown"


class ReasonStoppedChoice(models.TextChoices):
    INEFFECTIVE = "ineffective", "Ineffective"
    SIDE_EFFECTS = "side_effects", "Side effects"
    PATIENT_CHOICE = "patient_choice", "Patient choice"
    COST_OR_ACCESS = "cost_or_access", "Cost or access"
    STILL_TAKING = "still_taking", "Still taking"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class EvaluationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed"


class Evaluation(models.Model):
    """One comprehensive evaluation (clinical.md §2b) for one intended route."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="evaluations")
    route = models.CharField("intended route", max_length=30, choices=RouteChoice.choices)
    indication = models.CharField(max_length=30, choices=IndicationChoice.choices)
    status = models.CharField(
        max_length=10, choices=EvaluationStatus.choices, default=EvaluationStatus.DRAFT
    )

    psychiatric_history = models.TextField(blank=True)
    current_episode_started_on = models.DateField(null=True, blank=True)
    current_episode_description = models.TextField(blank=True)
    psychotherapy_history = models.TextField(blank=True)

    audit_c_score = models.PositiveSmallIntegerField(
        "AUDIT-C total", null=True, blank=True, help_text="0-12; or administer it on the chart."
    )
    other_substances = models.TextField(blank=True)
    substance_last_used_on = models.DateField("last substance use", null=True, blank=True)

    medical_history = models.JSONField(
        default=list, blank=True, help_text="MEDICAL_HISTORY checklist keys that apply"
    )
    pregnant = models.CharField(
        max_length=10, choices=TriStateChoice.choices, default=TriStateChoice.UNKNOWN
    )
    breastfeeding = models.CharField(
        max_length=10, choices=TriStateChoice.choices, default=TriStateChoice.UNKNOWN
    )
    planning_pregnancy = models.CharField(
        max_length=10, choices=TriStateChoice.choices, default=TriStateChoice.UNKNOWN
    )
    mood_stabiliser_current = models.BooleanField(
        "currently on a mood stabiliser or antipsychotic", default=False
    )
    oral_antidepressant_current = models.BooleanField(
        "currently on an oral antidepressant", default=False
    )
    goals = models.TextField("goals, in the patient's words", blank=True)

    systolic_mmhg = models.PositiveSmallIntegerField("systolic (mmHg)", null=True, blank=True)
    diastolic_mmhg = models.PositiveSmallIntegerField("diastolic (mmHg)", null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField("heart rate (/min)", null=True, blank=True)
    spo2_pct = models.PositiveSmallIntegerField("SpO2 (%)", null=True, blank=True)
    # Copied from the chart's latest body measurement when the evaluation starts.
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_edited_at = models.DateTimeField(default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient", "-created_at"], name="evaluation_patient")]

    def __str__(self) -> str:
        return f"Evaluation {self.pk} ({self.get_route_display()}, {self.status})"

    @property
    def is_signed(self) -> bool:
        return self.status == EvaluationStatus.SIGNED


class AntidepressantTrialRecord(models.Model):
    """A prior antidepressant trial (clinical.md §2a: drug, dose, weeks, response, reason)."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="trials")
    drug = models.CharField(max_length=100)
    dose_mg = models.DecimalField(
        "dose (mg/day)", max_digits=7, decimal_places=2, null=True, blank=True
    )
    weeks_at_dose = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    dose_adequate = models.BooleanField(
        null=True,
        blank=True,
        help_text="Prescriber's judgement: no minimum-dose table is in the reference.",
    )
    in_current_episode = models.BooleanField(default=True)
    improvement_pct = models.DecimalField(
        "improvement (%)", max_digits=5, decimal_places=1, null=True, blank=True
    )
    response = models.CharField(
        max_length=12, choices=ResponseChoice.choices, default=ResponseChoice.UNKNOWN
    )
    reason_stopped = models.CharField(
        max_length=20, choices=ReasonStoppedChoice.choices, default=ReasonStoppedChoice.UNKNOWN
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return self.drug


class CurrentMedication(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(max_length=120)
    drug_class = models.CharField(
        max_length=40,
        choices=DrugClassChoice.choices,
        blank=True,
        help_text="Leave blank to let the interaction check classify it.",
    )
    daily_dose_mg = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return self.name


class DecisionOutcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible"
    ELIGIBLE_WITH_CONDITIONS = "eligible_with_conditions", "Eligible with conditions"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class EligibilityDecision(models.Model):
    """What `clinical.eligibility.decide` returned, with everything needed to re-read it."""

    evaluation = models.OneToOneField(Evaluation, on_delete=models.PROTECT, related_name="decision")
    route = models.CharField(max_length=30, choices=RouteChoice.choices)
    outcome = models.CharField(max_length=30, choices=DecisionOutcome.choices)
    findings = models.JSONField(
        default=list, help_text="[{code, severity, title, detail, source, tag, justification}]"
    )
    summary = models.JSONField(default=list)
    overrides = models.JSONField(default=dict, help_text="{finding code: justification}")
    declined_reason = models.TextField(
        blank=True, help_text="Why the prescriber decided 'not eligible' despite the engine."
    )
    policy_snapshot = models.JSONField(default=dict, help_text="EligibilityPolicy.changes()")
    policy_name = models.CharField(max_length=200, blank=True)
    engine_version = models.CharField(max_length=40)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.get_route_display()})"

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    @property
    def allows_treatment(self) -> bool:
        return self.outcome in (
            DecisionOutcome.ELIGIBLE,
            DecisionOutcome.ELIGIBLE_WITH_CONDITIONS,
        )


class Addendum(models.Model):
    """A correction or note added to a signed evaluation; the original stays as signed."""

    evaluation = models.ForeignKey(Evaluation, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name_plural = "addenda"

    def __str__(self) -> str:
        return f"Addendum {self.pk} to evaluation {self.evaluation_id}"


# Risks the consent discussion covers (clinical.md §2c, §3b; adverse effects of the labels).
CONSENT_RISKS: dict[str, str] = {
    "dissociation": "Dissociation and perceptual changes",
    "sedation": "Sedation",
    "blood_pressure": "Rise in blood pressure",
    "nausea": "Nausea and vomiting",
    "abuse_misuse": "Abuse and misuse potential",
    "suicidality": "Suicidal thoughts: monitoring continues",
    "cognition": "Short-term effects on attention, judgement and thinking",
    "bladder": "Bladder problems (cystitis) with repeated use",
    "no_driving": "No driving or machinery until the next day after a restful sleep",
    "pregnancy": "Unknown effects in pregnancy and breastfeeding",
}


class Consent(models.Model):
    """Informed consent for treatment by one route (one row per signing)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents")
    route = models.CharField(max_length=30, choices=RouteChoice.choices)
    version = models.CharField("consent text version", max_length=40)
    off_label_disclosed = models.BooleanField(
        "off-label use of racemic ketamine disclosed", default=False
    )
    risks_discussed = models.JSONField(default=list)
    patient_signature_name = models.CharField("patient's signature (name)", max_length=200)
    signed_on = models.DateField()
    witness_name = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_on", "-recorded_at"]

    def __str__(self) -> str:
        return f"Consent v{self.version} ({self.get_route_display()}) on {self.signed_on}"


class RemsEnrollment(models.Model):
    """The patient's SPRAVATO REMS enrolment (clinical.md §2c, S6, S7 [REMS])."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="rems")
    rems_patient_id = models.CharField("REMS patient identifier", max_length=60)
    enrolled_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"REMS {self.rems_patient_id} ({self.enrolled_on})"


class ClinicEligibilityPolicy(models.Model):
    """The clinic's changes to the default severities: `EligibilityPolicy.changes()`."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="eligibility")
    changes = models.JSONField(default=dict, help_text="{route: {rule code: severity}}")
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "clinic eligibility policies"

    def __str__(self) -> str:
        return f"Eligibility policy of {self.clinic}"
