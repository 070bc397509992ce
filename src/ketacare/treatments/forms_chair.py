"""Forms for the rest of the chair record; they parse, the rules live in the action modules."""

from __future__ import annotations

from django import forms

from ketacare.treatments.forms import VitalsForm
from ketacare.treatments.models_chair import InfusionEventKind, Severity, SideEffectCode

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class InfusionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Change", choices=InfusionEventKind.choices, widget=forms.RadioSelect
    )
    rate_ml_per_h = forms.DecimalField(
        label="New rate (mL/h)",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "big-input"}),
    )
    reason = forms.CharField(required=False, max_length=500)


class SideEffectForm(forms.Form):
    code = forms.ChoiceField(
        label="Side effect", choices=SideEffectCode.choices, widget=forms.RadioSelect
    )
    other_text = forms.CharField(label="Other: what", required=False, max_length=200)
    severity = forms.ChoiceField(choices=Severity.choices, widget=forms.RadioSelect)
    onset_at = forms.DateTimeField(
        label="Onset (blank: now)",
        required=False,
        widget=_WHEN,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    intervention_drug = forms.CharField(label="Drug given", required=False, max_length=120)
    intervention_dose = forms.CharField(label="Dose", required=False, max_length=60)
    intervention_at = forms.DateTimeField(
        label="Given at (blank: now)",
        required=False,
        widget=_WHEN,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    note = forms.CharField(required=False, max_length=1000)


class CorrectReadingForm(VitalsForm):
    reading = forms.IntegerField(widget=forms.HiddenInput)
    correction_reason = forms.CharField(label="Why the correction", max_length=500)


class SideEffectErrorForm(forms.Form):
    """Mark one side effect entered in error (`side_effects.do_mark_side_effect_in_error`)."""

    side_effect = forms.IntegerField(widget=forms.HiddenInput)
    error_reason = forms.CharField(
        label="Why it was entered in error",
        max_length=500,
        help_text="E.g. recorded on the wrong patient. The entry is kept, struck through.",
    )


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum", widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
