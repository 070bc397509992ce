"""The FHIR R4 endpoints under /fhir/: metadata, and Patient read, create and search.

Views parse and check, then hand over: reads go through `access_patient`, creates through
`do_register_patient`, searches through `run_patient_search` on the token's clinic.

A create whose legal name and date of birth match a patient of the clinic (as the staff page
and the JSON API check, `patients.forms.same_name_and_birth`) answers 409 `duplicate` naming
that patient, unless the request carries `X-KetaCare-Confirm-Duplicate: true` (a different
person). FHIR has no standard element for this; a conditional create (`If-None-Exist`) is the
standard way to reuse a match instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse

from ketacare.accounts.access import require
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm
from ketacare.fhir.bundle import page_links, searchset
from ketacare.fhir.capability import capability_statement
from ketacare.fhir.http import FORM_TYPE, fhir_endpoint, media_type, read_json_body
from ketacare.fhir.outcome import FhirError, fhir_response
from ketacare.fhir.patient_resource import cleaned_patient_data, mrn_system, patient_to_fhir
from ketacare.fhir.patient_search import (
    RESULT_PARAMS,
    PatientSearch,
    parse_patient_search,
    run_patient_search,
)
from ketacare.patients.access import access_patient
from ketacare.patients.actions import do_register_patient
from ketacare.patients.forms import same_name_and_birth
from ketacare.patients.models import Patient


@fhir_endpoint("GET", authenticated=False)
def metadata(request: HttpRequest) -> HttpResponse:
    base_url = request.build_absolute_uri(reverse("fhir:metadata")).rsplit("/", 1)[0]
    return fhir_response(capability_statement(base_url, settings.FHIR_PAGE_SIZE_DEFAULT))


@fhir_endpoint("GET", "POST")
def patient_type(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _create(request)
    return _search(request, _pairs(request.GET), links_carry_terms=True)


@fhir_endpoint("POST")
def patient_search_post(request: HttpRequest) -> HttpResponse:
    if request.body and media_type(request) != FORM_TYPE:
        raise FhirError(
            415, "not-supported", f"Send search parameters as {FORM_TYPE}.", "Content-Type"
        )
    # FHIR combines URL and body parameters. Paging links put _count/_offset in the URL,
    # so those win over the body; search terms stay in the body and out of URLs and logs.
    in_url = {name for name, _ in _pairs(request.GET)}
    body = [(k, v) for k, v in _pairs(request.POST) if not (k in RESULT_PARAMS and k in in_url)]
    return _search(request, [*body, *_pairs(request.GET)], links_carry_terms=False)


@fhir_endpoint("GET")
def patient_instance(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    audit(
        request,
        "fhir.patient.read",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    return fhir_response(patient_to_fhir(patient))


def _pairs(params: QueryDict) -> list[tuple[str, str]]:
    return [(name, value) for name, values in params.lists() for value in values]


def _location(patient: Patient) -> str:
    return reverse("fhir:patient_instance", args=[patient.pk])


def _create(request: HttpRequest) -> HttpResponse:
    require(request, Perm.PATIENT_CREATE)
    data = cleaned_patient_data(read_json_body(request))
    confirmed = _confirmed_different_person(request)
    existing = _if_none_exist(request)
    if existing is not None:
        return existing
    if not confirmed:
        _refuse_same_name_and_birth(request, data)
    patient = do_register_patient(actor_from_request(request), request.clinic, data)  # type: ignore[attr-defined]
    return fhir_response(patient_to_fhir(patient), 201, {"Location": _location(patient)})


CONFIRM_DUPLICATE_HEADER = "X-KetaCare-Confirm-Duplicate"


def _confirmed_different_person(request: HttpRequest) -> bool:
    """The `X-KetaCare-Confirm-Duplicate` header: `true` registers even when a patient of the
    same legal name and date of birth exists; absent or `false` asks (409). Anything else is
    a 400, so a typo never registers a second chart by accident."""
    value = request.headers.get(CONFIRM_DUPLICATE_HEADER, "").strip().lower()
    if value in ("", "false"):
        return False
    if value == "true":
        return True
    raise FhirError(
        400,
        "invalid",
        f"The {CONFIRM_DUPLICATE_HEADER} header must be 'true' (a different person with the "
        "same name and date of birth) or left out; nothing was created.",
        CONFIRM_DUPLICATE_HEADER,
    )


def _refuse_same_name_and_birth(request: HttpRequest, data: dict[str, Any]) -> None:
    clinic = request.clinic  # type: ignore[attr-defined]
    twin = same_name_and_birth(
        clinic, data["legal_given_name"], data["legal_family_name"], data["birth_date"]
    )
    if twin is None:
        return
    # The answer names another chart to a caller who may only create: audited as a read.
    audit(
        request,
        "fhir.patient.read",
        object_type="patient",
        object_id=twin.pk,
        patient_id=twin.pk,
        detail={"via": "duplicate-check"},
    )
    raise FhirError(
        409,
        "duplicate",
        f"Patient.name and Patient.birthDate: a patient with this legal name and date of birth "
        f"already exists: Patient/{twin.pk} (MRN {twin.mrn}); nothing was created. If this is "
        f"that person, use Patient/{twin.pk} (or send If-None-Exist: "
        f"identifier={mrn_system(clinic)}|{twin.mrn}); if it is a different person, send the "
        f"request again with the header {CONFIRM_DUPLICATE_HEADER}: true.",
        "Patient.name",
    )


IF_NONE_EXIST = "If-None-Exist"  # the expression of a header's problem: the header's name


def _if_none_exist(request: HttpRequest) -> HttpResponse | None:
    """Conditional create: a match answers 200 with it, several answer 412, none → create."""
    header = request.headers.get("If-None-Exist", "").strip()
    if not header:
        return None
    try:
        search = parse_patient_search(
            _pairs(QueryDict(header.removeprefix("?"))), allow_result_params=False
        )
    except FhirError as problem:  # the search is in the header, not in the URL
        raise FhirError(400, "invalid", f"If-None-Exist: {problem}", IF_NONE_EXIST) from problem
    if not search.terms:
        raise FhirError(
            400, "invalid", "If-None-Exist needs at least one search parameter.", IF_NONE_EXIST
        )
    matches = list(run_patient_search(request.clinic, search)[:2])  # type: ignore[attr-defined]
    if len(matches) > 1:
        raise FhirError(
            412,
            "duplicate",
            "If-None-Exist matches more than one patient; nothing was created.",
            IF_NONE_EXIST,
        )
    if not matches:
        return None
    patient = matches[0]
    audit(
        request,
        "fhir.patient.read",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"via": "if-none-exist", "params": search.used},
    )
    return fhir_response(patient_to_fhir(patient), 200, {"Location": _location(patient)})


def _search(
    request: HttpRequest, params: Iterable[tuple[str, str]], *, links_carry_terms: bool
) -> HttpResponse:
    require(request, Perm.PATIENT_VIEW)
    search: PatientSearch = parse_patient_search(params)
    matches = run_patient_search(request.clinic, search)  # type: ignore[attr-defined]
    total = matches.count()
    page = list(matches[search.offset : search.offset + search.count]) if search.count else []
    audit(
        request,
        "fhir.patient.searched",
        object_type="patient",
        detail={
            "params": search.used,
            "results": total,
            "returned": len(page),
            "offset": search.offset,
            "count": search.count,
            "method": request.method,
        },
    )
    links = page_links(
        request.build_absolute_uri(request.path),
        search.terms if links_carry_terms else (),
        count=search.count,
        offset=search.offset,
        total=total,
    )
    entries = [(request.build_absolute_uri(_location(p)), patient_to_fhir(p)) for p in page]
    return fhir_response(searchset(entries, total=total, links=links))


@fhir_endpoint("GET", "POST", "PUT", "PATCH", "DELETE", authenticated=False)
def unknown_resource(request: HttpRequest, rest: str) -> HttpResponse:
    """Anything else under /fhir/: an OperationOutcome, so FHIR clients always get JSON."""
    raise FhirError(
        404, "not-supported", "This server has no such FHIR endpoint; see /fhir/metadata."
    )
