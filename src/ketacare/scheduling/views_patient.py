"""A patient's appointments (mounted at patients/<patient_id>/appointments/): book one, and
book a series generated from the treatment plan.

The series page is stateless: "Propose" generates the rows from the plan, "Check again"
re-checks the rows as the user edited them, "Book all" books them in one transaction (all or
nothing) and is refused while any row has a conflict. Every step is a POST that re-renders the
rows with their conflicts, so nothing typed is lost.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.access import access_patient
from ketacare.plans.models import TreatmentPlan
from ketacare.scheduling import booking, planner
from ketacare.scheduling.calendar import ClinicCalendar
from ketacare.scheduling.forms import BookingForm, SeriesRowFormSet, SeriesSetupForm
from ketacare.scheduling.series import local_datetime
from ketacare.scheduling.views import add_errors


@staff_view(Perm.APPOINTMENT_BOOK)
@require_http_methods(["GET", "POST"])
def book(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.APPOINTMENT_BOOK)
    zone = clinic_zone(request.clinic)
    form = BookingForm(
        request.POST or None,
        clinic=request.clinic,
        patient=patient,
        zone=zone,
        initial={"date": clinic_today(request.clinic) + timedelta(days=1), "type": "treatment"},
    )
    if request.method == "POST" and form.is_valid():
        when = form.when()
        assert when is not None
        data = form.cleaned_data
        try:
            appointment = booking.do_book(
                actor_from_request(request),
                request.clinic,
                patient,
                booking.Booking(
                    type=data["type"],
                    starts_at=when[0],
                    ends_at=when[1],
                    resource=data["resource"],
                    clinician=data["clinician"],
                    plan=data["plan"],
                    notes=data["notes"],
                ),
            )
        except ActionError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Appointment booked.")
            return redirect("scheduling:appointment", appointment_id=appointment.pk)
    return render(
        request,
        "scheduling/book.html",
        {"form": form, "patient": patient},
        status=400 if request.method == "POST" else 200,
    )


def _plan(request: ClinicRequest, patient: Any, plan_id: int) -> TreatmentPlan:
    plan = TreatmentPlan.objects.filter(clinic=request.clinic, patient=patient, pk=plan_id).first()
    if plan is None:
        raise Http404("No such plan for this patient.")
    return plan


def _row_forms(rows: list[planner.PlannedRow], zone: Any) -> list[dict[str, Any]]:
    initial = []
    for row in rows:
        if row.starts_at is None:
            continue
        local = row.starts_at.astimezone(zone)
        initial.append(
            {
                "number": row.number,
                "date": local.date(),
                "time": local.time().replace(second=0, microsecond=0),
                "resource": row.resource.pk if row.resource else None,
            }
        )
    return initial


@staff_view(Perm.APPOINTMENT_BOOK)
@require_http_methods(["GET", "POST"])
def series(request: ClinicRequest, patient_id: str, plan_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.APPOINTMENT_BOOK)
    plan = _plan(request, patient, plan_id)
    clinic = request.clinic
    calendar = ClinicCalendar.load(clinic)
    zone = calendar.zone
    try:
        booking.check_plan(clinic, patient, plan, "treatment")
        defaults = planner.plan_defaults(plan)
    except ActionError as problem:
        return render(
            request,
            "scheduling/series.html",
            {"patient": patient, "plan": plan, "refusal": problem.message},
            status=400 if request.method == "POST" else 200,
        )
    start = max(plan.starts_on or clinic_today(clinic), clinic_today(clinic))
    setup_form = SeriesSetupForm(
        request.POST or None,
        initial={"start_on": start, "time_1": "10:00", "duration_min": defaults.duration_min},
        prefix="setup",
    )
    step = request.POST.get("step", "") if request.method == "POST" else ""
    rows_formset = None
    notes: dict[int, list[str]] = {}
    conflicts: dict[int, list[Any]] = {}
    unplaced: list[planner.PlannedRow] = []
    status = 200
    if step == "propose" and setup_form.is_valid():
        proposed = planner.propose(
            calendar,
            patient,
            plan,
            setup_form.cleaned_data["start_on"],
            setup_form.times(),
            setup_form.cleaned_data["duration_min"],
            defaults,
        )
        notes = {r.number: r.notes for r in proposed}
        conflicts = {r.number: r.conflicts for r in proposed}
        unplaced = [r for r in proposed if r.starts_at is None]
        rows_formset = SeriesRowFormSet(
            initial=_row_forms(proposed, zone), form_kwargs={"clinic": clinic}, prefix="rows"
        )
        if unplaced:
            messages.warning(
                request, f"{len(unplaced)} session(s) could not be placed; see the notes."
            )
    elif step in ("check", "save") and setup_form.is_valid():
        rows_formset = SeriesRowFormSet(request.POST, form_kwargs={"clinic": clinic}, prefix="rows")
        if rows_formset.is_valid():
            minutes = setup_form.cleaned_data["duration_min"]
            rows = []
            for form in rows_formset.forms:
                data = form.cleaned_data
                if not data:
                    continue
                starts = local_datetime(data["date"], data["time"], zone)
                rows.append(
                    booking.SeriesRow(
                        data["number"],
                        starts,
                        starts + timedelta(minutes=minutes),
                        data["resource"],
                    )
                )
            if step == "save":
                try:
                    booked = booking.do_book_series(
                        actor_from_request(request), clinic, patient, plan, rows
                    )
                except booking.ConflictError as problem:
                    conflicts = {rows[i].number: found for i, found in problem.rows.items()}
                    status = 400
                except ActionError as problem:
                    messages.error(request, problem.message)
                    status = 400
                else:
                    messages.success(request, f"Booked {len(booked)} sessions.")
                    return redirect("patients:chart", patient_id=patient.pk)
            else:
                results = planner.recheck(calendar, patient, plan, rows, defaults.needs)
                conflicts = {row.number: found for row, found in zip(rows, results, strict=True)}
        else:
            status = 400
    elif request.method == "POST":
        status = 400
    rows_view = []
    if rows_formset is not None:
        for form in rows_formset.forms:
            number = _int(form.initial.get("number") or form["number"].value()) or 0
            rows_view.append(
                {
                    "form": form,
                    "number": number,
                    "notes": notes.get(number, []),
                    "conflicts": conflicts.get(number, []),
                }
            )
    any_conflict = any(conflicts.values())
    return render(
        request,
        "scheduling/series.html",
        {
            "patient": patient,
            "plan": plan,
            "defaults": defaults,
            "setup_form": setup_form,
            "formset": rows_formset,
            "rows": rows_view,
            "any_conflict": any_conflict,
            "unplaced": unplaced,
            "checked": step in ("propose", "check", "save"),
        },
        status=status,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
