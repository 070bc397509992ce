"""FHIR endpoints for rating scales: Questionnaire, QuestionnaireResponse and Observation.

- Questionnaires are definitions, not patient data: a token is needed, no permission, and
  reads are not audited.
- QuestionnaireResponse create: validated completely (`questionnaire_response.py`), the
  patient resolved through `access_patient`, then one call to `do_record_assessment`, which
  scores, stores, raises risk flags and audits in one transaction, with the response's
  idempotency key (`response_store.py`: a resend answers 200 with the stored response, the
  same key with other content 409). A refused response still raises the flag its risk answer
  calls for (`response_risk.py`).
- QuestionnaireResponse and Observation reads and searches go through the token's clinic
  (`access_assessment`, `measures_search.py`) and are audited like Patient reads.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import IntegrityError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.access import require
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Outcome, actor_from_request, audit
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.fhir.bundle import page_links, searchset
from ketacare.fhir.device_feed import if_none_exist_key
from ketacare.fhir.http import NOT_FOUND_MESSAGE, fhir_endpoint, read_json_body
from ketacare.fhir.measures_search import (
    OBSERVATION_PARAMS,
    QUESTIONNAIRE_PARAMS,
    RESPONSE_PARAMS,
    Search,
    parse_search,
    run_questionnaire_search,
    run_response_search,
    searched_patient,
)
from ketacare.fhir.observation import observation_kind, observation_to_fhir, parse_observation_id
from ketacare.fhir.outcome import FhirError, Issue, fhir_response
from ketacare.fhir.questionnaire import questionnaire_id, questionnaire_to_fhir, scale_for_id
from ketacare.fhir.questionnaire_response import (
    QR,
    IncomingResponse,
    check_response,
    parse_model,
    response_scale,
    subject_patient_id,
)
from ketacare.fhir.response_resource import (
    assessment_pk_from_response_id,
    response_id,
    response_to_fhir,
)
from ketacare.fhir.response_store import (
    ResponseKey,
    do_store_response,
    find_stored,
    key_conflict,
    observation_with_key,
    response_key,
    same_response,
    stored_conflict,
)
from ketacare.fhir.views_clinical import answer_read, clinical_search, refuse
from ketacare.fhir.vitals import observation_sources, parse_vitals_id, vital_row, vital_to_fhir
from ketacare.measures.models import Assessment
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient

# --- Questionnaire ---------------------------------------------------------------------


@fhir_endpoint("GET")
def questionnaire_type(request: HttpRequest) -> HttpResponse:
    search = parse_search(_pairs(request.GET), QUESTIONNAIRE_PARAMS)
    scales = run_questionnaire_search(search)
    page = scales[search.offset : search.offset + search.count] if search.count else []
    route = "fhir:questionnaire_instance"
    entries = [
        (_absolute(request, route, questionnaire_id(scale)), questionnaire_to_fhir(scale))
        for scale in page
    ]
    return _bundle(request, search, entries, len(scales))


@fhir_endpoint("GET")
def questionnaire_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    scale = scale_for_id(resource_id)
    if scale is None:
        raise FhirError(404, "not-found", NOT_FOUND_MESSAGE)
    return fhir_response(questionnaire_to_fhir(scale))


# --- QuestionnaireResponse -------------------------------------------------------------


@fhir_endpoint("GET", "POST")
def response_type(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _create_response(request)
    return _search(
        request,
        RESPONSE_PARAMS,
        run_response_search,
        lambda a: [(response_id(a), response_to_fhir(a))],
        "fhir:response_instance",
        "fhir.questionnaire_response.searched",
    )


@fhir_endpoint("GET")
def response_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk = assessment_pk_from_response_id(resource_id)
    assessment = access_assessment(request, pk, resource_id)
    _audit_read(request, "fhir.questionnaire_response.read", resource_id, assessment)
    return fhir_response(response_to_fhir(assessment))


def _create_response(request: HttpRequest) -> HttpResponse:
    require(request, Perm.ASSESSMENT_RECORD)
    now = timezone.now()
    header_key = if_none_exist_key(request.headers.get("If-None-Exist", ""), resource_type=QR)
    body = read_json_body(request)
    resource = parse_model(body)
    patient_base = request.build_absolute_uri(reverse("fhir:patient_type")) + "/"
    patient_id = subject_patient_id(resource, patient_base)
    patient = access_patient(request, patient_id, Perm.ASSESSMENT_RECORD)
    if response_scale(resource).clinician_rated:
        # MADRS, CADSS, MOAA/S, C-SSRS: rated or interviewed by a clinician.
        require(request, Perm.ASSESSMENT_RATE_CLINICIAN)
    key = response_key(resource, header_key)
    actor = actor_from_request(request)
    # Checked first, as a device Observation is: a refused resend still joins its flag.
    incoming = check_response(resource, patient, actor)
    clinic = request.clinic  # type: ignore[attr-defined]
    for attempt in (1, 2):
        if key is not None:
            answered = _answer_stored(request, clinic, key, patient, incoming)
            if answered is not None:
                return answered
        try:
            assessment = do_store_response(
                actor, patient, incoming, body, key.key if key else None, now
            )
        except IntegrityError:
            # A concurrent resend stored the same key meanwhile (its transaction committed
            # first; ours rolled back, flag included): answer with the stored one.
            if attempt == 2 or key is None:
                raise
            continue
        except ActionError as problem:  # checked above; kept so a rule added there still maps
            raise FhirError(
                422,
                "invalid",
                "",
                issues=[Issue("invalid", f"{problem.field}: {problem.message}", QR)],
            ) from problem
        location = reverse("fhir:response_instance", args=[response_id(assessment)])
        return fhir_response(response_to_fhir(assessment), 201, {"Location": location})
    raise AssertionError("unreachable")  # pragma: no cover


def _answer_stored(
    request: HttpRequest,
    clinic: Clinic,
    key: ResponseKey,
    patient: Patient,
    incoming: IncomingResponse,
) -> HttpResponse | None:
    """200 with the stored response for a resend; 409 when the key is another resource's;
    None for a new key. Answering with (or naming) a stored resource shows it: audited."""
    stored = find_stored(clinic, key.key)
    if stored is not None:
        if not same_response(stored, patient, incoming):
            _audit_read(
                request,
                "fhir.questionnaire_response.read",
                response_id(stored),
                stored,
                via="identifier-conflict",
            )
            raise stored_conflict(key, stored)
        _audit_read(
            request,
            "fhir.questionnaire_response.read",
            response_id(stored),
            stored,
            via="identifier",
        )
        location = reverse("fhir:response_instance", args=[response_id(stored)])
        return fhir_response(response_to_fhir(stored), 200, {"Location": location})
    observed = observation_with_key(clinic, key.key)
    if observed is not None:
        reading_id = f"reading-{observed.reading_id}-{observed.kind}"
        audit(
            request,
            "fhir.observation.read",
            object_type="reading",
            object_id=observed.reading_id,
            patient_id=observed.reading.session.patient_id,
            detail={"id": reading_id, "via": "identifier-conflict"},
        )
        raise key_conflict(key, f"Observation/{reading_id}", "a vital sign from a monitor")
    return None


# --- Observation -----------------------------------------------------------------------


@fhir_endpoint("GET")
def observation_type(request: HttpRequest) -> HttpResponse:
    # Score Observations and, when the search names a code or category, vital signs: paged
    # together (vitals.observation_sources, clinical_common.page_of).
    return clinical_search(
        request,
        OBSERVATION_PARAMS,
        observation_sources,
        "fhir:observation_instance",
        "fhir.observation.searched",
        "observation",
    )


@fhir_endpoint("GET")
def observation_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    from ketacare.fhir.views_aftercare import habit_observation_read  # aftercare habits

    habit = habit_observation_read(request, resource_id)
    if habit is not None:
        return habit
    vital = parse_vitals_id(resource_id)
    if vital is not None:
        kind, pk = vital
        clinic = getattr(request, "clinic", None)
        found = vital_row(clinic, kind, pk) if clinic is not None else None
        object_type = "evaluation" if kind.evaluation else "measurement"
        if found is None:
            refuse(request, resource_id, object_type)
        require(request, Perm.PATIENT_VIEW)
        row = found
        return answer_read(
            request,
            vital_to_fhir(kind, row),
            action="fhir.observation.read",
            object_type=object_type,
            object_id=row.pk,
            patient_id=row.patient_id,
        )
    parsed = parse_observation_id(resource_id)
    assessment = access_assessment(request, parsed[0] if parsed else None, resource_id)
    if parsed is None or observation_kind(assessment) != parsed[1]:
        raise FhirError(404, "not-found", NOT_FOUND_MESSAGE)
    _audit_read(request, "fhir.observation.read", resource_id, assessment)
    return fhir_response(observation_to_fhir(assessment, parsed[1]))


# --- shared ----------------------------------------------------------------------------


def access_assessment(request: HttpRequest, pk: int | None, requested_id: str) -> Assessment:
    """The gatekeeper for assessments, as `access_patient` is for patients: only the token's
    clinic is searched, and "missing" and "another clinic's" answer the same audited 404."""
    clinic = getattr(request, "clinic", None)
    assessment = None
    if clinic is not None and pk is not None:
        assessment = (
            Assessment.objects.filter(pk=pk, patient__clinic=clinic)
            .select_related("administered_by")
            .first()
        )
    if assessment is None:
        audit(
            request,
            "patients.access.refused",
            outcome=Outcome.DENIED,
            object_type="assessment",
            object_id=requested_id[:64],
            detail={"path": request.path},
        )
        raise Http404(NOT_FOUND_MESSAGE)
    require(request, Perm.PATIENT_VIEW)
    return assessment


def _audit_read(
    request: HttpRequest, action: str, resource_id: str, a: Assessment, via: str = ""
) -> None:
    audit(
        request,
        action,
        object_type="assessment",
        object_id=a.pk,
        patient_id=a.patient_id,
        detail={"id": resource_id, "via": via} if via else {"id": resource_id},
    )


def _pairs(params: QueryDict) -> list[tuple[str, str]]:
    return [(name, value) for name, values in params.lists() for value in values]


def _absolute(request: HttpRequest, route: str, resource_id: str) -> str:
    return request.build_absolute_uri(reverse(route, args=[resource_id]))


def _search(
    request: HttpRequest,
    allowed: tuple[str, ...],
    run: Callable[[Any, Search], QuerySet[Assessment]],
    to_fhir: Callable[[Assessment], list[tuple[str, dict[str, Any]]]],
    route: str,
    action: str,
) -> HttpResponse:
    require(request, Perm.PATIENT_VIEW)
    search = parse_search(_pairs(request.GET), allowed)
    clinic = request.clinic  # type: ignore[attr-defined]
    matches = run(clinic, search)
    total = matches.count()
    page = list(matches[search.offset : search.offset + search.count]) if search.count else []
    audit(
        request,
        action,
        object_type="assessment",
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
        (_absolute(request, route, resource_id), resource)
        for assessment in page
        for resource_id, resource in to_fhir(assessment)
    ]
    return _bundle(request, search, entries, total)


def _bundle(
    request: HttpRequest,
    search: Search,
    entries: list[tuple[str, dict[str, Any]]],
    total: int,
) -> HttpResponse:
    links = page_links(
        request.build_absolute_uri(request.path),
        search.terms,
        count=search.count,
        offset=search.offset,
        total=total,
    )
    return fhir_response(searchset(entries, total=total, links=links))
