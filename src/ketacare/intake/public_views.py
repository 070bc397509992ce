"""The public pages under /c/<clinic_slug>/ (no sign-in): the consultation request form, its
thank-you page, and the newsletter confirm / unsubscribe pages.

- Every page carries `X-Robots-Tag: noindex` and `Cache-Control: no-store`; the token pages
  also `Referrer-Policy: no-referrer` (the token is in the URL).
- The form is CSRF-protected, but the check runs inside the view (the view is exempt from the
  middleware's) so that an oversize body can be answered with a friendly 413 page first: the
  middleware would read the body and fail with a bare 400.
- The newsletter confirm and unsubscribe POSTs are deliberately exempt from CSRF. Their token
  (256 bits, in the URL) is the credential: a forged cross-site POST would need the token,
  which only the mailbox owner has. RFC 8058 one-click unsubscribe requires it: the mail
  program POSTs `List-Unsubscribe=One-Click` to the URL with no cookie and no CSRF token.
- Wrong, used or expired tokens all get the same page (no oracle), and guesses are rate-limited
  per client address.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.accounts.audit import client_ip
from ketacare.accounts.models import Clinic
from ketacare.intake import newsletter, spam
from ketacare.intake.actions import do_submit_request
from ketacare.intake.forms import ConsultationForm
from ketacare.intake.models import SubscriberStatus
from ketacare.safety.resources import crisis_context

logger = logging.getLogger("ketacare.intake")


# --- helpers ----------------------------------------------------------------------------------


def _public(response: HttpResponse, *, token_page: bool = False) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    if token_page:
        response["Referrer-Policy"] = "no-referrer"
    return response


def _tel(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone)


def _context(clinic: Clinic | None, **extra: Any) -> dict[str, Any]:
    crisis = crisis_context(clinic)  # the lines of the clinic's country (safety settings)
    return {
        "clinic": clinic,
        "clinic_tel": _tel(clinic.phone) if clinic and clinic.phone else "",
        "clinic_hours": crisis["clinic_hours"],
        "crisis_lines": crisis["crisis_lines"],
        "crisis_emergency": crisis["crisis_emergency"],
        **extra,
    }


def _page(
    request: HttpRequest,
    template: str,
    clinic: Clinic | None,
    *,
    status: int = 200,
    token_page: bool = False,
    **extra: Any,
) -> HttpResponse:
    response = render(request, template, _context(clinic, **extra), status=status)
    return _public(response, token_page=token_page)


def _clinic(slug: str) -> Clinic | None:
    return Clinic.objects.filter(slug=slug).first()


def _unknown_clinic(request: HttpRequest) -> HttpResponse:
    return _page(request, "intake_public/unknown_clinic.html", None, status=404)


def _csrf_failed(request: HttpRequest) -> bool:
    """Run Django's CSRF check now (the view is exempt from the middleware's)."""

    def checked(request: HttpRequest) -> HttpResponse:  # a view that is not csrf_exempt
        return HttpResponse()

    middleware = CsrfViewMiddleware(checked)
    return middleware.process_view(request, checked, (), {}) is not None


# --- the consultation request form ------------------------------------------------------------


@csrf_exempt  # checked in the view, after the size check: see the module docstring
@require_http_methods(["GET", "POST"])
def consultation(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    clinic = _clinic(clinic_slug)
    if clinic is None:
        return _unknown_clinic(request)
    if request.method == "GET":
        return _form_page(request, clinic, ConsultationForm(clinic=clinic))
    if spam.over_attempt_limit(request):
        return _page(request, "intake_public/too_many.html", clinic, status=429)
    spam.count_attempt(request)
    try:
        posted = request.POST
    except (RequestDataTooBig, TooManyFieldsSent):
        return _page(request, "intake_public/too_large.html", clinic, status=413)
    if _csrf_failed(request):
        return _page(request, "intake_public/expired.html", clinic, status=403)
    form = ConsultationForm(posted, clinic=clinic)
    if form.is_spam:
        # Looks accepted to the robot; nothing is stored or sent.
        spam.count_submission(request)
        logger.info("consultation form honeypot filled (clinic %s); dropped", clinic.slug)
        return _public(redirect("intake_public:thanks", clinic_slug=clinic.slug))
    if not form.is_valid():
        return _form_page(request, clinic, form, status=400)
    if spam.over_submit_limit(request):
        return _page(request, "intake_public/too_many.html", clinic, status=429)
    spam.count_submission(request)
    done = do_submit_request(
        clinic, form.cleaned_data, network=spam.coarse_network(client_ip(request))
    )
    target = reverse("intake_public:thanks", kwargs={"clinic_slug": clinic.slug})
    shown = {"newsletter": "1"} if form.cleaned_data.get("newsletter") else {}
    if done.risk_words:
        shown["help"] = "1"  # the crisis lines first (no content of the request in the link)
    if shown:
        target += "?" + urlencode(shown)
    return _public(redirect(target))


def _form_page(
    request: HttpRequest, clinic: Clinic, form: ConsultationForm, status: int = 200
) -> HttpResponse:
    return _page(request, "intake_public/consultation_form.html", clinic, status=status, form=form)


@require_GET
def thanks(request: HttpRequest, clinic_slug: str) -> HttpResponse:
    clinic = _clinic(clinic_slug)
    if clinic is None:
        return _unknown_clinic(request)
    return _page(
        request,
        "intake_public/thanks.html",
        clinic,
        newsletter=request.GET.get("newsletter") == "1",
        help_first=request.GET.get("help") == "1",
    )


# --- newsletter: confirm and unsubscribe ------------------------------------------------------


def _invalid_link(request: HttpRequest, clinic: Clinic, *, count: bool = True) -> HttpResponse:
    if count:
        spam.count_token_guess(request)
    return _page(request, "intake_public/link_invalid.html", clinic, status=404, token_page=True)


@csrf_exempt  # the token is the credential: see the module docstring
@require_http_methods(["GET", "POST"])
def newsletter_confirm(request: HttpRequest, clinic_slug: str, token: str) -> HttpResponse:
    clinic = _clinic(clinic_slug)
    if clinic is None:
        return _unknown_clinic(request)
    if spam.over_token_guess_limit(request):
        return _page(request, "intake_public/too_many.html", clinic, status=429, token_page=True)
    network = spam.coarse_network(client_ip(request))
    if request.method == "GET":
        # Only a page with a button: mail scanners open links, and must not subscribe anyone.
        if newsletter.find_pending(clinic, token) is None:
            return _invalid_link(request, clinic)
        return _page(request, "intake_public/newsletter_confirm.html", clinic, token_page=True)
    subscriber = newsletter.do_confirm_subscription(clinic, token, network=network)
    if subscriber is None:
        return _invalid_link(request, clinic)
    return _page(request, "intake_public/newsletter_confirmed.html", clinic, token_page=True)


@csrf_exempt  # RFC 8058 one-click POSTs come from mail programs: see the module docstring
@require_http_methods(["GET", "POST"])
def newsletter_unsubscribe(request: HttpRequest, clinic_slug: str, token: str) -> HttpResponse:
    clinic = _clinic(clinic_slug)
    if clinic is None:
        return _unknown_clinic(request)
    if spam.over_token_guess_limit(request):
        return _page(request, "intake_public/too_many.html", clinic, status=429, token_page=True)
    if request.method == "GET":
        subscriber = newsletter.find_by_unsubscribe_token(clinic, token)
        if subscriber is None:
            return _invalid_link(request, clinic)
        if subscriber.status == SubscriberStatus.UNSUBSCRIBED:
            return _page(
                request, "intake_public/newsletter_unsubscribed.html", clinic, token_page=True
            )
        return _page(request, "intake_public/newsletter_unsubscribe.html", clinic, token_page=True)
    try:
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    except (RequestDataTooBig, TooManyFieldsSent):
        one_click = False
    subscriber = newsletter.do_unsubscribe(
        clinic, token, network=spam.coarse_network(client_ip(request)), one_click=one_click
    )
    if subscriber is None:
        return _invalid_link(request, clinic)
    return _page(request, "intake_public/newsletter_unsubscribed.html", clinic, token_page=True)
