"""The patient's own habit pages (phone-first), mountable in any shell such as the portal.

Each view takes `(request, patient)` — the caller has already decided who the patient is (the
portal from its sign-in, never from the URL) — plus the template to extend and the Actor the
patient's writes and reads are audited as. Logging a day takes a few taps: the form starts
from the last day logged ("same as yesterday"), so a patient whose day matched only presses
Save.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.aftercare.forms import HabitLogForm
from ketacare.aftercare.habit_actions import do_log_habits
from ketacare.aftercare.habit_data import week_rows
from ketacare.aftercare.models import HabitGoal, HabitLog, HabitSource
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.models import Patient

ACTIVITY_KINDS = ["", "walk", "run", "cycling", "gym", "yoga", "swim", "sport", "other"]


def patient_actor(patient: Patient) -> Actor:
    return Actor(label=f"patient {patient.mrn}", role="patient", clinic_id=patient.clinic_id)


class PatientHabitForm(HabitLogForm):
    """The staff form with phone-friendly widgets and a day chosen in one tap."""

    day = forms.ChoiceField(  # type: ignore[assignment]  # a date chosen in one tap
        label="Which day?", widget=forms.RadioSelect
    )
    activity_kind = forms.ChoiceField(  # type: ignore[assignment]  # a short list
        label="Kind of activity",
        required=False,
        choices=[(k, k.capitalize() or "—") for k in ACTIVITY_KINDS],
    )
    therapy = forms.NullBooleanField(
        label="Therapy session that day?",
        required=False,
        widget=forms.RadioSelect(
            choices=[("unknown", "Not sure"), ("true", "Yes"), ("false", "No")]
        ),
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        names = ["Today", "Yesterday", "2 days ago"]
        self.fields["day"].choices = [  # type: ignore[attr-defined]  # ChoiceField
            ((today - timedelta(days=n)).isoformat(), names[n]) for n in range(3)
        ]
        self.fields["active_minutes"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["drinks"].widget.attrs.update({"inputmode": "decimal", "step": "0.5"})
        del self.fields["note"]

    def clean_day(self) -> date:
        return date.fromisoformat(self.cleaned_data["day"])


def _therapy_choice(value: bool | None) -> str:
    return "unknown" if value is None else ("true" if value else "false")


def _defaults(patient: Patient, day: date) -> dict[str, Any]:
    """That day's log if there is one, else the last day logged before it."""
    log = HabitLog.objects.filter(patient=patient, day__lte=day).order_by("-day").first()
    initial: dict[str, Any] = {"day": day.isoformat()}
    if log is not None:
        initial.update(
            bed_time=log.bed_time.strftime("%H:%M") if log.bed_time else "",
            wake_time=log.wake_time.strftime("%H:%M") if log.wake_time else "",
            active_minutes=log.active_minutes,
            activity_kind=log.activity_kind if log.activity_kind in ACTIVITY_KINDS else "other",
            drinks=log.drinks,
            therapy=_therapy_choice(log.therapy) if log.day == day else "unknown",
        )
    return initial


def log_day(
    request: HttpRequest,
    patient: Patient,
    *,
    base_template: str = "base.html",
    actor: Actor | None = None,
    summary_url: str = "",
) -> HttpResponse:
    """GET: the form with sensible defaults; POST: save the day, then back to the form."""
    actor = actor or patient_actor(patient)
    today = clinic_today(patient.clinic)
    status = 200
    if request.method == "POST":
        form = PatientHabitForm(request.POST, today=today)
        if form.is_valid():
            try:
                do_log_habits(actor, patient, form.cleaned_data, source=HabitSource.PATIENT)
            except ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "Saved. Thank you!")
                return redirect(request.path)
        status = 400
    else:
        form = PatientHabitForm(initial=_defaults(patient, today), today=today)
    logged_today = HabitLog.objects.filter(patient=patient, day=today).exists()
    return render(
        request,
        "aftercare/patient_log.html",
        {
            "base_template": base_template,
            "form": form,
            "patient": patient,
            "logged_today": logged_today,
            "summary_url": summary_url,
        },
        status=status,
    )


def weekly_summary(
    request: HttpRequest,
    patient: Patient,
    *,
    base_template: str = "base.html",
    actor: Actor | None = None,
    log_url: str = "",
) -> HttpResponse:
    """This week and the three before it, against the goals set with the clinician."""
    actor = actor or patient_actor(patient)
    today = clinic_today(patient.clinic)
    weeks = week_rows(patient, today, 4)
    record(
        actor,
        "aftercare.habits.summary_viewed",
        object_type="habit_log",
        patient_id=patient.pk,
        clinic_id=patient.clinic_id,
    )
    return render(
        request,
        "aftercare/patient_summary.html",
        {
            "base_template": base_template,
            "weeks": weeks,
            "goals": HabitGoal.objects.filter(patient=patient, ends_on__isnull=True),
            "log_url": log_url,
        },
    )
