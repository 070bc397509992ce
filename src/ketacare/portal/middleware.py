"""Keeps portal patients inside /portal/ and staff sessions out of the patient's world.

A portal user (an account with a PortalAccount and no clinic membership) who reaches any
other page is sent to the portal home: staff pages never render for a patient. A portal
user who signed in elsewhere without passing their authenticator code is signed out.

A portal page renders on the wall clock of the patient's clinic (`core.clinic_time`): times,
dates and "today" are the clinic's, as on staff pages, and the server's zone only stands in
for an unknown zone name. The zone name is read with one small query per portal page (portal
account -> patient -> clinic), not cached in the session, so a change of the clinic's time
zone shows from the patient's next page on, without signing in again.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ketacare.core.clinic_time import in_time_zone_named

SESSION_KEY = "kc_portal_user"
PORTAL_PREFIX = "/portal/"
PASS_THROUGH = ("/static/", "/healthz")


class PortalBoundaryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        user = request.user
        if not user.is_authenticated:
            # The idle log-off sends everyone to the staff sign-in; patients go to theirs.
            nxt = request.GET.get("next", "")
            if path == reverse("accounts:login") and nxt.startswith(PORTAL_PREFIX):
                return HttpResponseRedirect(
                    reverse("portal:sign_in") + "?timeout=1&next=" + quote(nxt)
                )
            return self.get_response(request)
        if path.startswith(PASS_THROUGH) or path.startswith(("/api/", "/fhir/")):
            # Token APIs authenticate per request (portal users hold no tokens).
            return self.get_response(request)
        is_portal = request.session.get(SESSION_KEY)
        if is_portal is None:
            from ketacare.portal.models import PortalAccount

            is_portal = (
                PortalAccount.objects.filter(user_id=user.pk).exists()
                and not user.memberships.filter(is_active=True).exists()
            )
            request.session[SESSION_KEY] = is_portal
        if not is_portal:
            return self.get_response(request)
        from ketacare.accounts.mfa import has_confirmed_device

        verified = getattr(user, "is_verified", lambda: False)()
        if not verified and has_confirmed_device(user):
            logout(request)
            return HttpResponseRedirect(reverse("portal:sign_in"))
        if not path.startswith(PORTAL_PREFIX):
            return HttpResponseRedirect(reverse("portal:home"))
        with in_time_zone_named(_clinic_zone_name(user.pk)):
            return self.get_response(request)


def _clinic_zone_name(user_id: int) -> str | None:
    """The time zone name of the portal user's clinic (None when they have no account)."""
    from ketacare.portal.models import PortalAccount

    return (
        PortalAccount.objects.filter(user_id=user_id)
        .values_list("patient__clinic__time_zone", flat=True)
        .first()
    )
