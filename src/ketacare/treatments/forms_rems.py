"""Forms of the REMS monitoring form page: one input per field the record lacks, and the
submission. Parsing only; the rules are in `rems_actions`."""

from __future__ import annotations

from typing import Any

from django import forms

from ketacare.treatments.models_rems import RemsSubmitMethod
from ketacare.treatments.rems_form import BP, INTEGER, NO, YES, YESNO, FormField

SEEN = "__seen"


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
            # What the page showed for this field when it was opened: a value saved meanwhile by
            # someone else is neither cleared nor silently overwritten (rems_actions).
            self.fields[f"{f.code}{SEEN}"] = forms.CharField(
                required=False, widget=forms.HiddenInput, initial=initial or ""
            )

    def values(self) -> dict[str, Any]:
        return {
            name: self.cleaned_data.get(name) or ""
            for name in self.fields
            if not name.endswith(SEEN)
        }

    def seen(self) -> dict[str, str]:
        """What the page showed, for the fields whose shown value came back with the post."""
        return {
            name.removesuffix(SEEN): self.cleaned_data.get(name) or ""
            for name in self.fields
            if name.endswith(SEEN) and name in self.data
        }

    def show_current(self, code: str, current: str) -> None:
        """After a conflict, the page shows what is stored now as the value seen."""
        if self.is_bound and f"{code}{SEEN}" in self.fields:
            # Every field of this form takes one value, so a plain dict holds the post.
            self.data = {**self.data, f"{code}{SEEN}": current}


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
