"""Validation for the patient record. Pages, the JSON API and FHIR all validate through these."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.clinical.anthropometry import check_height, check_weight, weight_change_to_confirm
from ketacare.patients.icd import CodeProblem, lookup
from ketacare.patients.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    DiagnosisStatus,
    Patient,
    normalise,
)

PHONE_PATTERN = re.compile(r"^\+?[0-9 ()\-.]{7,20}$")
OLDEST_PLAUSIBLE_AGE = 120


def clean_phone(value: str) -> str:
    value = value.strip()
    if value and not PHONE_PATTERN.match(value):
        raise forms.ValidationError(
            "Enter a phone number of 7–20 digits; spaces, dashes, brackets and a leading + "
            "are allowed."
        )
    return value


class DateInput(forms.DateInput):
    input_type = "date"


CONFIRM_DUPLICATE_LABEL = "Register anyway (a different person)"


def same_name_and_birth(clinic: Clinic, given: str, family: str, born: date) -> Patient | None:
    """The clinic's patient with this legal name (case and accents aside) and date of birth."""
    wanted = (normalise(given), normalise(family))
    for patient in clinic.patients.filter(birth_date=born).order_by("mrn"):
        if (normalise(patient.legal_given_name), normalise(patient.legal_family_name)) == wanted:
            return patient
    return None


def duplicate_message(patient: Patient) -> str:
    return (
        "A patient with this name and date of birth already exists: "
        f"{patient.display_name}, MRN {patient.mrn}."
    )


def is_ticked(value: object) -> bool:
    return str(value).lower() in ("on", "true", "1")


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "legal_given_name",
            "legal_family_name",
            "preferred_name",
            "pronouns",
            "birth_date",
            "sex_at_birth",
            "gender_identity",
            "phone",
            "email",
            "preferred_contact",
            "address_line",
            "city",
            "region",
            "postal_code",
            "country",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
        ]
        widgets = {"birth_date": DateInput()}
        labels = {"birth_date": "Date of birth", "region": "State / region"}
        help_texts = {
            "phone": "Needed when phone or text message is the preferred contact.",
            "preferred_name": "What the patient likes to be called, if not the legal first name.",
        }

    def __init__(self, *args: Any, clinic: Clinic | None = None, **kwargs: Any) -> None:
        """`clinic`: registering in that clinic, so a patient of the same legal name and date
        of birth there needs `confirm_duplicate` (the "Register anyway" checkbox, shown with
        the question). The API asks the same question itself (a 409)."""
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        # The clinic's patient of the same legal name and birth date, once the form asked.
        self.twin: Patient | None = None

    # What the question offers besides "Register anyway"; a page with another way out says so.
    twin_instead = "Open their chart instead"

    def clean_legal_given_name(self) -> str:
        return _required_text(self.cleaned_data["legal_given_name"])

    def clean_legal_family_name(self) -> str:
        return _required_text(self.cleaned_data["legal_family_name"])

    def clean_birth_date(self) -> date:
        born: date = self.cleaned_data["birth_date"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError("Date of birth cannot be in the future.")
        if today.year - born.year > OLDEST_PLAUSIBLE_AGE:
            raise forms.ValidationError(
                f"Date of birth gives an age over {OLDEST_PLAUSIBLE_AGE}; check the year."
            )
        return born

    def clean_phone(self) -> str:
        return clean_phone(self.cleaned_data["phone"])

    def clean_emergency_contact_phone(self) -> str:
        return clean_phone(self.cleaned_data["emergency_contact_phone"])

    def clean_country(self) -> str:
        country = self.cleaned_data["country"].strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", country):
            raise forms.ValidationError("Use the two-letter country code (e.g. US).")
        return country

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("preferred_contact") == "email" and not data.get("email"):
            self.add_error(
                "email", "An email address is needed when email is the preferred contact."
            )
        if (
            data.get("preferred_contact") in {"phone", "sms"}
            and not data.get("phone")
            and ("phone" not in self.errors)
        ):
            self.add_error("phone", "A phone number is needed when phone or text is preferred.")
        if self.clinic is not None and self.instance._state.adding:
            self._ask_about_twin(data)
        return data

    def _ask_about_twin(self, data: dict[str, Any]) -> None:
        given, family = data.get("legal_given_name"), data.get("legal_family_name")
        born = data.get("birth_date")
        if not (given and family and born) or is_ticked(self.data.get("confirm_duplicate", "")):
            return
        assert self.clinic is not None
        twin = same_name_and_birth(self.clinic, given, family, born)
        if twin is None:
            return
        self.twin = twin
        self.fields["confirm_duplicate"] = forms.BooleanField(
            required=False, label=CONFIRM_DUPLICATE_LABEL
        )
        self.add_error(
            "confirm_duplicate",
            f"{duplicate_message(twin)} {self.twin_instead}, or tick “{CONFIRM_DUPLICATE_LABEL}”.",
        )


def before_birth(what: str, patient: Patient) -> str:
    """The refusal of a date before the patient's birth, naming `what` in the page's words."""
    # A date before birth is a typing slip (a wrong year), never history to keep.
    return (
        f"{what} cannot be before the patient's date of birth "
        f"({patient.birth_date:%d %b %Y}); check the year."
    )


def _required_text(value: str) -> str:
    value = value.strip()
    if not value:
        raise forms.ValidationError("This field is required.")
    return value


class DiagnosisForm(forms.ModelForm):
    icd10_code = forms.CharField(label="ICD-10-CM code", max_length=10)

    class Meta:
        model = Diagnosis
        fields = ["icd10_code", "status", "is_primary", "treatment_resistant", "onset_date", "note"]
        widgets = {"onset_date": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, patient: Patient | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_icd10_code(self) -> str:
        try:
            code, description = lookup(self.cleaned_data["icd10_code"])
        except CodeProblem as problem:
            raise forms.ValidationError(str(problem)) from problem
        self.instance.display = description
        return code

    def clean_onset_date(self) -> date | None:
        onset = self.cleaned_data.get("onset_date")
        if onset and onset > timezone.localdate():
            raise forms.ValidationError("Onset cannot be in the future.")
        if onset and self.patient is not None and onset < self.patient.birth_date:
            raise forms.ValidationError(before_birth("Onset", self.patient))
        return onset


class DiagnosisStatusForm(forms.Form):
    """The status select beside each diagnosis on the chart."""

    status = forms.ChoiceField(
        choices=DiagnosisStatus.choices,
        error_messages={
            "required": "Choose a status.",
            "invalid_choice": "“%(value)s” is not a status; choose "
            + ", ".join(str(label) for _, label in DiagnosisStatus.choices)
            + ".",
        },
    )


class AllergyForm(forms.ModelForm):
    class Meta:
        model = Allergy
        fields = ["substance", "category", "reaction", "severity"]

    def clean_substance(self) -> str:
        return _required_text(self.cleaned_data["substance"])


class MeasurementForm(forms.ModelForm):
    measured_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Leave empty for now.",
    )

    class Meta:
        model = BodyMeasurement
        fields = ["weight_kg", "height_cm", "measured_at", "note"]
        labels = {"weight_kg": "Weight (kg)", "height_cm": "Height (cm)"}

    def __init__(self, *args: Any, patient: Patient | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean(self) -> dict[str, Any]:
        """A weight far from the patient's last one needs `confirm_weight` (a checkbox shown
        with the question; `confirm_weight: true` in the API)."""
        cleaned = super().clean() or self.cleaned_data
        weight = cleaned.get("weight_kg")
        if weight is None or self.patient is None or self.patient.pk is None:
            return cleaned
        previous = (
            BodyMeasurement.objects.filter(patient=self.patient)
            .order_by("-measured_at", "-pk")
            .values_list("weight_kg", flat=True)
            .first()
        )
        problem = weight_change_to_confirm(weight, previous)
        confirmed = str(self.data.get("confirm_weight", "")).lower() in ("on", "true", "1")
        if problem and not confirmed:
            # The question goes right under the weight it is about.
            confirm = forms.BooleanField(required=False, label=f"Yes, {weight} kg is right")
            ordered: dict[str, forms.Field] = {}
            for name, field in self.fields.items():
                ordered[name] = field
                if name == "weight_kg":
                    ordered["confirm_weight"] = confirm
            self.fields = ordered
            self.add_error("weight_kg", problem)
        return cleaned

    def clean_weight_kg(self) -> Decimal:
        weight: Decimal = self.cleaned_data["weight_kg"]
        problem = check_weight(weight)
        if problem:
            raise forms.ValidationError(problem)
        return weight

    def clean_height_cm(self) -> Decimal | None:
        height: Decimal | None = self.cleaned_data.get("height_cm")
        if height is not None:
            problem = check_height(height)
            if problem:
                raise forms.ValidationError(problem)
        return height

    def clean_measured_at(self) -> Any:
        when = self.cleaned_data.get("measured_at") or timezone.now()
        if when > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError("A measurement cannot be in the future.")
        if self.patient is not None and self.patient.pk is not None:
            zone = timezone.get_current_timezone()
            if when.astimezone(zone).date() < self.patient.birth_date:
                raise forms.ValidationError(before_birth("A measurement", self.patient))
        return when


class PatientSearchForm(forms.Form):
    q = forms.CharField(label="Name or MRN", required=False, max_length=100)
    birth_date = forms.DateField(label="Date of birth", required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["q"] = (data.get("q") or "").strip()
        return data


def first_error(form: forms.BaseForm) -> tuple[str, str]:
    """(field, message) of the first problem — the shape the APIs report."""
    for field, errors in form.errors.items():
        return field, str(errors[0])
    return "", ""
