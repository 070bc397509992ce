"""The prescriber's work list of plan reviews (/reviews/) and the decision page
(/reviews/<task id>/).

The list shows the clinic's open tasks, the signed-in user's own first, with the data behind
each; anyone who may read charts sees it (Perm.PATIENT_VIEW). Deciding needs Perm.PLAN_REVIEW
(prescribers). Tasks are queried through the active clinic, so another clinic's task is a 404;
the patient is fetched through `access_patient`. The decision is one `do_decide_review` call.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core import submission
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.patients.access import access_patient
from ketacare.plans.actions import plan_protocol
from ketacare.plans.models import ReviewDecision, ReviewStatus, ReviewTask
from ketacare.plans.reviews import (
    ADJUST_FIELDS,
    ONCE_DECISION,
    do_decide_review,
    maintenance_phase,
)

LIST_LIMIT = 200
RECENT_DECIDED = 20


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label="Decision", choices=ReviewDecision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Why: what you saw and what you decided.",
    )
    dose_value = forms.DecimalField(
        label="Dose (mg/kg, or mg)", required=False, max_digits=8, decimal_places=3
    )
    frequency_count = forms.IntegerField(label="Sessions", required=False, min_value=1)
    frequency_per_days = forms.IntegerField(label="every … days", required=False, min_value=1)
    sessions_planned = forms.IntegerField(label="Sessions planned", required=False, min_value=1)


def _open_tasks(request: ClinicRequest) -> Any:
    mine = Case(When(assigned_to=request.user, then=Value(0)), default=Value(1))
    return (
        ReviewTask.objects.filter(clinic=request.clinic, status=ReviewStatus.OPEN)
        .select_related("patient", "plan", "assigned_to")
        .annotate(mine=mine, kind_order=_kind_order())
        .order_by("mine", "due_at", "kind_order", "pk")
    )


def _kind_order() -> Case:
    return Case(
        When(kind="stop_rule", then=Value(0)), default=Value(1), output_field=IntegerField()
    )


@staff_view(Perm.PATIENT_VIEW)
def work_list(request: ClinicRequest) -> HttpResponse:
    tasks = list(_open_tasks(request)[:LIST_LIMIT])
    decided = list(
        ReviewTask.objects.filter(clinic=request.clinic, status=ReviewStatus.DECIDED)
        .select_related("patient", "decided_by")
        .order_by("-decided_at", "-pk")[:RECENT_DECIDED]
    )
    audit(
        request,
        "plans.reviews.listed",
        object_type="review_task",
        detail={"open": len(tasks), "decided_shown": len(decided)},
    )
    context = {
        "mine": [t for t in tasks if t.mine == 0],
        "others": [t for t in tasks if t.mine != 0],
        "decided": decided,
    }
    return render(request, "plans_reviews/list.html", context)


def _task(request: ClinicRequest, pk: int) -> ReviewTask:
    task = (
        ReviewTask.objects.filter(clinic=request.clinic, pk=pk)
        .select_related("plan", "assigned_to", "decided_by", "revision")
        .first()
    )
    if task is None:
        raise Http404("No such review.")
    return task


def _initial(task: ReviewTask) -> dict[str, Any]:
    plan = task.plan
    return {name: getattr(plan, name) for name in ADJUST_FIELDS}


@staff_view(Perm.PLAN_REVIEW)
@require_http_methods(["GET", "POST"])
def decide(request: ClinicRequest, pk: int) -> HttpResponse:
    task = _task(request, pk)
    patient = access_patient(request, task.patient_id, Perm.PLAN_REVIEW)
    if request.method == "POST":
        here = reverse("reviews:decide", args=[task.pk])
        once, first = submission.page_key(request, submission.scope(ONCE_DECISION, task.pk))
        if first:  # before "already decided", which would refuse the repeat
            return already_saved(request, here)
        form = DecisionForm(request.POST, initial=_initial(task))
        if form.is_valid():
            data = form.cleaned_data
            values = {name: data.get(name) for name in ADJUST_FIELDS}
            try:
                do_decide_review(
                    actor_from_request(request),
                    task,
                    data["decision"],
                    data["note"],
                    values,
                    once=once,
                )
            except AlreadySaved:
                return already_saved(request, here)
            except ActionError as problem:
                field = problem.field if problem.field in form.fields else None
                form.add_error(field, problem.message)
            else:
                return redirect("reviews:decide", pk=task.pk)
        return _page(request, task, patient, form, status=400)
    audit(
        request,
        "plans.review.viewed",
        object_type="review_task",
        object_id=task.pk,
        patient_id=patient.pk,
    )
    return _page(request, task, patient, DecisionForm(initial=_initial(task)))


def _page(
    request: ClinicRequest, task: ReviewTask, patient: Any, form: DecisionForm, status: int = 200
) -> HttpResponse:
    plan = task.plan
    protocol = plan_protocol(plan)
    context = {
        "task": task,
        "patient": patient,
        "plan": plan,
        "protocol": protocol,
        "phase": protocol.phase(plan.phase) if plan.phase else None,
        "maintenance": maintenance_phase(protocol, plan.phase),
        "form": form,
    }
    return render(request, "plans_reviews/decide.html", context, status=status)
