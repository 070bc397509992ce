"""Self-report pages: the patient's phone form at /r/<token>/ (no sign-in), and the staff
actions on the chart that send or revoke a link.

Patient pages never say why a link does not work: a wrong, expired, used or revoked token
all get the same friendly page (with crisis resources), so the page is no oracle for
guessing tokens; guesses are also rate-limited per client address. Pages carry
`Referrer-Policy: no-referrer` (the token must not leak to other sites), `X-Robots-Tag:
noindex` and `Cache-Control: no-store`. The form renders on the clinic's wall clock
(`core.clinic_time`): "works until 6:00 PM" is the patient's clinic's 6 PM.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

import segno
from django.contrib import messages
from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import decorator_from_middleware
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit, client_ip
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical import scales
from ketacare.core.clinic_time import in_clinic_time_zone
from ketacare.measures import selfreport_actions as actions
from ketacare.measures.models import SelfReportLink
from ketacare.measures.selfreport_closed import do_answers_on_closed_link
from ketacare.measures.selfreport_forms import (
    DEFAULT_STEM,
    STEMS,
    AnswersForm,
    SendLinkForm,
    patient_problem,
    rows_for,
)
from ketacare.patients.access import access_patient
from ketacare.safety.resources import country_context, crisis_context


class NoReferrerCsrfMiddleware(CsrfViewMiddleware):
    """CSRF for pages sent with `Referrer-Policy: no-referrer`.

    Browsers send `Origin: null` on POSTs from such pages, which Django's origin check
    refuses. Here that one value is accepted and the CSRF token (cookie + form field) still
    has to match, which is Django's original defence.
    """

    # A private hook of CsrfViewMiddleware (Django 4.0+) that django-stubs does not declare.
    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null":
            return True
        return bool(super()._origin_verified(request))  # type: ignore[misc]


_no_referrer_csrf = decorator_from_middleware(NoReferrerCsrfMiddleware)
ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def patient_csrf(view: ViewFunc) -> ViewFunc:
    """Pages sent with no-referrer (`scheduling`'s): this check instead of the site-wide one."""
    return csrf_exempt(cast(ViewFunc, _no_referrer_csrf(view)))


def token_credential(view: ViewFunc) -> ViewFunc:
    """The patient's POSTs on /r/ and /sp/: no CSRF check, as the intake's token endpoints.

    The token in the address is the only credential, so a forged cross-site request has no
    ambient authority to borrow; the session the thanks page reads is SameSite=Lax, so a
    cross-site POST arrives without it and finds no link. A check could only fail the patient:
    a sign-in to the portal in another tab rotates the CSRF token, and the page's "I need help
    now" or its answers were then refused with a bare 403 (no flag, no crisis lines).
    """
    return cast(ViewFunc, csrf_exempt(view))


logger = logging.getLogger("ketacare.selfreport")

# Unusable-token answers per client address before every token answers "unavailable" (429).
GUESS_LIMIT = 30
GUESS_WINDOW_SECONDS = 15 * 60
DONE_SESSION_KEY = "selfreport_done"
# The thank-you page (and its help button) lasts this long, or until another link's form is
# opened in the same browser: a clinic tablet goes from patient to patient.
DONE_FOR = timedelta(hours=1)
# A POST this soon after the link was used up is the same patient's second press: thank them.
JUST_COMPLETED = timedelta(minutes=10)
MISSING = "Please answer this question."


# --- helpers ----------------------------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


def _guess_key(request: HttpRequest) -> str:
    return f"selfreport:guesses:{client_ip(request) or 'unknown'}"


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
    # Crisis lines, the clinic's crisis number and hours: per clinic and country (safety).
    return {"clinic": clinic, **crisis_context(clinic)}


# What the "cannot be used" page says about a press of "I need help now" it answers.
NOT_SENT = "not_sent"  # revoked or unknown link: nobody was told, and the page says so
MAYBE_SENT = "maybe_sent"  # a busy address: a real link's press went through, a guess's not


def _unavailable(request: HttpRequest, status: int = 404, pressed: str = "") -> HttpResponse:
    """The one page for every token that cannot be used, whatever the reason. It has the
    "I need help now" button (an expired or used link still reaches the care team); after a
    press it says whether the care team was told (`pressed`)."""
    # Naming the clinic would tell a guesser the token was real; with a single clinic on the
    # server its number is the same for every token, so it can be shown.
    clinics = list(Clinic.objects.order_by("pk")[:2])
    clinic = clinics[0] if len(clinics) == 1 else None
    return _unavailable_page(request, _clinic_context(clinic), status, pressed)


def _unavailable_page(
    request: HttpRequest, context: dict[str, Any], status: int, pressed: str
) -> HttpResponse:
    token = request.resolver_match.kwargs.get("token", "") if request.resolver_match else ""
    help_action = reverse("selfreport:help", args=[token]) if token and not pressed else ""
    context = {**context, "help_action": help_action, "pressed": pressed}
    return _private(render(request, "selfreport/unavailable.html", context, status=status))


def _usable(request: HttpRequest, token: str) -> SelfReportLink | None:
    """The link if it can be used now. Otherwise None, and the refusal is counted as a guess
    (`request.selfreport_refusal` holds the status to answer with)."""
    if _rate_limited(request):
        request.selfreport_refusal = 429  # type: ignore[attr-defined]
        return None
    link = actions.find_link(token)
    if link is None or not actions.usable_now(link):
        _count_guess(request)
        request.selfreport_refusal = 404  # type: ignore[attr-defined]
        return None
    return link


def _refused(request: HttpRequest) -> HttpResponse:
    return _unavailable(request, status=getattr(request, "selfreport_refusal", 404))


def _refused_post(request: HttpRequest, token: str) -> HttpResponse:
    """A POST on a link that cannot be used. A double tap on "Send my answers" (or a reload
    that posts again) reaches a link its first press has just used up: that patient gets the
    thank-you page, not "This link cannot be used" (which reads as if the answers were lost).
    """
    if request.method == "POST" and getattr(request, "selfreport_refusal", 404) == 404:
        link = actions.find_link(token)
        if link is not None:
            _closed_link_answers(request, link)
        done_at = link.completed_at if link is not None and link.revoked_at is None else None
        if link is not None and done_at and timezone.now() - done_at <= JUST_COMPLETED:
            _remember_done(request, link)
            return _private(redirect("selfreport:thanks"))
    return _refused(request)


def _closed_link_answers(request: HttpRequest, link: SelfReportLink) -> None:
    """A risk answer posted to a closed link still reaches the care team (not stored; the
    page shown is the same as for any refused link, so a guesser learns nothing)."""
    posted = str(request.POST.get("scale", ""))
    if posted not in link.scale_codes:
        return
    form = AnswersForm(scales.get_scale(posted), request.POST)
    form.is_valid()
    do_answers_on_closed_link(link, posted, form.posted_answers(), client_ip(request))


def _first_name(link: SelfReportLink) -> str:
    patient = link.patient
    return patient.preferred_name or patient.legal_given_name


def _page(
    request: HttpRequest,
    link: SelfReportLink,
    scale_code: str,
    *,
    form: AnswersForm | None = None,
    extra_errors: dict[str, str] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    scale = scales.get_scale(scale_code)
    rows = rows_for(scale, actions.draft_answers(link, scale_code), form, extra_errors)
    position = link.scale_codes.index(scale_code) + 1
    context = {
        **_clinic_context(link.patient.clinic),
        "token": request.resolver_match.kwargs["token"] if request.resolver_match else "",
        "first_name": _first_name(link),
        "scale": scale,
        "stem": STEMS.get(scale_code, DEFAULT_STEM),
        "rows": rows,
        "error_rows": [row for row in rows if row.errors],
        "problem": problem,
        "position": position,
        "count": len(link.scale_codes),
        "is_last": position == len(link.scale_codes),
        "show_crisis": actions.crisis_shown(link),
        "expires_at": link.expires_at,
        "finish_now": link.expires_at <= timezone.now(),  # in FINISHING_GRACE
    }
    return _private(render(request, "selfreport/form.html", context, status=status))


# --- the patient's pages ----------------------------------------------------------------------


@token_credential
@require_http_methods(["GET", "POST"])
def fill(request: HttpRequest, token: str) -> HttpResponse:
    link = _usable(request, token)
    if link is None:
        return _refused_post(request, token)
    scale_code = actions.current_scale(link)
    if scale_code is None:
        return _refused(request)
    with in_clinic_time_zone(link.patient.clinic):
        return _fill(request, token, link, scale_code)


def _fill(request: HttpRequest, token: str, link: SelfReportLink, scale_code: str) -> HttpResponse:
    ip = client_ip(request)
    if request.method == "GET":
        done = request.session.get(DONE_SESSION_KEY)
        if isinstance(done, dict) and done.get("link") != link.pk:
            del request.session[DONE_SESSION_KEY]  # the next patient on a shared tablet
        actions.do_open_link(link, ip)
        return _page(request, link, scale_code)
    if request.POST.get("scale") != scale_code:
        # A stale page (back button, second tab): show the questionnaire that is open now, but
        # first make sure a risk answer given there reaches the care team.
        _late_answers(request, link, ip)
        return _private(redirect("selfreport:fill", token=token))
    form = AnswersForm(scales.get_scale(scale_code), request.POST)
    valid = form.is_valid()
    answers = form.posted_answers()
    try:
        if not valid or request.POST.get("action") == "save":
            actions.do_save_draft(link, scale_code, answers, ip)
            if not valid:
                extra = {}
                if request.POST.get("action") != "save":  # name what is still missing too
                    saved = actions.draft_answers(link, scale_code)
                    missing = actions.missing_items(link.patient, scale_code, saved)
                    extra = {m: MISSING for m in missing if m not in form.errors}
                return _page(request, link, scale_code, form=form, extra_errors=extra, status=400)
            return _private(
                render(
                    request,
                    "selfreport/saved.html",
                    {
                        **_clinic_context(link.patient.clinic),
                        "token": token,
                        "first_name": _first_name(link),
                        "expires_at": link.expires_at,
                        "finish_now": link.expires_at <= timezone.now(),
                        "show_crisis": actions.crisis_shown(link),
                    },
                )
            )
        result = actions.do_submit_scale(link, scale_code, answers, ip)
    except actions.MissingAnswers as missing:
        errors = dict.fromkeys(missing.items, MISSING)
        return _page(request, link, scale_code, form=form, extra_errors=errors, status=400)
    except ActionError as problem:
        if problem.field == "link":  # used up by a second press an instant ago, or revoked
            return _refused_post(request, token)
        if problem.field == "submitted":  # a double click: show what is open now
            return _private(redirect("selfreport:fill", token=token))
        item_ids = {item.link_id for item in scales.get_scale(scale_code).items}
        if problem.field in item_ids:
            errors = {problem.field: problem.message}
            return _page(request, link, scale_code, form=form, extra_errors=errors, status=400)
        return _page(
            request,
            link,
            scale_code,
            form=form,
            problem=patient_problem(problem.field, problem.message),
            status=400,
        )
    if result.completed:
        _remember_done(request, link)
        return _private(redirect("selfreport:thanks"))
    return _private(redirect("selfreport:fill", token=token))


def _late_answers(request: HttpRequest, link: SelfReportLink, ip: str) -> None:
    posted = str(request.POST.get("scale", ""))
    if posted not in link.scale_codes or posted not in actions.submitted(link):
        return
    form = AnswersForm(scales.get_scale(posted), request.POST)
    form.is_valid()
    with suppress(ActionError):  # the link was used up meanwhile: nothing to add
        actions.do_late_answers(link, posted, form.posted_answers(), ip)


@token_credential
@require_POST
def autosave(request: HttpRequest, token: str) -> HttpResponse:
    """Small JavaScript saves each answer as it is given (the page works without it too)."""
    link = _usable(request, token)
    scale_code = actions.current_scale(link) if link is not None else None
    if link is None or scale_code is None or request.POST.get("scale") != scale_code:
        return _private(JsonResponse({"saved": False}, status=404))
    form = AnswersForm(scales.get_scale(scale_code), request.POST)
    form.is_valid()
    try:
        crisis = actions.do_save_draft(
            link, scale_code, dict(form.posted_answers()), client_ip(request)
        )
    except ActionError:
        return _private(JsonResponse({"saved": False}, status=404))
    errors = {name: list(errs) for name, errs in form.errors.items()}
    return _private(JsonResponse({"saved": True, "crisis": crisis, "errors": errors}))


@token_credential
@require_http_methods(["GET", "POST"])
def help_now(request: HttpRequest, token: str) -> HttpResponse:
    """ "I need help now": tell the care team (a high-level risk flag) and show crisis lines.

    A GET (the help page's address reopened: a restored tab, the history list) raises nothing
    and goes back to the link's page, which shows the crisis lines after a press, rather than
    a bare 405."""
    if request.method == "GET":
        return _private(redirect("selfreport:fill", token=token))
    if _rate_limited(request):
        # A patient in crisis behind a busy shared address (a clinic's or a hospital's Wi-Fi)
        # must still reach the care team: a real link's press raises its flag all the same.
        # The answer is the same whatever the token, so a guess still learns nothing.
        link = actions.find_link(token)
        if link is not None:
            # A revoked link raises nothing, as below; a database failure is logged, and this
            # page already tells the patient not to wait.
            try:
                actions.do_request_help(link, client_ip(request))
            except ActionError:
                pass
            except DatabaseError:
                logger.exception("A help press on self-report link %s was not recorded", link.pk)
        return _unavailable(request, status=429, pressed=MAYBE_SENT)
    link = actions.find_link(token)
    if link is None:
        _count_guess(request)
        return _unavailable(request, pressed=NOT_SENT)
    return _help(request, link, token)


def _help(request: HttpRequest, link: SelfReportLink, token: str) -> HttpResponse:
    # An expired or completed link still reaches the care team (the patient is known); only a
    # revoked one raises nothing. Its page names no clinic, but shows the lines of the clinic's
    # country: a patient abroad must not be handed 988.
    try:
        actions.do_request_help(link, client_ip(request))
    except ActionError:
        context = {"clinic": None, **country_context(link.patient.clinic)}
        return _unavailable_page(request, context, 404, NOT_SENT)
    except DatabaseError:  # a lock timeout, a lost connection: say so, never a bare 500
        logger.exception("A help press on self-report link %s was not recorded", link.pk)
        return _unavailable_page(request, _clinic_context(link.patient.clinic), 503, NOT_SENT)
    context = {
        **_clinic_context(link.patient.clinic),
        "first_name": _first_name(link),
        "token": token if actions.usable_now(link) else "",
    }
    return _private(render(request, "selfreport/help.html", context))


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    link = _done_link(request)
    if link is None:
        return _refused(request)
    context = {
        **_clinic_context(link.patient.clinic),
        "first_name": _first_name(link),
        "show_crisis": actions.crisis_shown(link),
    }
    return _private(render(request, "selfreport/thanks.html", context))


@token_credential
@require_http_methods(["GET", "POST"])
def thanks_help(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":  # reopened: back to the thank-you page, nothing raised
        return _private(redirect("selfreport:thanks"))
    link = _done_link(request, max_age=None)
    if link is None:
        return _unavailable(request, pressed=NOT_SENT)
    return _help(request, link, "")


def _remember_done(request: HttpRequest, link: SelfReportLink) -> None:
    request.session[DONE_SESSION_KEY] = {"link": link.pk, "at": timezone.now().isoformat()}


def _done_link(request: HttpRequest, max_age: timedelta | None = DONE_FOR) -> SelfReportLink | None:
    """The link this browser finished. `max_age` None: a press of "I need help now" on a
    thank-you page left open longer still reaches the care team (a false alarm from the next
    person on a tablet is better than a patient's lost call; opening the next link ends it)."""
    done = request.session.get(DONE_SESSION_KEY) or {}
    link_id = done.get("link") if isinstance(done, dict) else None
    try:
        at = datetime.fromisoformat(done["at"])
    except (KeyError, TypeError, ValueError):
        return None
    if not isinstance(link_id, int) or (max_age and timezone.now() - at > max_age):
        return None
    return (
        SelfReportLink.objects.select_related("patient", "patient__clinic")
        .filter(pk=link_id, completed_at__isnull=False)
        .first()
    )


# --- staff: send and revoke from the chart ----------------------------------------------------


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def send_link(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SELF_REPORT_SEND)
    if request.method == "GET":
        audit(
            request,
            "measures.selfreport.send_form_viewed",
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
        )
        return render(
            request,
            "measures_clinic/send_link.html",
            {"patient": patient, "form": SendLinkForm(patient=patient)},
        )
    form = SendLinkForm(request.POST, patient=patient)
    if not form.is_valid():
        return render(
            request,
            "measures_clinic/send_link.html",
            {"patient": patient, "form": form},
            status=400,
        )
    try:
        issued = actions.do_issue_link(
            actor_from_request(request),
            patient,
            form.cleaned_data["scales"],
            context=form.cleaned_data["context"],
            channel=form.cleaned_data["channel"],
        )
    except ActionError as problem:
        field = problem.field if problem.field in form.fields else None
        form.add_error(field, problem.message)
        return render(
            request,
            "measures_clinic/send_link.html",
            {"patient": patient, "form": form},
            status=400,
        )
    qr = segno.make(issued.url, error="m").svg_inline(scale=4)
    return render(
        request,
        "measures_clinic/link_sent.html",
        {
            "patient": patient,
            "issued": issued,
            "qr": mark_safe(qr),  # noqa: S308  (segno's own SVG of our URL, no user input)
            "scale_names": [scales.get_scale(c).name for c in issued.link.scale_codes],
        },
    )


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def revoke_link(request: ClinicRequest, patient_id: str, link_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SELF_REPORT_SEND)
    link = SelfReportLink.objects.filter(patient=patient, pk=link_id).first()
    if link is not None and actions.do_revoke_link(actor_from_request(request), link):
        messages.success(request, "The questionnaire link was revoked; it no longer opens.")
    else:
        messages.info(request, "That link was already used, revoked or is not on this chart.")
    return HttpResponseRedirect(reverse("patients:chart", args=[patient.pk]) + "#selfreport")
