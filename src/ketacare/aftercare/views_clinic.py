"""Clinic-wide aftercare pages: the therapist's caseload and integration gaps, the follow-up
list (booster may be due, relapse review tasks) and the aftercare settings.

Everything is queried through the active clinic; each listing is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import require, staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.models import Clinic, Membership, Role
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.aftercare.caseload import caseload, integration_gaps
from ketacare.aftercare.followup import do_update_task, episode_followups, visits_due
from ketacare.aftercare.forms import AftercareSettingsForm, TaskForm
from ketacare.aftercare.models import AftercareSettings, FollowUpTask, TaskStatus
from ketacare.aftercare.settings_store import do_set_aftercare_settings, settings_for
from ketacare.clinical.response import CourseStatus
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.access import access_patient


@staff_view(Perm.PATIENT_VIEW)
def caseload_page(request: ClinicRequest) -> HttpResponse:
    now = timezone.now()
    today = clinic_today(request.clinic, now)
    days = settings_for(request.clinic).integration_gap_days
    rows = caseload(request.clinic, request.user, now)
    gaps = integration_gaps(request.clinic, today, days)
    audit(
        request,
        "aftercare.caseload.listed",
        object_type="integration_note",
        detail={"caseload": len(rows), "gaps": len(gaps)},
    )
    return render(
        request,
        "aftercare/caseload.html",
        {"rows": rows, "gaps": gaps, "days": days, "today": today},
    )


@staff_view(Perm.CLINIC_SETTINGS)
def settings_page(request: ClinicRequest) -> HttpResponse:
    row = settings_for(request.clinic)
    if request.method == "POST":
        form = AftercareSettingsForm(
            request.POST, instance=AftercareSettings(clinic=request.clinic)
        )
        if form.is_valid():
            do_set_aftercare_settings(
                actor_from_request(request), request.clinic, form.cleaned_data
            )
            messages.success(request, "Aftercare settings saved.")
            return redirect("aftercare:settings")
    else:
        form = AftercareSettingsForm(instance=row)
    return render(request, "aftercare/settings.html", {"form": form, "row": row})


@staff_view(Perm.PATIENT_VIEW)
def followup_page(request: ClinicRequest) -> HttpResponse:
    today = clinic_today(request.clinic)
    items = episode_followups(request.clinic)
    boosters = [i for i in items if i.booster is not None and i.booster.due]
    relapses = [i for i in items if i.course.status == CourseStatus.RELAPSE]
    tasks = list(
        FollowUpTask.objects.filter(clinic=request.clinic, status=TaskStatus.OPEN)
        .select_related("patient", "assigned_to")
        .order_by("created_at", "pk")[:200]
    )
    visits = visits_due(request.clinic, today)
    # A booster is not the next step for a patient in a suicide-risk crisis: say so in the row.
    from ketacare.safety.crisis_models import CrisisRecord
    from ketacare.safety.models import FlagStatus, RiskFlag

    listed = {i.patient.pk for i in boosters}
    in_crisis = set(
        CrisisRecord.objects.filter(patient_id__in=listed, status="open").values_list(
            "patient_id", flat=True
        )
    )
    flagged = set(
        RiskFlag.objects.filter(patient_id__in=listed)
        .exclude(status=FlagStatus.RESOLVED)
        .values_list("patient_id", flat=True)
    )
    audit(
        request,
        "aftercare.followup.listed",
        object_type="followup_task",
        detail={"boosters": len(boosters), "tasks": len(tasks), "visits": len(visits)},
    )
    return render(
        request,
        "aftercare/followup.html",
        {
            "boosters": boosters,
            "in_crisis": in_crisis,
            "flagged": flagged - in_crisis,
            "relapses": relapses,
            "tasks": tasks,
            "visits": visits,
            "rise_pct": settings_for(request.clinic).booster_rise_pct,
            "today": today,
        },
    )


def _staff_choices(clinic: Clinic) -> list[tuple[str, str]]:
    members = (
        Membership.objects.filter(
            clinic=clinic,
            is_active=True,
            role__in=(Role.PRESCRIBER, Role.NURSE, Role.THERAPIST),
        )
        .select_related("user")
        .order_by("user__full_name")
    )
    return [(str(m.user_id), f"{m.user.display_name} ({m.get_role_display()})") for m in members]


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def task_page(request: ClinicRequest, pk: int) -> HttpResponse:
    task = (
        FollowUpTask.objects.filter(clinic=request.clinic, pk=pk)
        .select_related("patient", "assigned_to", "done_by", "episode")
        .first()
    )
    if task is None:
        raise Http404("No such task.")
    patient = access_patient(request, task.patient_id)
    staff = _staff_choices(request.clinic)
    if request.method == "POST":
        require(request, Perm.FOLLOWUP_WORK)
        form = TaskForm(request.POST, staff=staff)
        if form.is_valid():
            assignee = form.cleaned_data.get("assigned_to")
            try:
                do_update_task(
                    actor_from_request(request),
                    task,
                    assigned_to_id=int(assignee) if assignee else None,
                    done=request.POST.get("action") == "done",
                    note=form.cleaned_data.get("done_note", ""),
                )
            except ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "Task updated.")
                return redirect("aftercare:followup")
    else:
        form = TaskForm(initial={"assigned_to": str(task.assigned_to_id or "")}, staff=staff)
    audit(
        request,
        "aftercare.task.viewed",
        object_type="followup_task",
        object_id=task.pk,
        patient_id=patient.pk,
    )
    return render(
        request,
        "aftercare/task.html",
        {
            "task": task,
            "patient": patient,
            "form": form,
            "can_work": has_perm(request.membership, Perm.FOLLOWUP_WORK),
        },
    )
