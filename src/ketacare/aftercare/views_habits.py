"""Staff pages for a patient's habits and goals (mounted at patients/<patient_id>/aftercare/).

The page shows the weekly summary against each goal, the charts (habits beside PHQ-9), the
last days logged, a form to log a day and a form to set a goal. Writes need
Perm.HABIT_RECORD (log) or Perm.HABIT_GOAL_SET (goals); reads are audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.aftercare.forms import HabitGoalForm, HabitLogForm
from ketacare.aftercare.habit_actions import (
    ONCE_GOAL,
    do_end_goal,
    do_log_habits,
    do_set_goal,
    goal_problems,
)
from ketacare.aftercare.habit_data import habit_charts, week_rows
from ketacare.aftercare.models import HabitGoal, HabitLog, HabitSource
from ketacare.core import submission
from ketacare.core.form_errors import add_refusals
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient


def _page(
    request: ClinicRequest,
    patient: Patient,
    log_form: HabitLogForm | None = None,
    goal_form: HabitGoalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = clinic_today(patient.clinic)
    logs = list(HabitLog.objects.filter(patient=patient).order_by("-day")[:14])
    audit(
        request,
        "aftercare.habits.viewed",
        object_type="habit_log",
        patient_id=patient.pk,
        detail={"days_shown": len(logs)},
    )
    context: dict[str, Any] = {
        "patient": patient,
        "weeks": week_rows(patient, today, 8),
        "charts": habit_charts(patient),
        "logs": logs,
        "goals": list(HabitGoal.objects.filter(patient=patient).order_by("ends_on", "kind")),
        "log_form": log_form or HabitLogForm(initial={"day": today}),
        "goal_form": goal_form or HabitGoalForm(initial={"starts_on": today}),
        "can_log": has_perm(request.membership, Perm.HABIT_RECORD),
        "can_goal": has_perm(request.membership, Perm.HABIT_GOAL_SET),
    }
    return render(request, "aftercare/habits.html", context, status=status)


def _field(exc: ActionError, form: Any) -> str | None:
    return exc.field if exc.field in form.fields else None


@staff_view()
@require_http_methods(["GET", "POST"])
def habits_page(request: ClinicRequest, patient_id: str) -> HttpResponse:
    if request.method == "GET":
        return _page(request, access_patient(request, patient_id))
    patient = access_patient(request, patient_id, Perm.HABIT_RECORD)
    form = HabitLogForm(request.POST)
    if form.is_valid():
        try:
            do_log_habits(
                actor_from_request(request), patient, form.cleaned_data, source=HabitSource.STAFF
            )
        except ActionError as exc:
            form.add_error(_field(exc, form), exc.message)
        else:
            messages.success(request, f"Habits for {form.cleaned_data['day']} saved.")
            return redirect("aftercare_patient:habits", patient.pk)
    return _page(request, patient, log_form=form, status=400)


@staff_view()
@require_POST
def goal_add(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.HABIT_GOAL_SET)
    here = reverse("aftercare_patient:habits", args=[patient.pk])
    once, first = submission.page_key(request, submission.scope(ONCE_GOAL, patient.pk))
    if first:  # before the one-goal-per-start rule, which would refuse the repeat
        return already_saved(request, here)
    form = HabitGoalForm(request.POST)
    if form.is_valid():
        add_refusals(form, goal_problems(patient, form.cleaned_data))
    if form.is_valid():
        try:
            do_set_goal(actor_from_request(request), patient, form.cleaned_data, once=once)
        except AlreadySaved:
            return already_saved(request, here)
        except ActionError as exc:
            form.add_error(_field(exc, form), exc.message)
        else:
            messages.success(request, "Goal set.")
            return redirect("aftercare_patient:habits", patient.pk)
    return _page(request, patient, goal_form=form, status=400)


@staff_view()
@require_POST
def goal_end(request: ClinicRequest, patient_id: str, pk: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.HABIT_GOAL_SET)
    goal = HabitGoal.objects.filter(patient=patient, clinic=patient.clinic, pk=pk).first()
    if goal is None:
        raise Http404("No such goal.")
    try:
        do_end_goal(actor_from_request(request), goal)
    except ActionError as exc:
        messages.error(request, f"Not ended: {exc.message}")
    else:
        messages.success(request, "Goal ended.")
    return redirect("aftercare_patient:habits", patient.pk)
