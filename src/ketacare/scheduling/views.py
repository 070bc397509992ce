"""The clinic schedule: day view by chair, week view, an appointment's page and its changes
(reschedule, cancel, check-in, no-show, complete). Mounted at schedule/.

Every page is clinic-scoped: appointments are fetched through `request.clinic`, and another
clinic's appointment is a 404. Reading the day or week view is audited once per page view.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.scheduling import booking, dayview
from ketacare.scheduling.booking import ConflictError
from ketacare.scheduling.calendar import DEFAULT_DAY_SPAN
from ketacare.scheduling.forms import CancelForm, RescheduleForm, parse_day
from ketacare.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ClinicHours,
    Resource,
)


def add_errors(form: Any, error: ActionError) -> None:
    """Every conflict (or the one refusal) onto its field, or the form when it has none."""
    problems = getattr(error, "conflicts", None) or [error]
    for problem in problems:
        name = problem.field
        form.add_error(name if name in form.fields else None, problem.message)


def _day_or_404(text: str) -> date:
    day = parse_day(text)
    if day is None:
        raise Http404("Not a date.")
    return day


def _appointment(request: ClinicRequest, appointment_id: str) -> Appointment:
    appointment = (
        Appointment.objects.filter(clinic=request.clinic, pk=_uuid_or_404(appointment_id))
        .select_related("patient", "resource", "clinician", "plan", "checked_in_by", "created_by")
        .first()
    )
    if appointment is None:
        raise Http404("No such appointment in this clinic.")
    return appointment


def _uuid_or_404(text: str) -> str:
    try:
        return str(uuid.UUID(str(text)))
    except ValueError as problem:
        raise Http404("No such appointment.") from problem


@staff_view(Perm.PATIENT_VIEW)
@require_GET
def today(request: ClinicRequest) -> HttpResponse:
    """Today's day view, or the day chosen in the "go to date" box (?d=YYYY-MM-DD)."""
    day = parse_day(request.GET.get("d", "")) or clinic_today(request.clinic)
    return redirect("scheduling:day", day=day.isoformat())


@dataclass
class DayItem:
    """One appointment as the day view prints it (URLs and labels worked out once)."""

    appointment: Appointment
    local: datetime
    url: str
    status_url: str
    name: str
    type_label: str
    status_label: str
    resource_name: str
    time: str  # "09:00"
    span: str  # "09:00–10:30"
    kind: str  # "Treatment session #3"


def _day_items(appointments: list[Appointment], zone: Any) -> list[DayItem]:
    # reverse() once with a placeholder: the page has one link and one form per appointment.
    marker = "00000000-0000-0000-0000-000000000000"
    detail = reverse("scheduling:appointment", kwargs={"appointment_id": marker})
    status = reverse("scheduling:status", kwargs={"appointment_id": marker})
    types, statuses = dict(AppointmentType.choices), dict(AppointmentStatus.choices)
    return [
        DayItem(
            appointment=a,
            local=a.starts_at.astimezone(zone),
            url=detail.replace(marker, str(a.pk)),
            status_url=status.replace(marker, str(a.pk)),
            name=a.patient.display_name,
            type_label=str(types.get(a.type, a.type)),
            status_label=str(statuses.get(a.status, a.status)),
            resource_name=a.resource.name if a.resource else "—",
            time=f"{a.starts_at.astimezone(zone):%H:%M}",
            span=f"{a.starts_at.astimezone(zone):%H:%M}–{a.ends_at.astimezone(zone):%H:%M}",
            kind=str(types.get(a.type, a.type))
            + (f" #{a.session_number}" if a.session_number else ""),
        )
        for a in appointments
    ]


@staff_view(Perm.PATIENT_VIEW)
@require_GET
def day_view(request: ClinicRequest, day: str) -> HttpResponse:
    the_day = _day_or_404(day)
    clinic = request.clinic
    zone = clinic_zone(clinic)
    start, end = dayview.day_bounds(the_day, zone)
    resources = list(Resource.objects.filter(clinic=clinic, active=True))
    appointments = list(
        Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "resource")
        .only(*DAY_FIELDS)
        .order_by("starts_at", "resource__sort_order")
    )
    known = {r.pk for r in resources}
    retired = {a.resource for a in appointments if a.resource and a.resource_id not in known}
    if retired:
        # A chair deactivated since keeps its column on days it still has appointments.
        resources = sorted([*resources, *retired], key=lambda r: (r.sort_order, r.name))
    hours = ClinicHours.objects.filter(clinic=clinic, weekday=the_day.weekday()).first()
    span = (hours.opens, hours.closes) if hours else DEFAULT_DAY_SPAN
    grid = dayview.build(the_day, zone, span, resources, appointments)
    items = _day_items(appointments, zone)
    by_id = {item.appointment.pk: item for item in items}
    audit(
        request,
        "scheduling.day.viewed",
        object_type="schedule_day",
        object_id=the_day.isoformat(),
        detail={"appointments": len(appointments)},
    )
    return render(
        request,
        "scheduling/day.html",
        {
            "grid": grid,
            "blocks": [
                (
                    f"c{b.column} r{b.row} s{b.span} ty-{b.appointment.type} "
                    f"st-{b.appointment.status}",
                    by_id[b.appointment.pk],
                )
                for b in grid.blocks
            ],
            "day": the_day,
            "items": items,
            "previous": the_day - timedelta(days=1),
            "next": the_day + timedelta(days=1),
            "today": clinic_today(clinic),
            "can_check_in": has_perm(request.membership, Perm.APPOINTMENT_CHECK_IN),
            "can_setup": has_perm(request.membership, Perm.SCHEDULE_SETUP),
            "week_of": the_day - timedelta(days=the_day.weekday()),
        },
    )


# What the day view reads: enough for the grid, the names and the chair columns.
DAY_FIELDS = (
    "id",
    "clinic_id",
    "type",
    "status",
    "starts_at",
    "ends_at",
    "session_number",
    "resource",
    "patient",
    "patient__legal_given_name",
    "patient__legal_family_name",
    "patient__preferred_name",
    "resource__name",
    "resource__sort_order",
    "resource__active",
    "resource__has_iv_pump",
    "resource__has_monitor",
    "resource__esketamine_certified",
)


@staff_view(Perm.PATIENT_VIEW)
@require_GET
def week_view(request: ClinicRequest, day: str) -> HttpResponse:
    the_day = _day_or_404(day)
    monday = the_day - timedelta(days=the_day.weekday())
    clinic = request.clinic
    zone = clinic_zone(clinic)
    start, _ = dayview.day_bounds(monday, zone)
    _, end = dayview.day_bounds(monday + timedelta(days=6), zone)
    appointments = (
        Appointment.objects.filter(clinic=clinic, starts_at__gte=start, starts_at__lt=end)
        .select_related("patient", "resource")
        .order_by("starts_at")
    )
    days: list[tuple[date, list[Any]]] = [(monday + timedelta(days=i), []) for i in range(7)]
    count = 0
    for appointment in appointments:
        local = appointment.starts_at.astimezone(zone)
        days[(local.date() - monday).days][1].append((appointment, local))
        count += 1
    audit(
        request,
        "scheduling.week.viewed",
        object_type="schedule_week",
        object_id=monday.isoformat(),
        detail={"appointments": count},
    )
    return render(
        request,
        "scheduling/week.html",
        {
            "days": days,
            "monday": monday,
            "previous": monday - timedelta(days=7),
            "next": monday + timedelta(days=7),
            "today": clinic_today(clinic),
        },
    )


def _detail_context(request: ClinicRequest, appointment: Appointment) -> dict[str, Any]:
    zone = clinic_zone(request.clinic)
    return {
        "appointment": appointment,
        "patient": appointment.patient,
        "local_start": appointment.starts_at.astimezone(zone),
        "local_end": appointment.ends_at.astimezone(zone),
        "can_book": has_perm(request.membership, Perm.APPOINTMENT_BOOK),
        "can_check_in": has_perm(request.membership, Perm.APPOINTMENT_CHECK_IN),
        "is_open": appointment.status in booking.OPEN_STATUSES,
    }


def _reschedule_form(
    request: ClinicRequest, appointment: Appointment, data: Any = None
) -> RescheduleForm:
    zone = clinic_zone(request.clinic)
    local = appointment.starts_at.astimezone(zone)
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return RescheduleForm(
        data,
        clinic=request.clinic,
        zone=zone,
        current=appointment.resource,
        initial={
            "date": local.date(),
            "time": local.time(),
            "duration_min": minutes,
            "resource": appointment.resource_id,
            "clinician": appointment.clinician_id,
        },
        prefix="move",
    )


@staff_view(Perm.PATIENT_VIEW)
@require_GET
def appointment_detail(request: ClinicRequest, appointment_id: str) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    audit(
        request,
        "scheduling.appointment.viewed",
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
    )
    context = _detail_context(request, appointment)
    context["move_form"] = _reschedule_form(request, appointment)
    context["cancel_form"] = CancelForm(prefix="cancel")
    return render(request, "scheduling/detail.html", context)


@staff_view(Perm.APPOINTMENT_BOOK)
@require_POST
def appointment_reschedule(request: ClinicRequest, appointment_id: str) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    form = _reschedule_form(request, appointment, request.POST)
    if form.is_valid():
        when = form.when()
        assert when is not None
        try:
            booking.do_reschedule(
                actor_from_request(request),
                appointment,
                when[0],
                when[1],
                form.cleaned_data["resource"],
                form.cleaned_data["clinician"],
                form.cleaned_data["reason"],
            )
        except (ConflictError, ActionError) as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Appointment moved; the patient will be asked to confirm.")
            return redirect("scheduling:appointment", appointment_id=appointment.pk)
    context = _detail_context(request, appointment)
    context["move_form"] = form
    context["cancel_form"] = CancelForm(prefix="cancel")
    return render(request, "scheduling/detail.html", context, status=400)


@staff_view(Perm.APPOINTMENT_BOOK)
@require_POST
def appointment_cancel(request: ClinicRequest, appointment_id: str) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    form = CancelForm(request.POST, prefix="cancel")
    if form.is_valid():
        try:
            booking.do_cancel(actor_from_request(request), appointment, form.cleaned_data["reason"])
        except ActionError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Appointment cancelled.")
            return redirect("scheduling:appointment", appointment_id=appointment.pk)
    context = _detail_context(request, appointment)
    context["move_form"] = _reschedule_form(request, appointment)
    context["cancel_form"] = form
    return render(request, "scheduling/detail.html", context, status=400)


STATUS_ACTIONS: dict[str, tuple[Callable[[Actor, Appointment], Appointment], str]] = {
    "check_in": (booking.do_check_in, "Checked in."),
    "no_show": (booking.do_no_show, "Recorded as a no-show."),
    "complete": (booking.do_complete, "Marked completed."),
}


@staff_view(Perm.APPOINTMENT_CHECK_IN)
@require_POST
def appointment_status(request: ClinicRequest, appointment_id: str) -> HttpResponse:
    appointment = _appointment(request, appointment_id)
    chosen = STATUS_ACTIONS.get(request.POST.get("action", ""))
    if chosen is None:
        return HttpResponse("Unknown action.", status=400)
    action, done = chosen
    try:
        action(actor_from_request(request), appointment)
    except ActionError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, f"{appointment.patient.display_name}: {done}")
    if request.POST.get("back") == "day":
        local = appointment.starts_at.astimezone(clinic_zone(request.clinic)).date()
        return redirect(reverse("scheduling:day", kwargs={"day": local.isoformat()}))
    return redirect("scheduling:appointment", appointment_id=appointment.pk)
