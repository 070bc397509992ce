"""Forms of the crisis record and the dosing block. They only parse; the actions validate."""

from __future__ import annotations

from django import forms

from ketacare.clinical.crisis_rules import Disposition

WHEN = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _when(label: str, required: bool = False, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        input_formats=WHEN,
        help_text=help_text,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class OpenCrisisForm(forms.Form):
    reason = forms.CharField(label="Why", widget=forms.Textarea(attrs={"rows": 2}))


class StepForm(forms.Form):
    """Every step's fields; which are needed depends on the step (the action says)."""

    who = forms.CharField(max_length=200, required=False)
    method = forms.CharField(max_length=60, required=False)
    occurred_at = _when("When", help_text="Blank: now.")
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    assessment = forms.CharField(required=False)
    disposition = forms.ChoiceField(
        required=False,
        choices=[
            ("", "—"),
            (Disposition.EMERGENCY_TRANSFER.value, "Emergency transfer"),
            (Disposition.VOLUNTARY_ADMISSION.value, "Voluntary admission"),
            (Disposition.OUTPATIENT.value, "Outpatient with safety plan and follow-up"),
        ],
    )
    follow_up_at = _when("Follow-up", help_text="Outpatient: 24–72 hours after the disposition.")


class CloseForm(forms.Form):
    summary = forms.CharField(label="Close-out summary", widget=forms.Textarea(attrs={"rows": 3}))


class AddendumForm(forms.Form):
    note = forms.CharField(label="Addendum", widget=forms.Textarea(attrs={"rows": 2}))


class ClearBlockForm(forms.Form):
    reason = forms.CharField(
        label="Documented reason dosing may resume", widget=forms.Textarea(attrs={"rows": 2})
    )
