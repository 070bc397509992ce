"""Forms of the REMS monitoring form page: one input per field the record lacks, and the
submission. Parsing only; the rules are in `rems_actions`."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.treatments.models_rems import RemsSubmitMethod
from ketacare.treatments.rems_form import BP, INTEGER, NO, YES, YESNO, FormField


class EntriesForm(forms.Form):
    def __init__(self, *args: Any, fields: list[FormField], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for f in fields:
            initial = f.value if f.entered else None
            if f.kind == YESNO:
                field: forms.Field = forms.ChoiceField(
                    choices=[(YES, YES), (NO, NO)], widget=forms.RadioSelect, required=False
                )
            elif f.kind == INTEGER:
                field = forms.CharField(
                    required=False,
                    widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
                    help_text="Whole minutes.",
                )
            elif f.kind == BP:
                field = forms.CharField(
                    required=False,
                    max_length=200,
                    widget=forms.TextInput(attrs={"placeholder": "e.g. 138/86 at 10:42"}),
                )
            else:
                field = forms.CharField(
                    required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
                )
            field.label = f.label
            field.initial = initial
            self.fields[f.code] = field

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) or "" for name in self.fields}


class SubmitForm(forms.Form):
    submitted_on = forms.DateField(
        label="Date submitted", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    method = forms.ChoiceField(
        label="Sent", choices=RemsSubmitMethod.choices, widget=forms.RadioSelect, required=False
    )
    confirmation = forms.CharField(
        label="Confirmation number (optional)", max_length=80, required=False
    )
