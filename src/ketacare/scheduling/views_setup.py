"""Schedule set-up (/schedule/setup/, Perm.SCHEDULE_SETUP): chairs and rooms, opening hours,
closures, staff working hours, reminder lead times. One page with a form per part; each form
posts to its own URL and, on an error, the page is shown again with that form bound (400).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.measures.scheduling import clinic_today
from ketacare.scheduling import setup
from ketacare.scheduling.calendar import reminder_leads
from ketacare.scheduling.forms import (
    ClinicHoursForm,
    ClosureForm,
    ReminderLeadsForm,
    ResourceForm,
    StaffHoursForm,
)
from ketacare.scheduling.models import ClinicHours, Closure, Resource, StaffHours
from ketacare.scheduling.views import add_errors


def _hours(request: ClinicRequest) -> dict[int, Any]:
    return {
        h.weekday: (h.opens, h.closes) for h in ClinicHours.objects.filter(clinic=request.clinic)
    }


def _page(request: ClinicRequest, status: int = 200, **bound: forms.BaseForm) -> HttpResponse:
    clinic = request.clinic
    today = clinic_today(clinic)
    context: dict[str, Any] = {
        "resources": Resource.objects.filter(clinic=clinic).order_by(
            "-active", "sort_order", "name"
        ),
        "closures": Closure.objects.filter(clinic=clinic, ends_on__gte=today),
        "staff_hours": StaffHours.objects.filter(clinic=clinic)
        .select_related("user")
        .order_by("user__full_name", "weekday", "starts"),
        "resource_form": ResourceForm(prefix="resource"),
        "hours_form": ClinicHoursForm(current=_hours(request), prefix="hours"),
        "closure_form": ClosureForm(prefix="closure"),
        "staff_form": StaffHoursForm(clinic=clinic, prefix="staff"),
        "leads_form": ReminderLeadsForm(
            prefix="leads", initial={"leads": ", ".join(map(str, reminder_leads(clinic)))}
        ),
    }
    context.update(bound)
    return render(request, "scheduling/setup.html", context, status=status)


@staff_view(Perm.SCHEDULE_SETUP)
@require_GET
def setup_page(request: ClinicRequest) -> HttpResponse:
    return _page(request)


@staff_view(Perm.SCHEDULE_SETUP)
@require_POST
def resource_add(request: ClinicRequest) -> HttpResponse:
    form = ResourceForm(request.POST, prefix="resource")
    if form.is_valid():
        try:
            resource = setup.do_save_resource(
                actor_from_request(request), request.clinic, None, form.cleaned_data
            )
        except ActionError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, f"Added {resource.name}.")
            return redirect("scheduling:setup")
    return _page(request, 400, resource_form=form)


def _resource(request: ClinicRequest, resource_id: int) -> Resource:
    resource = Resource.objects.filter(clinic=request.clinic, pk=resource_id).first()
    if resource is None:
        raise Http404("No such chair or room in this clinic.")
    return resource


@staff_view(Perm.SCHEDULE_SETUP)
def resource_edit(request: ClinicRequest, resource_id: int) -> HttpResponse:
    resource = _resource(request, resource_id)
    if request.method == "POST":
        form = ResourceForm(request.POST, instance=resource)
        if form.is_valid():
            try:
                setup.do_save_resource(
                    actor_from_request(request), request.clinic, resource, form.cleaned_data
                )
            except ActionError as problem:
                add_errors(form, problem)
            else:
                messages.success(request, f"Saved {form.cleaned_data['name']}.")
                return redirect("scheduling:setup")
        status = 400
    else:
        form, status = ResourceForm(instance=resource), 200
    return render(
        request,
        "scheduling/resource_edit.html",
        {"form": form, "resource": resource},
        status=status,
    )


@staff_view(Perm.SCHEDULE_SETUP)
@require_POST
def resource_toggle(request: ClinicRequest, resource_id: int) -> HttpResponse:
    resource = _resource(request, resource_id)
    resource = setup.do_set_resource_active(
        actor_from_request(request), resource, not resource.active
    )
    messages.success(
        request, f"{resource.name} {'is in use again' if resource.active else 'deactivated'}."
    )
    return redirect("scheduling:setup")


@staff_view(Perm.SCHEDULE_SETUP)
@require_POST
def hours_save(request: ClinicRequest) -> HttpResponse:
    form = ClinicHoursForm(request.POST, current=_hours(request), prefix="hours")
    if form.is_valid():
        try:
            setup.do_set_clinic_hours(actor_from_request(request), request.clinic, form.hours())
        except ActionError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Opening hours saved.")
            return redirect("scheduling:setup")
    return _page(request, 400, hours_form=form)


@staff_view(Perm.SCHEDULE_SETUP)
@require_POST
def closure_add(request: ClinicRequest) -> HttpResponse:
    form = ClosureForm(request.POST, prefix="closure")
    if form.is_valid():
        data = form.cleaned_data
        try:
            setup.do_add_closure(
                actor_from_request(request),
                request.clinic,
                data["starts_on"],
                data["ends_on"],
                data["reason"],
            )
        except ActionError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Closure added.")
            return redirect("scheduling:setup")
    return _page(request, 400, closure_form=form)


@staff_view(Perm.SCHEDULE_SETUP)
@require_POST
def closure_remove(request: ClinicRequest, closure_id: int) -> HttpResponse:
    closure = Closure.objects.filter(clinic=request.clinic, pk=closure_id).first()
    if closure is None:
        raise Http404("No such closure in this clinic.")
    setup.do_remove_closure(actor_from_request(request), closure)
    messages.success(request, "Closure removed.")
    return redirect("scheduling:setup")


@staff_view(Perm.SCHEDULE_SETUP)
@require_POST
def staff_hours_add(request: ClinicRequest) -> HttpResponse:
    form = StaffHoursForm(request.POST, clinic=request.clinic, prefix="staff")
    if form.is_valid():
        data = form.cleaned_data
        try:
            setup.do_add_staff_hours(
                actor_from_request(request),
                request.clinic,
                data["user"],
                data["weekday"],
                data["starts"],
                data["ends"],
            )
        except ActionError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Working hours added.")
            return redirect("scheduling:setup")
    return _page(request, 400, staff_form=form)


@staff_view(Perm.SCHEDULE_SETUP)
@require_POST
def staff_hours_remove(request: ClinicRequest, hours_id: int) -> HttpResponse:
    hours = StaffHours.objects.filter(clinic=request.clinic, pk=hours_id).first()
    if hours is None:
        raise Http404("No such working hours in this clinic.")
    setup.do_remove_staff_hours(actor_from_request(request), hours)
    messages.success(request, "Working hours removed.")
    return redirect("scheduling:setup")


@staff_view(Perm.SCHEDULE_SETUP)
@require_POST
def leads_save(request: ClinicRequest) -> HttpResponse:
    form = ReminderLeadsForm(request.POST, prefix="leads")
    if form.is_valid():
        try:
            setup.do_set_reminder_leads(
                actor_from_request(request), request.clinic, form.cleaned_data["leads"]
            )
        except ActionError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Reminder lead times saved.")
            return redirect("scheduling:setup")
    return _page(request, 400, leads_form=form)
