"""Site-wide pages: health check and friendly error pages."""

from __future__ import annotations

import logging
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader

logger = logging.getLogger("ketacare.errors")


def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 when the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", {"reason": str(exception or "")}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


# Addresses a patient or visitor uses: their error pages carry the crisis lines, since a person
# in crisis may be the one who met the error (a help press that failed, answers refused).
PATIENT_PREFIXES = ("/portal/", "/r/", "/sp/", "/a/", "/c/")
SERVER_ERROR_TEMPLATE = "errors/500.html"


def _lines_or_local_emergency() -> tuple[Any, ...]:
    """The installation's crisis lines (`deployment_resources`); when the database cannot say
    (often the cause of the error), only "your local emergency number": never a guess at
    another country's numbers."""
    from ketacare.safety.resources import LOCAL_EMERGENCY, deployment_resources

    try:
        return tuple(deployment_resources().lines)
    except Exception:  # the database is down or broken: what is known without it
        logger.exception("Crisis lines for an error page could not be read.")
        return (LOCAL_EMERGENCY,)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, for every address: what happened, that the patient's care team was not
    necessarily told, and the crisis lines. Rendered without the request's context processors
    (the risk banner, the clinic): they read the database, which may be what failed."""
    html = loader.render_to_string(
        SERVER_ERROR_TEMPLATE,
        {"crisis_lines": _lines_or_local_emergency(), "path": request.path},
    )
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page that had gone stale (signed out and in again in another tab,
    a page left open for a day): say so in words, and on patient pages show the crisis lines,
    since the form may have been a cry for help. Django's own page says only "CSRF
    verification failed"."""
    patient_page = request.path.startswith(PATIENT_PREFIXES)
    context = {
        "patient_page": patient_page,
        "crisis_lines": _lines_or_local_emergency() if patient_page else (),
    }
    return render(request, "errors/403_csrf.html", context, status=403)
