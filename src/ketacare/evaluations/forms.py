"""Forms for the evaluation pages. They parse types; the actions apply the clinical checks
(checklist keys, blood-pressure order, ranges, dates) and name the field they refuse."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.clinical.eligibility import MEDICAL_HISTORY
from ketacare.evaluations.models import (
    CONSENT_RISKS,
    AntidepressantTrialRecord,
    CurrentMedication,
    Evaluation,
    IndicationChoice,
    ReasonStoppedChoice,
    ResponseChoice,
    RouteChoice,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
NUMBER = {"inputmode": "numeric"}
DECIMAL = {"inputmode": "decimal"}


def checklist_sections() -> list[tuple[str, list[tuple[str, str]]]]:
    """MEDICAL_HISTORY grouped by section, in catalogue order: [(section, [(key, label)])]."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for key, item in MEDICAL_HISTORY.items():
        sections.setdefault(item.section, []).append((key, item.label))
    return list(sections.items())


class StartForm(forms.Form):
    route = forms.ChoiceField(label="Intended route", choices=RouteChoice.choices)
    indication = forms.ChoiceField(choices=IndicationChoice.choices)


class EvaluationForm(forms.ModelForm[Evaluation]):
    medical_history = forms.MultipleChoiceField(
        choices=[(k, item.label) for k, item in MEDICAL_HISTORY.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Medical history checklist",
    )

    class Meta:
        model = Evaluation
        fields = [
            "indication",
            "psychiatric_history",
            "current_episode_started_on",
            "current_episode_description",
            "psychotherapy_history",
            "audit_c_score",
            "other_substances",
            "substance_last_used_on",
            "medical_history",
            "pregnant",
            "breastfeeding",
            "planning_pregnancy",
            "mood_stabiliser_current",
            "oral_antidepressant_current",
            "goals",
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "spo2_pct",
            "weight_kg",
            "height_cm",
        ]
        widgets = {
            "current_episode_started_on": DATE,
            "substance_last_used_on": DATE,
            "psychiatric_history": forms.Textarea(attrs={"rows": 3}),
            "current_episode_description": forms.Textarea(attrs={"rows": 3}),
            "psychotherapy_history": forms.Textarea(attrs={"rows": 3}),
            "other_substances": forms.Textarea(attrs={"rows": 2}),
            "goals": forms.Textarea(attrs={"rows": 3}),
            "systolic_mmhg": forms.NumberInput(attrs=NUMBER),
            "diastolic_mmhg": forms.NumberInput(attrs=NUMBER),
            "heart_rate_bpm": forms.NumberInput(attrs=NUMBER),
            "spo2_pct": forms.NumberInput(attrs=NUMBER),
            "audit_c_score": forms.NumberInput(attrs=NUMBER),
            "weight_kg": forms.NumberInput(attrs=DECIMAL),
            "height_cm": forms.NumberInput(attrs=DECIMAL),
        }
        labels = {"weight_kg": "Weight (kg)", "height_cm": "Height (cm)"}

    SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
        (
            "Psychiatric history",
            (
                "indication",
                "psychiatric_history",
                "current_episode_started_on",
                "current_episode_description",
                "psychotherapy_history",
            ),
        ),
        ("Substance use", ("audit_c_score", "other_substances", "substance_last_used_on")),
        (
            "Pregnancy and current treatment",
            (
                "pregnant",
                "breastfeeding",
                "planning_pregnancy",
                "mood_stabiliser_current",
                "oral_antidepressant_current",
            ),
        ),
        (
            "Baseline vitals",
            (
                "systolic_mmhg",
                "diastolic_mmhg",
                "heart_rate_bpm",
                "spo2_pct",
                "weight_kg",
                "height_cm",
            ),
        ),
        ("Goals", ("goals",)),
    )

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]


class TrialForm(forms.ModelForm[AntidepressantTrialRecord]):
    dose_adequate = forms.NullBooleanField(
        label="Dose adequate (prescriber's judgement)",
        widget=forms.NullBooleanSelect,
        required=False,
    )

    class Meta:
        model = AntidepressantTrialRecord
        fields = [
            "drug",
            "dose_mg",
            "weeks_at_dose",
            "dose_adequate",
            "in_current_episode",
            "improvement_pct",
            "response",
            "reason_stopped",
        ]
        widgets = {
            "dose_mg": forms.NumberInput(attrs=DECIMAL),
            "weeks_at_dose": forms.NumberInput(attrs=DECIMAL),
            "improvement_pct": forms.NumberInput(attrs=DECIMAL),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Unanswered = unknown: the TRD verdict then says what to record.
        for name in ("response", "reason_stopped"):
            self.fields[name].required = False

    def clean_response(self) -> str:
        return str(self.cleaned_data.get("response") or ResponseChoice.UNKNOWN)

    def clean_reason_stopped(self) -> str:
        return str(self.cleaned_data.get("reason_stopped") or ReasonStoppedChoice.UNKNOWN)


class MedicationForm(forms.ModelForm[CurrentMedication]):
    class Meta:
        model = CurrentMedication
        fields = ["name", "drug_class", "daily_dose_mg"]
        widgets = {"daily_dose_mg": forms.NumberInput(attrs=DECIMAL)}
        labels = {"daily_dose_mg": "Daily dose (mg)"}


class ConsentForm(forms.Form):
    route = forms.ChoiceField(choices=RouteChoice.choices)
    version = forms.CharField(max_length=40, label="Version of the consent text")
    off_label_disclosed = forms.BooleanField(
        required=False,
        label="Off-label use disclosed (racemic ketamine is not approved for this indication)",
    )
    risks_discussed = forms.MultipleChoiceField(
        choices=list(CONSENT_RISKS.items()), widget=forms.CheckboxSelectMultiple
    )
    patient_signature_name = forms.CharField(
        max_length=200, label="Patient's signature (full name as signed)"
    )
    signed_on = forms.DateField(widget=DATE)
    witness_name = forms.CharField(max_length=200, required=False)


class RemsForm(forms.Form):
    rems_patient_id = forms.CharField(max_length=60, label="REMS patient identifier")
    enrolled_on = forms.DateField(widget=DATE, label="Enrolment date")


class AddendumForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), label="Addendum")


def sign_inputs(data: Any) -> tuple[dict[str, str], str]:
    """The justifications ({code: text}) and decline reason posted with the Sign button."""
    overrides = {
        key.removeprefix("justification_"): str(value)
        for key, value in data.items()
        # A blank box is no justification: leave it out rather than report it as one.
        if key.startswith("justification_") and str(value).strip()
    }
    return overrides, str(data.get("declined_reason", ""))
