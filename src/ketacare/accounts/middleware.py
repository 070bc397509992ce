"""Session middleware: idle log-off, the active clinic, and mandatory two-factor sign-in."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.audit import audit

if TYPE_CHECKING:
    from ketacare.accounts.models import Clinic

SESSION_CLINIC_KEY = "active_clinic_id"
SESSION_LAST_SEEN_KEY = "last_seen"
LAST_SEEN_RESOLUTION_S = 30
# Token-authenticated APIs and static files carry no session state to police.
# Public pages for patients and visitors (/r/ self-report links, /c/ consultation requests)
# must never be interrupted by a staff session's rules.
SESSIONLESS_PREFIXES = ("/static/", "/api/", "/fhir/", "/r/", "/c/", "/a/")


def _is_sessionless(request: HttpRequest) -> bool:
    return request.path.startswith(SESSIONLESS_PREFIXES)


class IdleTimeoutMiddleware:
    """Sign a user out after KETACARE_IDLE_TIMEOUT_MINUTES without a request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and not _is_sessionless(request):
            now = time.time()
            last_seen = request.session.get(SESSION_LAST_SEEN_KEY)
            idle_limit = settings.IDLE_TIMEOUT_MINUTES * 60
            # A page's background poll (header X-KetaCare-Passive) is not the user at work.
            passive = request.headers.get("X-KetaCare-Passive") == "1"
            if last_seen is not None and now - float(last_seen) > idle_limit:
                if passive:
                    # No data for an idle page, but the sign-out (with its message and audit
                    # entry) is left to the page's own reload, which the user will see.
                    return HttpResponse(status=401)
                audit(
                    request,
                    "accounts.session.timed_out",
                    detail={"idle_minutes": settings.IDLE_TIMEOUT_MINUTES},
                )
                logout(request)
                if request.method == "POST" and request.path == reverse("portal:help_now"):
                    # "I need help now" is never turned away by the idle sign-out: the
                    # portal's view raises it from the form's ticket (portal.help_ticket).
                    return self.get_response(request)
                target = reverse("accounts:login") + "?timeout=1"
                if request.method == "GET":
                    target += "&next=" + quote(request.path)
                return HttpResponseRedirect(target)
            # Rewriting the session row on every request costs a database write; the idle
            # clock only needs minute precision, so refresh it at most every 30 seconds.
            if not passive and (
                last_seen is None or now - float(last_seen) > LAST_SEEN_RESOLUTION_S
            ):
                request.session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


class ActiveClinicMiddleware:
    """Attach `request.clinic` and `request.membership` from the session's chosen clinic, and
    make the clinic's time zone the current one for the request: every time a page shows
    ("next vitals due 14:35") and every date and time a form reads is the clinic's wall
    clock, not the server's (settings.TIME_ZONE is only the fallback)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.clinic = None  # type: ignore[attr-defined]
        request.membership = None  # type: ignore[attr-defined]
        if request.user.is_authenticated and not _is_sessionless(request):
            memberships = list(request.user.active_memberships())
            chosen = request.session.get(SESSION_CLINIC_KEY)
            membership = next((m for m in memberships if m.clinic_id == chosen), None)
            if membership is None and len(memberships) == 1:
                membership = memberships[0]
                request.session[SESSION_CLINIC_KEY] = membership.clinic_id
            if membership is not None:
                request.clinic = membership.clinic  # type: ignore[attr-defined]
                request.membership = membership  # type: ignore[attr-defined]
            request.memberships = memberships  # type: ignore[attr-defined]
        zone = clinic_zone_or_none(request.clinic)  # type: ignore[attr-defined]
        if zone is not None:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            # Also after a token call: the JSON API activates its token's clinic's zone when
            # it authenticates (api.router.BearerToken); a thread's next request starts clean.
            timezone.deactivate()


def clinic_zone_or_none(clinic: Clinic | None) -> ZoneInfo | None:
    if clinic is None:
        return None
    try:
        return ZoneInfo(clinic.time_zone)
    except (ValueError, KeyError):  # an unknown zone name: the server's (settings.TIME_ZONE)
        return None


MFA_EXEMPT_NAMES = ("accounts:mfa_verify", "accounts:mfa_setup", "accounts:logout")


class MfaRequiredMiddleware:
    """A user with an authenticator, or in a clinic that demands one, must pass TOTP."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # OTPMiddleware adds is_verified() to the user object.
        verified = getattr(user, "is_verified", lambda: False)()
        if user.is_authenticated and not _is_sessionless(request) and not verified:
            exempt = {reverse(name) for name in MFA_EXEMPT_NAMES}
            if request.path not in exempt:
                from ketacare.accounts.mfa import has_confirmed_device, mfa_required_for

                if has_confirmed_device(user):
                    return HttpResponseRedirect(reverse("accounts:mfa_verify"))
                if mfa_required_for(user):
                    return HttpResponseRedirect(reverse("accounts:mfa_setup"))
        return self.get_response(request)
