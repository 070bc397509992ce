"""The safety plan form: the six Stanley–Brown steps in the patient's own words."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.safety.crisis_models import PLAN_FIELDS, REQUIRED_PLAN_FIELDS


class SafetyPlanForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label, help_text in PLAN_FIELDS:
            self.fields[name] = forms.CharField(
                label=label,
                help_text=help_text,
                required=name in REQUIRED_PLAN_FIELDS,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.fields["made_with_patient"] = forms.BooleanField(
            label="Written together with the patient, in their words", required=False
        )
        # The version this form was drawn from (0: none): a save over a newer one is refused.
        self.fields["based_on"] = forms.IntegerField(
            required=False, min_value=0, widget=forms.HiddenInput
        )
        self.fields["review_due_on"] = forms.DateField(
            label="Review due",
            required=False,
            help_text="Blank: in 30 days (clinical.md §16c: review every 30–90 days).",
            widget=forms.DateInput(attrs={"type": "date"}),
        )
