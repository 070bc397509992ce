"""Forms for aftercare pages. Every field names itself in its error."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from typing import Any

from django import forms

from ketacare.aftercare.models import (
    GOAL_KIND_CHOICES,
    AftercareSettings,
    NoteKind,
    RiskAnswer,
)
from ketacare.clinical.habits import sleep_minutes

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class IntegrationNoteForm(forms.Form):
    kind = forms.ChoiceField(label="Session", choices=NoteKind.choices)
    held_on = forms.DateField(label="Held on", widget=forms.DateInput(attrs={"type": "date"}))
    appointment = forms.ChoiceField(label="Appointment", required=False)
    treatment_sessions = forms.MultipleChoiceField(
        label="Dosing sessions it prepares or integrates",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    intentions = forms.CharField(
        label="Intentions set before dosing", required=False, widget=TEXTAREA, max_length=4000
    )
    themes = forms.CharField(
        label="Experience themes", required=False, widget=TEXTAREA, max_length=4000
    )
    insights = forms.CharField(label="Insights", required=False, widget=TEXTAREA, max_length=4000)
    homework = forms.CharField(label="Homework", required=False, widget=TEXTAREA, max_length=4000)
    risk = forms.ChoiceField(
        label="Risk check: thoughts of suicide or self-harm since the last session?",
        choices=RiskAnswer.choices,
        widget=forms.RadioSelect,
    )
    risk_note = forms.CharField(
        label="Risk details", required=False, widget=TEXTAREA, max_length=2000
    )

    def __init__(
        self,
        *args: Any,
        appointments: list[tuple[str, str]],
        sessions: list[tuple[str, str]],
        today: date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if today is not None:  # the date picker offers no later day (the action refuses it)
            self.fields["held_on"].widget.attrs["max"] = today.isoformat()
        self.fields["appointment"].choices = [("", "— none —"), *appointments]  # type: ignore[attr-defined]  # ChoiceField
        self.fields["treatment_sessions"].choices = sessions  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("risk") in (RiskAnswer.CONCERN, RiskAnswer.URGENT) and not data.get(
            "risk_note"
        ):
            self.add_error("risk_note", "Describe what the patient reported.")
        return data


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        widget=TEXTAREA,
        max_length=4000,
        error_messages={"required": "Write the addendum."},
    )


class TaskForm(forms.Form):
    assigned_to = forms.ChoiceField(label="Assign to", required=False)
    done_note = forms.CharField(
        label="Note (what you decided)", required=False, widget=TEXTAREA, max_length=4000
    )

    def __init__(self, *args: Any, staff: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].choices = [("", "— nobody —"), *staff]  # type: ignore[attr-defined]


class HabitLogForm(forms.Form):
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    bed_time = forms.TimeField(
        label="Went to bed", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    wake_time = forms.TimeField(
        label="Woke up", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    active_minutes = forms.IntegerField(
        label="Active minutes",
        required=False,
        min_value=0,
        max_value=1440,
        error_messages={"max_value": "At most 1440: a day has 1440 minutes."},
    )
    activity_kind = forms.CharField(label="Kind of activity", required=False, max_length=60)
    drinks = forms.DecimalField(
        label="Standard drinks",
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("60"),
        max_digits=4,
        decimal_places=1,
    )
    therapy = forms.NullBooleanField(
        label="Therapy session today",
        required=False,
        widget=forms.Select(choices=[("unknown", "—"), ("true", "Yes"), ("false", "No")]),
    )
    note = forms.CharField(label="Note", required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Cross-field checks only look at fields that were read without error: a value refused
        # on its own (out of range, not a time) is absent from `data`, and reporting it again
        # as "missing" would contradict the real error on the same field.
        bed: time | None = data.get("bed_time")
        wake: time | None = data.get("wake_time")
        times_read = not ({"bed_time", "wake_time"} & self.errors.keys())
        if (bed is None) != (wake is None) and times_read:
            missing = "wake_time" if wake is None else "bed_time"
            self.add_error(missing, "Give both bed and wake times, or neither.")
        elif bed is not None and wake is not None:
            try:
                sleep_minutes(bed, wake)
            except ValueError as exc:
                self.add_error("wake_time", str(exc).split(": ", 1)[-1])
        if (
            data.get("activity_kind")
            and data.get("active_minutes") is None
            and "active_minutes" not in self.errors
        ):
            self.add_error("active_minutes", "How many minutes of this activity?")
        return data


class HabitGoalForm(forms.Form):
    kind = forms.ChoiceField(label="Goal", choices=GOAL_KIND_CHOICES)
    target = forms.IntegerField(label="Target", min_value=0, max_value=10080)
    starts_on = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="Note", required=False, max_length=300)


class AftercareSettingsForm(forms.ModelForm):
    class Meta:
        model = AftercareSettings
        fields = [
            "integration_gap_days",
            "booster_rise_pct",
            "alcohol_limit_drinks",
            "alcohol_window_days",
        ]
