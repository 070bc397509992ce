"""Forms for flags (manual flag, acknowledgment, resolution) and the clinic's safety
settings."""

from __future__ import annotations

from datetime import time
from typing import Any

from django import forms

from ketacare.accounts.models import Clinic, User
from ketacare.accounts.permissions import MATRIX, Perm
from ketacare.safety.escalation import ACK_ACTIONS
from ketacare.safety.escalation_models import WEEKDAYS, OnCallOverride, OnCallSlot, SafetySettings
from ketacare.safety.models import RiskLevel
from ketacare.safety.resolve import NOTE_MAX_CHARS
from ketacare.safety.resources import parse_extra_lines


def clinic_staff(clinic: Clinic) -> Any:
    return User.objects.filter(
        is_active=True, memberships__clinic=clinic, memberships__is_active=True
    ).order_by("full_name", "email")


# Who may be paged about a flag: only people who can acknowledge it. Paging the front desk
# or the admin at 2 a.m. spends a whole escalation interval on someone who cannot act.
PAGEABLE_ROLES = sorted(MATRIX[Perm.SAFETY_FLAG_ACKNOWLEDGE])
PAGEABLE_HINT = (
    "choose a clinician who can acknowledge risk flags (prescriber, nurse, therapist or director)"
)


def clinic_clinicians(clinic: Clinic) -> Any:
    """Staff of the clinic who may acknowledge risk flags (the on-call rota, the escalation
    list and the director are chosen among them)."""
    return User.objects.filter(
        is_active=True,
        memberships__clinic=clinic,
        memberships__is_active=True,
        memberships__role__in=PAGEABLE_ROLES,
    ).order_by("full_name", "email")


class ManualFlagForm(forms.Form):
    level = forms.ChoiceField(choices=RiskLevel.choices, widget=forms.RadioSelect)
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you saw or heard, in a sentence or two.",
    )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data["reason"]).strip()
        if not reason:
            raise forms.ValidationError("Say why you are raising this flag.")
        return reason


class AcknowledgeForm(forms.Form):
    action = forms.ChoiceField(label="Action taken", choices=ACK_ACTIONS, widget=forms.RadioSelect)
    note = forms.CharField(
        label="What you did",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Who you spoke to, when, and what was agreed (a few words at least).",
    )


class ActionCheckedText(forms.CharField):
    """Marked required on the page, but a blank value is the action's to refuse: it checks
    the flag first (not acknowledged, crisis record, already resolved), then the note."""

    def validate(self, value: Any) -> None:
        return None


class ResolveForm(forms.Form):
    """Parses only; `resolve.do_resolve_flag` validates (its messages name the field)."""

    resolution_note = ActionCheckedText(
        label="Resolution note",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": NOTE_MAX_CHARS}),
        help_text="Why the flag can close: what was done, the screen's result, what was agreed.",
    )


class SafetySettingsForm(forms.ModelForm):
    business_days = forms.MultipleChoiceField(
        choices=[(str(d), name) for d, name in WEEKDAYS],
        widget=forms.CheckboxSelectMultiple,
        help_text="A low flag escalates on the next of these days.",
    )

    class Meta:
        model = SafetySettings
        fields = [
            "country",
            "crisis_phone",
            "hours",
            "extra_lines",
            "high_minutes",
            "moderate_minutes",
            "low_time",
            "business_days",
            "director",
        ]
        labels = {
            "high_minutes": "High: minutes before the next person",
            "moderate_minutes": "Moderate: minutes before the next person",
            "low_time": "Low: time on the next business day",
            "crisis_phone": "Clinic crisis number",
            "hours": "Hours that number is answered",
        }
        widgets = {
            "extra_lines": forms.Textarea(attrs={"rows": 3}),
            "low_time": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["director"].queryset = clinic_clinicians(clinic)  # type: ignore[attr-defined]
        self.fields["director"].error_messages["invalid_choice"] = PAGEABLE_HINT.capitalize() + "."
        self.fields["high_minutes"].widget.attrs.update({"min": 1, "max": 1440})
        self.fields["moderate_minutes"].widget.attrs.update({"min": 1, "max": 10080})
        if not self.is_bound:
            self.initial["business_days"] = list(self.instance.business_days)

    def clean_country(self) -> str:
        country = str(self.cleaned_data["country"]).strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise forms.ValidationError("Use the two-letter country code, e.g. US.")
        return country

    def clean_high_minutes(self) -> int:
        value = int(self.cleaned_data["high_minutes"])
        if not 1 <= value <= 1440:
            raise forms.ValidationError("Between 1 and 1440 minutes.")
        return value

    def clean_moderate_minutes(self) -> int:
        value = int(self.cleaned_data["moderate_minutes"])
        if not 1 <= value <= 10080:
            raise forms.ValidationError("Between 1 and 10080 minutes (a week).")
        return value

    def clean_business_days(self) -> str:
        return "".join(sorted(set(self.cleaned_data["business_days"])))

    def clean_extra_lines(self) -> str:
        text = str(self.cleaned_data["extra_lines"])
        try:
            parse_extra_lines(text)
        except ValueError as problem:
            raise forms.ValidationError(str(problem)) from problem
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("country") and data["country"] != "US" and not data.get("extra_lines"):
            self.add_error(
                "extra_lines",
                "Outside the US the built-in 988 and 911 lines are not shown: enter your "
                "country's crisis and emergency lines here.",
            )
        return data


class OnCallSlotForm(forms.ModelForm):
    class Meta:
        model = OnCallSlot
        fields = ["weekday", "starts", "ends", "user"]
        labels = {"user": "Who"}
        widgets = {
            "starts": forms.TimeInput(attrs={"type": "time"}),
            "ends": forms.TimeInput(attrs={"type": "time"}),
        }
        help_texts = {"ends": "At or before the start: runs past midnight."}

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = clinic_clinicians(clinic)  # type: ignore[attr-defined]
        self.fields["user"].error_messages["invalid_choice"] = PAGEABLE_HINT.capitalize() + "."


class OnCallOverrideForm(forms.ModelForm):
    class Meta:
        model = OnCallOverride
        fields = ["on_date", "starts", "ends", "user", "note"]
        labels = {"on_date": "Date", "user": "Who"}
        widgets = {
            "on_date": forms.DateInput(attrs={"type": "date"}),
            "starts": forms.TimeInput(attrs={"type": "time"}),
            "ends": forms.TimeInput(attrs={"type": "time"}),
        }

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = clinic_clinicians(clinic)  # type: ignore[attr-defined]
        self.fields["user"].error_messages["invalid_choice"] = PAGEABLE_HINT.capitalize() + "."

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts"), data.get("ends")
        # 00:00 as the end is midnight at the end of the date (18:00–00:00, the evening half
        # of a swapped night shift); `rota.on_call_at` reads it so.
        if starts is not None and ends is not None and ends < starts and ends != time(0):
            self.add_error(
                "ends",
                "An override covers its own date: end after the start (00:00 = midnight).",
            )
        return data
