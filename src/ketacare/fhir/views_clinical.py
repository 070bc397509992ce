"""FHIR endpoints for the clinical record: Condition, MedicationStatement, AllergyIntolerance,
Consent (reads and searches), and the shared read/search plumbing the vital-signs
Observations use too (`views_measures.observation_*`).

Like the assessment endpoints: everything runs inside the token's clinic; an id of another
clinic answers the same audited 404 as an unknown one; `?patient=` of another clinic gives an
empty searchset; reads and searches need `patients.view` and are audited
(`fhir.{type}.read` / `fhir.{type}.searched`, parameter names and counts, never values).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse

from ketacare.accounts.access import require
from ketacare.accounts.audit import Outcome, audit
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.evaluations.models import CurrentMedication
from ketacare.fhir.allergy import (
    ALLERGY_PARAMS,
    allergy_row,
    allergy_sources,
    allergy_to_fhir,
    no_known_allergy_to_fhir,
    parse_allergy_id,
)
from ketacare.fhir.bundle import page_links, searchset
from ketacare.fhir.clinical_common import Source, page_of
from ketacare.fhir.condition import (
    CONDITION_PARAMS,
    condition_to_fhir,
    parse_condition_id,
    run_condition_search,
)
from ketacare.fhir.consent import (
    CONSENT_PARAMS,
    consent_row,
    consent_to_fhir,
    parse_consent_id,
    run_consent_search,
)
from ketacare.fhir.http import NOT_FOUND_MESSAGE, fhir_endpoint
from ketacare.fhir.measures_search import Search, parse_search, searched_patient
from ketacare.fhir.medication_statement import (
    MEDICATION_STATEMENT_PARAMS,
    medication_statement_row,
    medication_statement_sources,
    medication_to_fhir,
    parse_medication_statement_id,
    trial_to_fhir,
)
from ketacare.fhir.outcome import fhir_response
from ketacare.patients.models import Diagnosis, Patient

T = TypeVar("T")
SourcesFor = Callable[[Clinic, Search], list[Source]]


# --- shared ----------------------------------------------------------------------------


def clinical_search(
    request: HttpRequest,
    allowed: tuple[str, ...],
    sources_for: SourcesFor,
    route: str,
    action: str,
    object_type: str,
) -> HttpResponse:
    """A searchset of the resources `sources_for` yields, paged and audited."""
    require(request, Perm.PATIENT_VIEW)
    search = parse_search(
        [(name, value) for name, values in request.GET.lists() for value in values], allowed
    )
    clinic = request.clinic  # type: ignore[attr-defined]
    total, page = page_of(sources_for(clinic, search), search.offset, search.count)
    audit(
        request,
        action,
        object_type=object_type,
        patient_id=searched_patient(clinic, search),
        detail={
            "params": search.used,
            "results": total,
            "returned": len(page),
            "offset": search.offset,
            "count": search.count,
        },
    )
    entries = [
        (request.build_absolute_uri(reverse(route, args=[resource["id"]])), resource)
        for resource in page
    ]
    links = page_links(
        request.build_absolute_uri(request.path),
        search.terms,
        count=search.count,
        offset=search.offset,
        total=total,
    )
    return fhir_response(searchset(entries, total=total, links=links))


def found_or_404(request: HttpRequest, found: T | None, resource_id: str, object_type: str) -> T:
    """`found`, or the audited 404 every read gives for "unknown" and "another clinic's"."""
    if found is None:
        refuse(request, resource_id, object_type)
    require(request, Perm.PATIENT_VIEW)
    return found


def refuse(request: HttpRequest, resource_id: str, object_type: str) -> NoReturn:
    """The audited 404 of a read whose id is unknown or another clinic's."""
    audit(
        request,
        "patients.access.refused",
        outcome=Outcome.DENIED,
        object_type=object_type,
        object_id=resource_id[:64],
        detail={"path": request.path},
    )
    raise Http404(NOT_FOUND_MESSAGE)


def answer_read(
    request: HttpRequest,
    resource: dict[str, Any],
    *,
    action: str,
    object_type: str,
    object_id: Any,
    patient_id: Any,
) -> HttpResponse:
    """Audit a read and answer it."""
    audit(
        request,
        action,
        object_type=object_type,
        object_id=str(object_id),
        patient_id=patient_id,
        detail={"id": resource["id"]},
    )
    return fhir_response(resource)


def _clinic(request: HttpRequest) -> Clinic | None:
    return getattr(request, "clinic", None)


def _single(
    rows: Callable[[Clinic, Search], Any], to_fhir: Callable[[Any], dict[str, Any]]
) -> SourcesFor:
    return lambda clinic, search: [Source(rows(clinic, search), lambda row: row.pk, to_fhir)]


# --- Condition -------------------------------------------------------------------------


@fhir_endpoint("GET")
def condition_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        CONDITION_PARAMS,
        _single(run_condition_search, condition_to_fhir),
        "fhir:condition_instance",
        "fhir.condition.searched",
        "diagnosis",
    )


@fhir_endpoint("GET")
def condition_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_condition_id(resource_id), _clinic(request)
    found = None
    if pk is not None and clinic is not None:
        found = (
            Diagnosis.objects.filter(pk=pk, patient__clinic=clinic)
            .select_related("recorded_by")
            .first()
        )
    diagnosis = found_or_404(request, found, resource_id, "diagnosis")
    return answer_read(
        request,
        condition_to_fhir(diagnosis),
        action="fhir.condition.read",
        object_type="diagnosis",
        object_id=diagnosis.pk,
        patient_id=diagnosis.patient_id,
    )


# --- MedicationStatement ---------------------------------------------------------------


@fhir_endpoint("GET")
def medication_statement_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        MEDICATION_STATEMENT_PARAMS,
        medication_statement_sources,
        "fhir:medication_statement_instance",
        "fhir.medication_statement.searched",
        "medication",
    )


@fhir_endpoint("GET")
def medication_statement_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    parsed, clinic = parse_medication_statement_id(resource_id), _clinic(request)
    found = None
    if parsed is not None and clinic is not None:
        found = medication_statement_row(clinic, *parsed)
    if found is None:
        refuse(request, resource_id, "medication")
    require(request, Perm.PATIENT_VIEW)
    row = found
    if isinstance(row, CurrentMedication):
        resource, object_type = medication_to_fhir(row), "medication"
    else:
        resource, object_type = trial_to_fhir(row), "antidepressant_trial"
    return answer_read(
        request,
        resource,
        action="fhir.medication_statement.read",
        object_type=object_type,
        object_id=row.pk,
        patient_id=row.evaluation.patient_id,
    )


# --- AllergyIntolerance ----------------------------------------------------------------


@fhir_endpoint("GET")
def allergy_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        ALLERGY_PARAMS,
        allergy_sources,
        "fhir:allergy_instance",
        "fhir.allergy_intolerance.searched",
        "allergy",
    )


@fhir_endpoint("GET")
def allergy_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    key, clinic = parse_allergy_id(resource_id), _clinic(request)
    found = allergy_row(clinic, key) if key is not None and clinic is not None else None

    if found is None:
        refuse(request, resource_id, "allergy")
    require(request, Perm.PATIENT_VIEW)
    row = found
    if isinstance(row, Patient):
        return answer_read(
            request,
            no_known_allergy_to_fhir(row),
            action="fhir.allergy_intolerance.read",
            object_type="patient",
            object_id=row.pk,
            patient_id=row.pk,
        )
    return answer_read(
        request,
        allergy_to_fhir(row),
        action="fhir.allergy_intolerance.read",
        object_type="allergy",
        object_id=row.pk,
        patient_id=row.patient_id,
    )


# --- Consent ---------------------------------------------------------------------------


@fhir_endpoint("GET")
def consent_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        CONSENT_PARAMS,
        _single(run_consent_search, consent_to_fhir),
        "fhir:consent_instance",
        "fhir.consent.searched",
        "consent",
    )


@fhir_endpoint("GET")
def consent_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_consent_id(resource_id), _clinic(request)
    found = consent_row(clinic, pk) if pk is not None and clinic is not None else None
    consent = found_or_404(request, found, resource_id, "consent")
    return answer_read(
        request,
        consent_to_fhir(consent),
        action="fhir.consent.read",
        object_type="consent",
        object_id=consent.pk,
        patient_id=consent.patient_id,
    )
