"""The patient record: demographics, coded diagnoses, allergies, and body measurements."""

from __future__ import annotations

import unicodedata
import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.clinical.anthropometry import bmi


class SexAtBirth(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown / not recorded"


class ContactMethod(models.TextChoices):
    PHONE = "phone", "Phone"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"


def normalise(text: str) -> str:
    """Lower-case, accent-free text used for name search ('José' is found by 'jose')."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().strip()


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    mrn = models.CharField("MRN", max_length=20)

    legal_given_name = models.CharField(max_length=100)
    legal_family_name = models.CharField(max_length=100)
    preferred_name = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)
    birth_date = models.DateField()
    sex_at_birth = models.CharField(max_length=10, choices=SexAtBirth.choices)
    gender_identity = models.CharField(max_length=60, blank=True)

    phone = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    preferred_contact = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    address_line = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField("state / region", max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")

    emergency_contact_name = models.CharField(max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)

    no_known_allergies = models.BooleanField(
        default=False, help_text="Allergies were reviewed and the patient reports none."
    )

    search_name = models.CharField(max_length=320, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["legal_family_name", "legal_given_name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="mrn_unique_per_clinic"),
        ]
        # The patient list and every search are ordered by family name, given name, MRN. Both
        # indexes end in that order, so a page of 25 is read in order instead of sorting the
        # clinic, and SQLite (no planner statistics unless ANALYZE runs) picks them by shape.
        # search_name rides along so a name search (LIKE '%…%', which no b-tree can seek)
        # filters and counts index entries instead of fetching every patient row.
        indexes = [
            models.Index(
                fields=["clinic", "legal_family_name", "legal_given_name", "mrn", "search_name"],
                name="patient_clinic_sorted",
            ),
            models.Index(
                fields=["clinic", "birth_date", "legal_family_name", "legal_given_name", "mrn"],
                name="patient_clinic_dob_sorted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.mrn})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.search_name = normalise(
            f"{self.legal_family_name} {self.legal_given_name} {self.preferred_name}"
        )
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def display_name(self) -> str:
        """Family, given ("preferred") — the form a chart header uses."""
        name = f"{self.legal_family_name}, {self.legal_given_name}"
        if self.preferred_name and self.preferred_name != self.legal_given_name:
            name += f" “{self.preferred_name}”"
        return name

    def age_on(self, day: object = None) -> int:
        today = day or timezone.localdate()
        born = self.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))  # type: ignore[attr-defined]


class DiagnosisStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    REMISSION = "remission", "In remission"
    RESOLVED = "resolved", "Resolved"


class Diagnosis(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="diagnoses")
    icd10_code = models.CharField("ICD-10-CM code", max_length=10)
    display = models.CharField(max_length=255)
    status = models.CharField(
        max_length=12, choices=DiagnosisStatus.choices, default=DiagnosisStatus.ACTIVE
    )
    is_primary = models.BooleanField(default=False)
    # ICD-10-CM has no code for treatment resistance; it is an attribute of the diagnosis
    # (shared/reference/instruments.md §14).
    treatment_resistant = models.BooleanField(default=False)
    onset_date = models.DateField(null=True, blank=True)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_primary", "-recorded_at"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.display}"


class AllergySeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    UNKNOWN = "unknown", "Unknown"


class AllergyCategory(models.TextChoices):
    MEDICATION = "medication", "Medication"
    FOOD = "food", "Food"
    ENVIRONMENT = "environment", "Environment"
    OTHER = "other", "Other"


class Allergy(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(max_length=200)
    category = models.CharField(
        max_length=12, choices=AllergyCategory.choices, default=AllergyCategory.MEDICATION
    )
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(
        max_length=10, choices=AllergySeverity.choices, default=AllergySeverity.UNKNOWN
    )
    is_active = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-is_active", "substance"]
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance


class BodyMeasurement(models.Model):
    """Weight (and height when measured). BMI is derived, never typed in."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="measurements")
    measured_at = models.DateTimeField(default=timezone.now)
    weight_kg = models.DecimalField(max_digits=5, decimal_places=1)
    height_cm = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-measured_at"]
        indexes = [models.Index(fields=["patient", "-measured_at"], name="measure_patient_time")]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_at:%Y-%m-%d}"

    def bmi_with(self, height_cm: Decimal | None) -> Decimal | None:
        height = self.height_cm or height_cm
        if height is None:
            return None
        return bmi(self.weight_kg, height)
