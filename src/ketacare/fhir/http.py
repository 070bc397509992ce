"""The plumbing every FHIR endpoint shares: methods, bearer auth, body parsing, error mapping.

FHIR calls are authenticated by per-user API tokens only. A browser session cookie is never
enough (and is never read or written here), so CSRF does not apply and the views are exempt.
"""

from __future__ import annotations

import json
import math
import re
import sys
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
# A resourceType worth naming as the root of an element's path.
RESOURCE_TYPE = re.compile("[A-Z][A-Za-z]{0,63}")
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


# No FHIR resource nests anywhere near this deep (a Bundle of QuestionnaireResponses with
# nested items stays under 20 levels); Python's JSON reader itself gives up near 1,000 levels
# (RecursionError), and any recursive walk of a deeper body would fail the same way later.
MAX_DEPTH = 100
# An integer literal this long is beyond a float's range (JSON integers have no leading zeros:
# a sign and 309 digits); Python will not even read one of more than 4,300 digits (ValueError).
INT_MAX_CHARS = 310
# A lone UTF-16 surrogate (JSON's "\ud800" escape unpaired) is not a Unicode character: the
# body is not Unicode text, and such a string cannot be stored or written back out as UTF-8.
SURROGATE = re.compile("[\ud800-\udfff]")
TOO_DEEP = (
    f"The body nests arrays and objects more than {MAX_DEPTH} levels deep; no FHIR resource does."
)

# A place in a parsed body, kept as a chain so that a path is built only for a problem found.
Trail = tuple["Trail | None", str | int] | None


def _path(root: str, trail: Trail) -> str:
    """The FHIRPath-style place a trail leads to (`Bundle.entry[1].resource.valueQuantity`)."""
    parts: list[str] = []
    while trail is not None:
        trail, step = trail
        parts.append(f"[{step}]" if isinstance(step, int) else f".{_printable(step)}")
    return root + "".join(reversed(parts))


def _printable(text: str) -> str:
    """`text` with any lone surrogate written as its escape, so that it can be sent back."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[: limit - 16]}… ({len(text)} characters)"


def _first_problem(body: Any, root: str) -> tuple[str, str, Any] | None:
    """(where, what, value) of the first thing in a parsed body no FHIR value can hold, or None.

    what is "deep" (nested beyond MAX_DEPTH), "surrogate" (in a string or, "name", a property
    name) or "number" (NaN, Infinity or beyond a float's range). Walked without recursion, in
    document order, so that it cannot itself run out of stack.
    """
    stack: list[tuple[Any, int, Trail]] = [(body, 1, None)]
    while stack:
        node, depth, trail = stack.pop()
        if trail is not None and isinstance(trail[1], str) and SURROGATE.search(trail[1]):
            return _path(root, trail), "name", trail[1]
        if isinstance(node, str):
            if SURROGATE.search(node):
                return _path(root, trail), "surrogate", node
        elif isinstance(node, float):
            if not math.isfinite(node):
                return _path(root, trail), "number", node
        elif isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                return _path(root, trail), "deep", node
            items = node.items() if isinstance(node, dict) else enumerate(node)
            stack.extend(reversed([(value, depth + 1, (trail, step)) for step, value in items]))
    return None


def read_json_body(request: HttpRequest) -> Any:
    """The request body as JSON, or 415/400 naming what is wrong with it.

    Besides JSON syntax, refused here for every endpoint (so no handler meets them, and nothing
    is stored): nesting beyond MAX_DEPTH, NaN/Infinity and numbers beyond a float's range
    (integer literals included), and strings or property names holding a lone surrogate.
    """
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

    def integer(text: str) -> int | float:
        if len(text) > INT_MAX_CHARS or abs(value := int(text)) > sys.float_info.max:
            odd.append(text)
            return math.inf  # as 1e400 reads: found below, and refused with its place
        return value

    try:
        body = json.loads(
            request.body.decode("utf-8"),
            parse_constant=constant,
            parse_float=number,
            parse_int=integer,
        )
    except UnicodeDecodeError as problem:
        raise FhirError(400, "structure", "The body is not UTF-8 text.") from problem
    except json.JSONDecodeError as problem:
        raise FhirError(
            400,
            "structure",
            f"The body is not valid JSON: {problem.msg} (line {problem.lineno}, "
            f"column {problem.colno}).",
        ) from problem
    except RecursionError as problem:
        raise FhirError(400, "structure", TOO_DEEP) from problem
    root = body.get("resourceType") if isinstance(body, dict) else None
    root = root if isinstance(root, str) and RESOURCE_TYPE.fullmatch(root) else "$"
    found = _first_problem(body, root)
    where, what, value = found or ("", "number", None)
    if what == "deep":
        raise FhirError(400, "structure", TOO_DEEP, where)
    if what in ("surrogate", "name"):
        thing = "the property name" if what == "name" else "the string"
        half = _printable(SURROGATE.findall(str(value))[0])
        raise FhirError(
            400,
            "structure",
            f"The body is not valid Unicode text: {thing} at {where} holds {half}, half of a "
            "UTF-16 surrogate pair without its other half, which is no character.",
            where,
        )
    if odd:  # not JSON numbers (RFC 8259 §6) and no FHIR value can hold them: say where
        raise FhirError(
            400,
            "value",
            f"{_short(odd[0])} is not a number a FHIR value can hold"
            + (f" ({where})." if where else "."),
            where,
        )
    return body
