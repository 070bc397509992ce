"""The patient's appointment page at /a/<token>/ (no sign-in; the token from the reminder is
the key): the appointment, the pre-visit instructions, and confirm / cancel / ask for another
time. Each action posts back to the same address and is redirected there (POST-redirect-GET);
the page shows the new state. It renders on the clinic's wall clock (`core.clinic_time`).

As with the /r/ questionnaire links, an unknown, replaced or expired token (the appointment has
started) gets one friendly page with the clinic's phone and crisis lines, never the reason, and
unusable tokens are counted per client address as guesses (429 past the limit). Pages carry
`Referrer-Policy: no-referrer`, `X-Robots-Tag: noindex` and `Cache-Control: no-store`.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import client_ip
from ketacare.accounts.models import Clinic
from ketacare.core.clinic_time import in_clinic_time_zone
from ketacare.measures.selfreport_views import patient_csrf
from ketacare.safety.resources import crisis_context
from ketacare.scheduling import reminders
from ketacare.scheduling.models import Appointment

GUESS_LIMIT = 30
GUESS_WINDOW_SECONDS = 15 * 60
ACTIONS = (("confirm", "Confirm"), ("cancel", "Cancel"), ("reschedule", "Ask for another time"))


class LinkActionForm(forms.Form):
    action = forms.ChoiceField(choices=ACTIONS)
    reason = forms.CharField(
        label="Reason for cancelling (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


def _guess_key(request: HttpRequest) -> str:
    return f"appointment-link:guesses:{client_ip(request) or 'unknown'}"


def _rate_limited(request: HttpRequest) -> bool:
    return int(cache.get(_guess_key(request), 0)) >= GUESS_LIMIT


def _count_guess(request: HttpRequest) -> None:
    key = _guess_key(request)
    if not cache.add(key, 1, GUESS_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, GUESS_WINDOW_SECONDS)


def _clinic_context(clinic: Clinic | None) -> dict[str, Any]:
    crisis = crisis_context(clinic)  # the lines of the clinic's country (safety settings)
    return {
        "clinic": clinic,
        "clinic_tel": re.sub(r"[^0-9+]", "", clinic.phone) if clinic and clinic.phone else "",
        "clinic_hours": crisis["clinic_hours"],
        "crisis_lines": crisis["crisis_lines"],
        "crisis_emergency": crisis["crisis_emergency"],
    }


def _unavailable(request: HttpRequest, status: int = 404) -> HttpResponse:
    # Naming the clinic would confirm that a guessed token was real; with a single clinic on
    # the server its number is the same for every token, so it can be shown.
    clinics = list(Clinic.objects.order_by("pk")[:2])
    clinic = clinics[0] if len(clinics) == 1 else None
    context = _clinic_context(clinic)
    return _private(render(request, "scheduling_public/unavailable.html", context, status=status))


def _page(
    request: HttpRequest,
    appointment: Appointment,
    form: LinkActionForm | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        **_clinic_context(appointment.clinic),
        "appointment": appointment,
        "when": reminders.local_when(appointment),
        "where": reminders.place(appointment),
        "instructions": reminders.pre_visit_instructions(appointment),
        "form": form or LinkActionForm(),
        "problem": problem,
    }
    return _private(render(request, "scheduling_public/appointment.html", context, status=status))


@patient_csrf
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    if _rate_limited(request):
        return _unavailable(request, status=429)
    appointment = reminders.find_appointment(token)
    if appointment is None:
        _count_guess(request)
        return _unavailable(request)
    with in_clinic_time_zone(appointment.clinic):
        return _open(request, token, appointment)


def _open(request: HttpRequest, token: str, appointment: Appointment) -> HttpResponse:
    ip = client_ip(request)
    if request.method == "GET":
        reminders.do_open_appointment_link(appointment, ip)
        return _page(request, appointment)
    form = LinkActionForm(request.POST)
    if not form.is_valid():
        return _page(request, appointment, form=form, status=400)
    action = form.cleaned_data["action"]
    try:
        if action == "confirm":
            reminders.do_confirm_by_link(appointment, ip)
        elif action == "cancel":
            reminders.do_cancel_by_link(appointment, ip, form.cleaned_data["reason"])
        else:
            reminders.do_request_reschedule_by_link(appointment, ip)
    except ActionError as problem:
        if problem.field == "link":
            return _unavailable(request)
        return _page(request, appointment, form=form, problem=problem.message, status=400)
    return _private(redirect("appointment_link:open", token=token))
