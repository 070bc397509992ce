"""The JSON API at /api/v1/ (django-ninja; OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Authentication is a per-user bearer token (see accounts/tokens.py); every call is scoped to
the token's clinic and role and audited like a page view.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer

from ketacare.accounts.middleware import clinic_zone_or_none
from ketacare.accounts.tokens import authenticate_bearer
from ketacare.api.errors import FieldError


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = authenticate_bearer(request)
        zone = clinic_zone_or_none(getattr(request, "clinic", None)) if found else None
        if zone is not None:
            # The token's clinic's wall clock for the rest of the call, as on its staff pages
            # ("today", a time sent without a zone). A token call has no session, so
            # ActiveClinicMiddleware did not set it; it resets the zone when the call ends.
            timezone.activate(zone)
        return found


api = NinjaAPI(
    title="KetaCare API",
    version="1",
    description=(
        "Clinic-scoped JSON API. Send `Authorization: Bearer <token>`; create tokens on the "
        "API tokens page or with `ketacare token create`. Errors name the offending field."
    ),
    auth=BearerToken(),
    urls_namespace="api",
)


def _field_name(loc: list[Any]) -> str:
    # ninja reports ('body', 'payload', 'birth_date'); clients want the field path.
    parts = [str(p) for p in loc if p not in {"body", "query", "path", "payload", "data"}]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(list(e.get("loc", []))), "message": str(e.get("msg", "invalid"))}
        for e in exc.errors
    ]
    return api.create_response(
        request,
        {"error": f"{errors[0]['field']}: {errors[0]['message']}", "errors": errors},
        status=422,
    )


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request, {"error": "A valid API token is required (Authorization: Bearer …)."}, status=401
    )


@api.exception_handler(FieldError)
def on_field_error(request: HttpRequest, exc: FieldError) -> HttpResponse:
    return api.create_response(
        request,
        {
            "error": str(exc.message),
            "errors": [{"field": field, "message": text} for field, text in exc.problems],
        },
        status=exc.status_code,
    )


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"error": str(exc) or "Not allowed."}, status=403)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"error": "Not found."}, status=404)


from ketacare.api import accounts_api, patients_api  # noqa: E402  (routers register on `api`)

api.add_router("/", accounts_api.router)
api.add_router("/patients", patients_api.router)
