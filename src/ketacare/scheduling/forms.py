"""Forms of the scheduling pages: they parse; the actions in booking.py and setup.py decide."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import Q, QuerySet

from ketacare.accounts.models import Clinic, User
from ketacare.measures.scheduling import clinic_zone
from ketacare.patients.models import Patient
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.scheduling.conflicts import MAX_APPOINTMENT
from ketacare.scheduling.models import NOTES_MAX_CHARS, AppointmentType, Resource, notes_too_long
from ketacare.scheduling.series import WEEKDAYS, local_datetime

MAX_MINUTES = int(MAX_APPOINTMENT.total_seconds() // 60)
Day = date
# A date more than this far ahead is a typing slip in the year (3026 for 2026), not a plan: no
# course or maintenance schedule is booked years ahead.
MAX_DAYS_AHEAD = 2 * 366


def check_day(day: date, zone: ZoneInfo) -> None:
    """An appointment day before today (on the clinic's clock) or years ahead is refused."""
    today = datetime.now(zone).date()
    if day < today:
        raise forms.ValidationError(
            f"{day:%a %d %b %Y} is in the past; choose today or a later day."
        )
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise forms.ValidationError(
            f"{day:%a %d %b %Y} is more than two years ahead; check the year."
        )


class DateInput(forms.DateInput):
    input_type = "date"


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", **kwargs)


def staff_of(clinic: Clinic) -> QuerySet[User]:
    return User.objects.filter(
        memberships__clinic=clinic, memberships__is_active=True, is_active=True
    ).order_by("full_name")


def resources_of(clinic: Clinic, *, include: Resource | None = None) -> QuerySet[Resource]:
    usable = Q(active=True) if include is None else Q(active=True) | Q(pk=include.pk)
    return Resource.objects.filter(usable, clinic=clinic).order_by("sort_order", "name")


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name)


class ResourceChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        caps = [
            label
            for label, ok in (
                ("IV pump", obj.has_iv_pump),
                ("monitor", obj.has_monitor),
                ("esketamine", obj.esketamine_certified),
            )
            if ok
        ]
        return f"{obj.name} ({', '.join(caps)})" if caps else str(obj.name)


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = [
            "name",
            "kind",
            "has_iv_pump",
            "has_monitor",
            "esketamine_certified",
            "sort_order",
        ]
        labels = {"kind": "Kind", "sort_order": "Position in the day view"}

    def validate_unique(self) -> None:
        pass  # the action names the clash (the form has no clinic)


class ClinicHoursForm(forms.Form):
    def __init__(self, *args: Any, current: dict[int, tuple[time, time]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for weekday, name in enumerate(WEEKDAYS):
            opens, closes = current.get(weekday, (None, None))
            self.fields[f"opens_{weekday}"] = forms.TimeField(
                label=f"{name} opens", required=False, initial=opens, widget=TimeInput()
            )
            self.fields[f"closes_{weekday}"] = forms.TimeField(
                label=f"{name} closes", required=False, initial=closes, widget=TimeInput()
            )

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [(name, self[f"opens_{w}"], self[f"closes_{w}"]) for w, name in enumerate(WEEKDAYS)]

    def hours(self) -> dict[int, tuple[time | None, time | None]]:
        data = self.cleaned_data
        return {w: (data.get(f"opens_{w}"), data.get(f"closes_{w}")) for w in range(7)}


class ClosureForm(forms.Form):
    starts_on = forms.DateField(label="First day closed", widget=DateInput())
    ends_on = forms.DateField(
        label="Last day closed", required=False, widget=DateInput(), help_text="Empty: one day."
    )
    reason = forms.CharField(max_length=200, label="Reason")


class StaffHoursForm(forms.Form):
    user = StaffChoiceField(queryset=User.objects.none(), label="Staff member")
    weekday = forms.TypedChoiceField(choices=list(enumerate(WEEKDAYS)), coerce=int, label="Weekday")
    starts = forms.TimeField(label="From", widget=TimeInput())
    ends = forms.TimeField(label="Until", widget=TimeInput())

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = staff_of(clinic)  # type: ignore[attr-defined]


class ReminderLeadsForm(forms.Form):
    leads = forms.CharField(
        label="Reminder lead times (hours before)",
        help_text="Comma-separated, e.g. 48, 2.",
        max_length=40,
    )

    def clean_leads(self) -> list[int]:
        parts = [p.strip() for p in self.cleaned_data["leads"].split(",") if p.strip()]
        if not parts or not all(p.isdigit() for p in parts):
            raise forms.ValidationError("Whole hours separated by commas, e.g. 48, 2.")
        return [int(p) for p in parts]


class _WhenMixin:
    """date + time + duration in the clinic's zone -> starts_at / ends_at (aware)."""

    zone: ZoneInfo
    cleaned_data: dict[str, Any]

    def when(self) -> tuple[datetime, datetime] | None:
        day, at, minutes = (self.cleaned_data.get(k) for k in ("date", "time", "duration_min"))
        if day is None or at is None or minutes is None:
            return None
        starts = local_datetime(day, at, self.zone)
        return starts, starts + timedelta(minutes=minutes)

    def clean_date(self) -> date:
        day: date = self.cleaned_data["date"]
        check_day(day, self.zone)
        return day


class BookingForm(_WhenMixin, forms.Form):
    type = forms.ChoiceField(choices=AppointmentType.choices, label="Type")
    plan = forms.ModelChoiceField(
        queryset=TreatmentPlan.objects.none(),
        required=False,
        label="Treatment plan",
        help_text="Needed for a treatment session.",
    )
    date = forms.DateField(widget=DateInput(), label="Date")
    time = forms.TimeField(widget=TimeInput(), label="Start time")
    duration_min = forms.IntegerField(
        min_value=5, max_value=MAX_MINUTES, initial=60, label="Duration (minutes)"
    )
    resource = ResourceChoiceField(
        queryset=Resource.objects.none(), required=False, label="Chair or room"
    )
    clinician = StaffChoiceField(queryset=User.objects.none(), required=False, label="Clinician")
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=f"Up to {NOTES_MAX_CHARS:,} characters.",
    )

    def __init__(self, *args: Any, clinic: Clinic, patient: Patient, zone: ZoneInfo, **kw: Any):
        super().__init__(*args, **kw)
        self.zone = zone
        self.fields["plan"].queryset = TreatmentPlan.objects.filter(  # type: ignore[attr-defined]
            clinic=clinic, patient=patient, status=PlanStatus.ACTIVE
        )
        self.fields["resource"].queryset = resources_of(clinic)  # type: ignore[attr-defined]
        self.fields["clinician"].queryset = staff_of(clinic)  # type: ignore[attr-defined]

    def clean_notes(self) -> str:
        notes: str = self.cleaned_data.get("notes", "")
        if problem := notes_too_long(len(notes)):
            raise forms.ValidationError(problem)
        return notes


class RescheduleForm(_WhenMixin, forms.Form):
    date = forms.DateField(widget=DateInput(), label="Date")
    time = forms.TimeField(widget=TimeInput(), label="Start time")
    duration_min = forms.IntegerField(min_value=5, max_value=MAX_MINUTES, label="Duration (min)")
    resource = ResourceChoiceField(
        queryset=Resource.objects.none(), required=False, label="Chair or room"
    )
    clinician = StaffChoiceField(queryset=User.objects.none(), required=False, label="Clinician")
    reason = forms.CharField(max_length=200, required=False, label="Why (optional)")

    def __init__(
        self, *args: Any, clinic: Clinic, zone: ZoneInfo, current: Resource | None, **kw: Any
    ):
        super().__init__(*args, **kw)
        self.zone = zone
        self.fields["resource"].queryset = resources_of(  # type: ignore[attr-defined]
            clinic, include=current
        )
        self.fields["clinician"].queryset = staff_of(clinic)  # type: ignore[attr-defined]


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=500, label="Reason for cancelling")


class SeriesSetupForm(forms.Form):
    start_on = forms.DateField(widget=DateInput(), label="First session on or after")
    time_1 = forms.TimeField(widget=TimeInput(), label="Preferred time")
    time_2 = forms.TimeField(
        widget=TimeInput(),
        required=False,
        label="Second preferred time",
        help_text="Optional: used for the 2nd session of each week (or cycle).",
    )
    duration_min = forms.IntegerField(
        min_value=15,
        max_value=MAX_MINUTES,
        label="Chair time per session (minutes)",
        help_text="Dosing + the protocol's minimum observation + 15 min for checks and turnover.",
    )

    def times(self) -> list[time]:
        return [t for t in (self.cleaned_data["time_1"], self.cleaned_data.get("time_2")) if t]


class SeriesRowForm(forms.Form):
    number = forms.IntegerField(widget=forms.HiddenInput(), min_value=1)
    date = forms.DateField(widget=DateInput(), label="Date")
    time = forms.TimeField(widget=TimeInput(), label="Time")
    resource = ResourceChoiceField(
        queryset=Resource.objects.none(), required=False, label="Chair or room"
    )

    def __init__(self, *args: Any, clinic: Clinic, **kw: Any):
        super().__init__(*args, **kw)
        self.zone = clinic_zone(clinic)
        self.fields["resource"].queryset = resources_of(clinic)  # type: ignore[attr-defined]

    def clean_date(self) -> Day:  # `date` here is the field above, not the type
        day: Day = self.cleaned_data["date"]
        check_day(day, self.zone)
        return day


SeriesRowFormSet = forms.formset_factory(SeriesRowForm, extra=0, max_num=60, validate_max=True)


def parse_day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
