"""The patient's appointment page at /a/<token>/ (no sign-in; the token from the reminder is
the key): the appointment, the pre-visit instructions, and confirm / cancel / ask for another
time. Each action posts back to the same address and is redirected there (POST-redirect-GET);
the page shows the new state. It renders on the clinic's wall clock (`core.clinic_time`).

As with the /r/ questionnaire links, an unknown, replaced or expired token (the appointment has
started) gets one friendly page with the clinic's phone and crisis lines, never the reason, and
unusable tokens are counted per client address as guesses (429 past the limit). Pages carry
`Referrer-Policy: no-referrer`, `X-Robots-Tag: noindex` and `Cache-Control: no-store`.

Safety (issue #7 items 1-2), as on the /r/ and /sp/ link pages:
- Every page, the "cannot be used" one too, has "I need help now" (`safety/_help_now.html`),
  posting to /a/<token>/help/ (`help_now`): `safety.patient_help.do_patient_help` raises the
  high flag for the token's patient (audited `safety.patient.help_requested`), then the crisis
  lines. The patient is known, so an expired link (the visit has started, been cancelled or
  held) still reaches the care team; an unknown or replaced token raises nothing and says so.
- The free-text reason for cancelling is read for risk words (`clinical.risk_words`, as the
  portal's messages): a high flag in the same transaction as the cancellation
  (`link_risk.do_cancel_by_link_scanned`), and the next page opens with the crisis lines. A
  reason the form refuses (too long), or one posted to a link that can no longer cancel, is
  read too.
"""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import client_ip
from ketacare.accounts.models import Clinic
from ketacare.core.clinic_time import in_clinic_time_zone
from ketacare.measures.selfreport_views import (
    MAYBE_SENT,
    NOT_SENT,
    patient_csrf,
    token_credential,
)
from ketacare.safety.patient_help import do_patient_help
from ketacare.safety.resources import crisis_context, tel
from ketacare.scheduling import link_risk, reminders
from ketacare.scheduling.models import Appointment

logger = logging.getLogger("ketacare.scheduling")

GUESS_LIMIT = 30
GUESS_WINDOW_SECONDS = 15 * 60
ACTIONS = (("confirm", "Confirm"), ("cancel", "Cancel"), ("reschedule", "Ask for another time"))
# The POST-redirect-GET after a cancellation whose reason raised a flag: the page it lands on
# opens with "your care team has been told" and the crisis lines.
TOLD_SESSION_KEY = "appointment_link_risk_told"


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
    # The lines of the clinic's country, then the clinic's crisis number and hours (safety
    # settings: `clinic_phone`/`clinic_tel`); `clinic_main_tel` dials the clinic's main number.
    return {
        "clinic": clinic,
        **crisis_context(clinic),
        "clinic_main_tel": tel(clinic.phone) if clinic and clinic.phone else "",
    }


def _help_action(request: HttpRequest, pressed: str = "") -> str:
    token = request.resolver_match.kwargs.get("token", "") if request.resolver_match else ""
    return reverse("appointment_link:help", args=[token]) if token and not pressed else ""


def _unavailable(
    request: HttpRequest,
    status: int = 404,
    pressed: str = "",
    context: dict[str, Any] | None = None,
) -> HttpResponse:
    """The one page for every token that cannot be used, whatever the reason. It has the
    "I need help now" button (an expired link still reaches the care team); after a press it
    says whether the care team was told (`pressed`)."""
    if context is None:
        # Naming the clinic would confirm that a guessed token was real; with a single clinic
        # on the server its number is the same for every token, so it can be shown.
        clinics = list(Clinic.objects.order_by("pk")[:2])
        context = _clinic_context(clinics[0] if len(clinics) == 1 else None)
    context = {**context, "help_action": _help_action(request, pressed), "pressed": pressed}
    return _private(render(request, "scheduling_public/unavailable.html", context, status=status))


# --- actions: the link's safety checks --------------------------------------------------------
# They belong with the other link actions in `reminders`; they live here for now.


def appointment_for_help(raw_token: str) -> Appointment | None:
    """The appointment of a token whatever its status or time (None when unknown or replaced).

    `reminders.find_appointment` hides a link once the visit has started or is over; a press
    for help, or risk words typed on the page, must not: the patient is known, and a person in
    crisis is not turned away because a link aged (as `safety.patient_help.plan_link_for_help`).
    """
    if not raw_token or len(raw_token) > 100:
        return None
    return (
        Appointment.objects.select_related("clinic", "patient", "patient__clinic")
        .filter(link_token_hash=reminders.hash_token(raw_token))
        .first()
    )


# --- views ------------------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    appointment: Appointment,
    form: LinkActionForm | None = None,
    problem: str = "",
    status: int = 200,
    told: bool = False,
) -> HttpResponse:
    context = {
        **_clinic_context(appointment.clinic),
        "appointment": appointment,
        "when": reminders.local_when(appointment),
        "where": reminders.place(appointment),
        "instructions": reminders.pre_visit_instructions(appointment),
        "form": form or LinkActionForm(),
        "problem": problem,
        "help_action": _help_action(request),
        "told": told,  # a reason just given had risk words: the care team has been told
    }
    return _private(render(request, "scheduling_public/appointment.html", context, status=status))


@patient_csrf
@require_http_methods(["GET", "POST"])
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    if _rate_limited(request):
        _closed_link_reason(request, token)
        return _unavailable(request, status=429)
    appointment = reminders.find_appointment(token)
    if appointment is None:
        _count_guess(request)
        _closed_link_reason(request, token)
        return _unavailable(request)
    with in_clinic_time_zone(appointment.clinic):
        return _open(request, token, appointment)


def _closed_link_reason(request: HttpRequest, token: str) -> None:
    """A cancellation reason posted to a link that can no longer cancel (the visit started,
    a busy address) is still read: risk words in it reach the care team. The page shown is
    the same as for any refused token, so a guesser learns nothing."""
    reason = str(request.POST.get("reason", "")) if request.method == "POST" else ""
    appointment = appointment_for_help(token) if reason.strip() else None
    if appointment is None:
        return
    try:
        link_risk.do_scan_cancel_reason(appointment, client_ip(request), reason)
    except DatabaseError:  # logged; the refusal page shows the crisis lines all the same
        logger.exception("Risk words on appointment link %s were not recorded", appointment.pk)


def _open(request: HttpRequest, token: str, appointment: Appointment) -> HttpResponse:
    ip = client_ip(request)
    if request.method == "GET":
        reminders.do_open_appointment_link(appointment, ip)
        told = request.session.pop(TOLD_SESSION_KEY, None) == str(appointment.pk)
        return _page(request, appointment, told=told)
    form = LinkActionForm(request.POST)
    if not form.is_valid():
        # A reason the form refuses (too long) is shown again to shorten; risk words in it
        # reach the care team now.
        flag = link_risk.do_scan_cancel_reason(appointment, ip, str(request.POST.get("reason", "")))
        return _page(request, appointment, form=form, status=400, told=flag is not None)
    action = form.cleaned_data["action"]
    told = False
    try:
        if action == "confirm":
            reminders.do_confirm_by_link(appointment, ip)
        elif action == "cancel":
            cancelled = link_risk.do_cancel_by_link_scanned(
                appointment, ip, form.cleaned_data["reason"]
            )
            told = cancelled.flag is not None
        else:
            reminders.do_request_reschedule_by_link(appointment, ip)
    except ActionError as problem:
        if problem.field == "link":
            return _unavailable(request)
        return _page(request, appointment, form=form, problem=problem.message, status=400)
    if told:
        request.session[TOLD_SESSION_KEY] = str(appointment.pk)
    return _private(redirect("appointment_link:open", token=token))


# No CSRF check: the token in the address is the credential (`token_credential`, as on /r/
# and /sp/), and a check could only refuse a patient's press from a page whose CSRF token
# went stale.
@token_credential
@require_http_methods(["GET", "POST"])
def help_now(request: HttpRequest, token: str) -> HttpResponse:
    """ "I need help now" on the appointment page: a high flag for the token's patient, then
    the crisis lines. A GET (the address reopened) raises nothing and goes back to the page.

    A busy address (429) still raises the flag of a real token; its answer is the same
    whatever the token, so a guess learns nothing."""
    if request.method == "GET":
        return _private(redirect("appointment_link:open", token=token))
    limited = _rate_limited(request)
    appointment = appointment_for_help(token)
    if appointment is None:
        if limited:
            return _unavailable(request, status=429, pressed=MAYBE_SENT)
        _count_guess(request)
        return _unavailable(request, pressed=NOT_SENT)
    clinic = appointment.clinic
    try:
        do_patient_help(
            reminders.patient_actor(appointment, client_ip(request)),
            appointment.patient,
            "their appointment link page",
            {"appointment": str(appointment.pk)},
        )
    except DatabaseError:  # a lock timeout, a lost connection: say so, never a bare 500
        logger.exception("A help press on appointment link %s was not recorded", appointment.pk)
        return _unavailable(request, 503, NOT_SENT, _clinic_context(clinic))
    if limited:
        return _unavailable(request, status=429, pressed=MAYBE_SENT)
    usable = reminders.find_appointment(token) is not None
    context = {
        **_clinic_context(clinic),
        "back_url": reverse("appointment_link:open", args=[token]) if usable else "",
    }
    return _private(render(request, "scheduling_public/help.html", context))
