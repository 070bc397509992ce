"""Staff pages of the safety plan (under /patients/<patient_id>/crisis/plan/) and the
patient's tokenized view (/sp/<token>/).

Staff pages fetch the patient through `access_patient` first; each read is audited, the edit
form's too, shown or refused (it shows the plan's six steps). The patient page answers the
same friendly "not available" page for an unknown, expired or revoked link (no oracle),
always with the crisis resources.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit, client_ip
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.core.clinic_time import in_clinic_time_zone
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient
from ketacare.safety import plan_actions as actions
from ketacare.safety.crisis_models import PLAN_FIELDS, CrisisRecord, SafetyPlanVersion
from ketacare.safety.plan_forms import SafetyPlanForm
from ketacare.safety.portal import safety_plan_context


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


def _history(patient: Patient) -> list[SafetyPlanVersion]:
    return list(SafetyPlanVersion.objects.filter(patient=patient).select_related("created_by"))


@staff_view()
def plan(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    history = _history(patient)
    audit(
        request,
        "safety.plan.viewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"versions": len(history)},
    )
    context: dict[str, Any] = {
        "patient": patient,
        "history": history,
        "links": list(patient.safety_links.filter(revoked_at__isnull=True)[:10]),
        "can_edit": has_perm(getattr(request, "membership", None), Perm.SAFETY_PLAN_EDIT),
        "today": clinic_today(patient.clinic),
        **safety_plan_context(patient),
    }
    return render(request, "safety/plan.html", context)


@staff_view()
def plan_version(request: HttpRequest, patient_id: str, version: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    found = SafetyPlanVersion.objects.filter(patient=patient, version=version).first()
    if found is None:
        raise Http404("No such version of the safety plan.")
    audit(
        request,
        "safety.plan.viewed",
        object_type="safety_plan",
        object_id=found.pk,
        patient_id=patient.pk,
        detail={"version": version},
    )
    return render(
        request,
        "safety/plan_print.html",
        {"patient": patient, **safety_plan_context(patient, found), "staff": True},
    )


@staff_view()
def plan_print(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    current = actions.current_plan(patient)
    if current is None:
        raise Http404("No safety plan yet.")
    audit(
        request,
        "safety.plan.printed",
        object_type="safety_plan",
        object_id=current.pk,
        patient_id=patient.pk,
        detail={"version": current.version},
    )
    return render(
        request,
        "safety/plan_print.html",
        {"patient": patient, **safety_plan_context(patient, current), "staff": True},
    )


@staff_view()
def plan_edit(request: HttpRequest, patient_id: str) -> HttpResponse:
    perm = Perm.SAFETY_PLAN_EDIT if request.method == "POST" else Perm.PATIENT_VIEW
    patient = access_patient(request, patient_id, perm)
    current = actions.current_plan(patient)
    status = 200
    if request.method == "POST":
        form = SafetyPlanForm(request.POST)
        if form.is_valid():
            crisis = None
            crisis_id = request.POST.get("crisis", "")
            if crisis_id.isdigit():
                crisis = CrisisRecord.objects.filter(patient=patient, pk=int(crisis_id)).first()
            try:
                actions.do_save_plan(
                    actor_from_request(request),
                    patient,
                    form.cleaned_data,
                    crisis=crisis,
                    based_on=form.cleaned_data.get("based_on"),
                )
            except AlreadySaved:
                return already_saved(request, reverse("crisis:plan", args=[patient.pk]))
            except ActionError as exc:
                if exc.field == "based_on":
                    current = actions.current_plan(patient)
                    form = _redrawn_on(form, current)
                shown = {f.name for f in form.visible_fields()}
                form.add_error(exc.field if exc.field in shown else None, exc.message)
            else:
                return HttpResponseRedirect(reverse("crisis:plan", args=[patient.pk]))
        status = 400
    else:
        initial: dict[str, Any] = {
            "made_with_patient": True,
            "based_on": current.version if current else 0,
        }
        if current is not None:
            initial.update({name: getattr(current, name) for name, _, _ in PLAN_FIELDS})
        form = SafetyPlanForm(initial=initial)
    # The form shows the current version's six steps (or, refused, the text typed over them):
    # a read of the plan like the plan page's (style.md §4).
    audit(
        request,
        "safety.plan.viewed",
        object_type="safety_plan" if current else "patient",
        object_id=current.pk if current else patient.pk,
        patient_id=patient.pk,
        detail={"version": current.version if current else None, "page": "edit"}
        | ({"refused": True} if status >= 400 else {}),
    )
    return render(
        request,
        "safety/plan_edit.html",
        {
            "patient": patient,
            "form": form,
            "current": current,
            "crisis_id": request.GET.get("crisis", request.POST.get("crisis", "")),
        },
        status=status,
    )


def _redrawn_on(form: SafetyPlanForm, current: SafetyPlanVersion | None) -> SafetyPlanForm:
    """The refused form again, text kept, now drawn from the newest version: saving it again
    is a deliberate choice to supersede that version."""
    data: dict[str, Any] = dict(form.data.items())  # every field of this form is single
    data["based_on"] = str(current.version if current else 0)
    redrawn = SafetyPlanForm(data)
    redrawn.is_valid()
    return redrawn


@staff_view()
@require_POST
def issue_link(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SAFETY_PLAN_EDIT)
    try:
        issued = actions.do_issue_plan_link(actor_from_request(request), patient)
    except ActionError as exc:
        return render(
            request,
            "safety/refused.html",
            {"patient": patient, "message": exc.message, "field": exc.field},
            status=400,
        )
    return render(request, "safety/plan_link.html", {"patient": patient, "issued": issued})


@staff_view()
@require_POST
def revoke_link(request: HttpRequest, patient_id: str, link_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SAFETY_PLAN_EDIT)
    link = patient.safety_links.filter(pk=link_id).first()
    if link is None:
        raise Http404("No such link.")
    with suppress(ActionError):  # already revoked: the page shows it either way
        actions.do_revoke_plan_link(actor_from_request(request), link)
    return HttpResponseRedirect(reverse("crisis:plan", args=[patient.pk]))


def public_plan(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's own view of their current safety plan, with crisis resources."""
    link = actions.find_plan_link(token)
    if link is None:
        context = safety_plan_context(None)
        return _private(render(request, "safety/public_plan.html", context, status=404))
    actions.do_open_plan_link(link, client_ip(request))
    with in_clinic_time_zone(link.patient.clinic):  # the plan's date on the clinic's calendar
        context = safety_plan_context(link.patient)
        return _private(render(request, "safety/public_plan.html", context))
