"""The plumbing every FHIR endpoint shares: methods, bearer auth, body parsing, error mapping.

FHIR calls are authenticated by per-user API tokens only. A browser session cookie is never
enough (and is never read or written here), so CSRF does not apply and the views are exempt.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from ketacare.accounts.tokens import authenticate_bearer
from ketacare.core.clinic_time import in_clinic_time_zone
from ketacare.fhir.outcome import FhirError, error_response

JSON_TYPES = frozenset({"application/fhir+json", "application/json"})
FORM_TYPE = "application/x-www-form-urlencoded"
# `_format` may be given on any interaction; we only speak JSON.
JSON_FORMATS = frozenset({"json", "application/json", "application/fhir+json"})
# One message for "no such id" and "another clinic's id", so the answer reveals nothing.
NOT_FOUND_MESSAGE = "No resource with that id."
WWW_AUTHENTICATE = 'Bearer realm="KetaCare FHIR"'

View = Callable[..., HttpResponse]


def fhir_endpoint(*methods: str, authenticated: bool = True) -> Callable[[View], View]:
    """Wrap a FHIR view: allowed methods (405), bearer token (401), errors as OperationOutcome."""
    allowed = ", ".join(methods)

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise FhirError(
                        405,
                        "not-supported",
                        f"{request.method} is not supported here; use {allowed}.",
                        headers={"Allow": allowed},
                    )
                _check_format(request)
                if authenticated and authenticate_bearer(request) is None:
                    raise FhirError(
                        401,
                        "login",
                        "A valid API token is required: send 'Authorization: Bearer <token>'.",
                        headers={"WWW-Authenticate": WWW_AUTHENTICATE},
                    )
                # The token's clinic's wall clock, as on its staff pages
                # (accounts.middleware.ActiveClinicMiddleware, which a sessionless API call
                # skips): "today" and a date searched without a zone are the clinic's.
                with in_clinic_time_zone(getattr(request, "clinic", None)):
                    response = view(request, *args, **kwargs)
            except FhirError as error:
                response = error_response(error)
            except PermissionDenied as denied:
                # require() has already written the refusal to the audit log.
                response = error_response(
                    FhirError(403, "forbidden", str(denied) or "Your role does not allow this.")
                )
            except Http404:
                # access_patient() has already written the refusal to the audit log.
                response = error_response(FhirError(404, "not-found", NOT_FOUND_MESSAGE))
            except (RequestDataTooBig, TooManyFieldsSent):
                # Raised when the body is first read; Django would answer an HTML 400 page.
                response = error_response(_too_large())
            if authenticated:
                # Answers carry patient data: no shared cache may keep them.
                response["Cache-Control"] = "no-store"
            return response

        return wrapped

    return decorator


def _too_large() -> FhirError:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return FhirError(
        413,
        "too-costly",
        f"The body is larger than this server takes ({limit} bytes, or too many form fields); "
        "nothing was stored. Send fewer entries per Bundle.",
    )


# Media ranges of an Accept header that a JSON answer satisfies (application/json+fhir: the
# type of FHIR releases before STU3, still sent by older clients).
JSON_ACCEPTED = JSON_FORMATS | {"*/*", "application/*", "application/json+fhir"}


def _check_format(request: HttpRequest) -> None:
    """`_format`, else the Accept header, must allow JSON: a client asking only for XML
    (`Accept: application/fhir+xml`) gets 406, not a JSON body it cannot read."""
    wanted = request.GET.get("_format", "").split(";")[0].strip().lower()
    if wanted and wanted not in JSON_FORMATS:
        raise FhirError(
            406, "not-supported", "Only JSON is supported (_format=json).", "http._format"
        )
    accept = request.META.get("HTTP_ACCEPT", "").strip()
    if wanted or not accept:
        return
    ranges = {part.split(";")[0].strip().lower() for part in accept.split(",")}
    if not ranges & JSON_ACCEPTED:
        raise FhirError(
            406,
            "not-supported",
            f"Only JSON is supported; the Accept header asks for {accept[:100]!r}. "
            "Accept application/fhir+json.",
            "Accept",
        )


def media_type(request: HttpRequest) -> str:
    return request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()


def _non_finite_path(node: Any, path: str) -> str | None:
    """The FHIRPath-style place of the first NaN/Infinity in a parsed body, else None."""
    if isinstance(node, float):
        return None if math.isfinite(node) else path
    if isinstance(node, dict):
        for key, value in node.items():
            found = _non_finite_path(value, f"{path}.{key}")
            if found:
                return found
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found = _non_finite_path(value, f"{path}[{index}]")
            if found:
                return found
    return None


def read_json_body(request: HttpRequest) -> Any:
    """The request body as JSON, or 415/400 naming what is wrong with it."""
    if media_type(request) not in JSON_TYPES:
        raise FhirError(
            415,
            "not-supported",
            "Send the resource as application/fhir+json (or application/json).",
            "Content-Type",
        )
    odd: list[str] = []  # NaN, Infinity, or a number too large for a float (1e400)

    def constant(name: str) -> float:
        odd.append(name)
        return float(name)

    def number(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            odd.append(text)
        return value

    try:
        body = json.loads(request.body.decode("utf-8"), parse_constant=constant, parse_float=number)
    except UnicodeDecodeError as problem:
        raise FhirError(400, "structure", "The body is not UTF-8 text.") from problem
    except json.JSONDecodeError as problem:
        raise FhirError(
            400,
            "structure",
            f"The body is not valid JSON: {problem.msg} (line {problem.lineno}, "
            f"column {problem.colno}).",
        ) from problem
    if odd:  # not JSON numbers (RFC 8259 §6) and no FHIR value can hold them: say where
        root = body.get("resourceType", "") if isinstance(body, dict) else ""
        where = _non_finite_path(body, str(root) or "$") or ""
        raise FhirError(
            400,
            "value",
            f"{odd[0][:40]} is not a number a FHIR value can hold"
            + (f" ({where})." if where else "."),
            where,
        )
    return body
