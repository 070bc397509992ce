"""Portal: upcoming appointments with preparation instructions; confirm or ask to reschedule."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from ketacare.accounts.actions import ActionError
from ketacare.core import submission
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.portal import appointments as actions
from ketacare.portal.access import PortalRequest, portal_audit, portal_patient_required
from ketacare.scheduling import reminders
from ketacare.scheduling.models import Appointment


@portal_patient_required
@require_GET
def appointment_list(request: PortalRequest) -> HttpResponse:
    return _page(request)


def _page(
    request: PortalRequest, *, asking: str = "", note: str = "", error: str = ""
) -> HttpResponse:
    """The list; `asking` is the appointment whose "ask for another time" form is shown again,
    open, with the `note` typed and the `error` under it."""
    rows = [
        {
            "appointment": a,
            "when": reminders.local_when(a),
            "where": reminders.place(a),
            "instructions": reminders.pre_visit_instructions(a),
            "asking": str(a.pk) == asking,
        }
        for a in actions.upcoming(request.patient)
    ]
    portal_audit(request, "portal.appointments.viewed", detail={"count": len(rows)})
    return render(
        request,
        "portal/appointments.html",
        {"rows": rows, "note": note, "note_error": error},
        status=400 if error else 200,
    )


def _own(request: PortalRequest, appointment_id: str) -> None:
    if not Appointment.objects.filter(pk=appointment_id, patient=request.patient).exists():
        portal_audit(
            request,
            "portal.access.refused",
            outcome="denied",
            object_type="appointment",
            object_id=appointment_id,
        )
        raise Http404("No such appointment.")


@portal_patient_required
@require_POST
def confirm(request: PortalRequest, appointment_id: str) -> HttpResponse:
    _own(request, appointment_id)
    try:
        actions.do_confirm(request.portal_actor, request.patient, appointment_id)
    except ActionError as problem:
        messages.error(request, problem.message)
    else:
        messages.success(request, "Thank you: your appointment is confirmed.")
    return redirect("portal:appointments")


@portal_patient_required
@require_POST
def reschedule(request: PortalRequest, appointment_id: str) -> HttpResponse:
    _own(request, appointment_id)
    once, first = submission.page_key(
        request, submission.scope(actions.ONCE_RESCHEDULE, appointment_id)
    )
    if first:
        return already_saved(request, reverse("portal:appointments"))
    note = request.POST.get("note", "")
    problem = actions.note_problem(note)
    if problem:
        # Shown again with what was typed (a redirect lost it), the words under the field.
        return _page(request, asking=str(appointment_id), note=note, error=problem)
    try:
        actions.do_ask_reschedule(
            request.portal_actor, request.patient, appointment_id, note, once=once
        )
    except AlreadySaved:
        return already_saved(request, reverse("portal:appointments"))
    except ActionError as refused:
        if refused.field == "note":
            return _page(request, asking=str(appointment_id), note=note, error=refused.message)
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            "We got your request. Your appointment stays booked until the care team "
            "agrees a new time with you.",
        )
    return redirect("portal:appointments")
