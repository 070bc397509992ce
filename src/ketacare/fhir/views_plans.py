"""FHIR endpoints for treatment plans and protocols: CarePlan and PlanDefinition; and
`definition_search`, the unaudited search the definition resources (PlanDefinition, Location)
share.

- CarePlan reads and searches are patient data: they run through the shared clinical plumbing
  (`views_clinical.clinical_search`, `found_or_404`, `answer_read`): `patients.view`, the
  token's clinic only, audited (`fhir.care_plan.read` / `.searched`), another clinic's plan
  answers the same audited 404 as an unknown id.
- PlanDefinitions are the clinic's protocol versions: definitions, not patient data, so like
  Questionnaires a token is needed, no permission, and reads are not audited; they are still
  the token's clinic's (a clinic sees its own edits, never another's).
Every resource is validated against its R4B model before it is sent (`r4.validated`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from fhir.resources.R4B.careplan import CarePlan
from fhir.resources.R4B.plandefinition import PlanDefinition

from ketacare.accounts.models import Clinic
from ketacare.fhir.bundle import page_links, searchset
from ketacare.fhir.careplan import (
    CAREPLAN_PARAMS,
    careplan_row,
    careplan_to_fhir,
    parse_careplan_id,
    run_careplan_search,
)
from ketacare.fhir.clinical_common import Source
from ketacare.fhir.http import NOT_FOUND_MESSAGE, fhir_endpoint
from ketacare.fhir.measures_search import Search, parse_search
from ketacare.fhir.outcome import FhirError, fhir_response
from ketacare.fhir.plandefinition import (
    PLAN_DEFINITION_PARAMS,
    definition_row,
    definition_to_fhir,
    run_definition_search,
)
from ketacare.fhir.r4 import validated
from ketacare.fhir.views_clinical import answer_read, clinical_search, found_or_404
from ketacare.plans.models import TreatmentPlan

# --- shared: definitions ---------------------------------------------------------------


def definition_search(
    request: HttpRequest,
    allowed: tuple[str, ...],
    run: Callable[[Clinic, Search], Sequence[Any] | QuerySet[Any]],
    to_fhir: Callable[[Any], dict[str, Any]],
    route: str,
) -> HttpResponse:
    """A searchset of the clinic's definitions (not patient data: no permission, no audit)."""
    search = parse_search(
        [(name, value) for name, values in request.GET.lists() for value in values], allowed
    )
    matches = run(request.clinic, search)  # type: ignore[attr-defined]
    total = matches.count() if isinstance(matches, QuerySet) else len(matches)
    rows = matches[search.offset : search.offset + search.count] if search.count else []
    resources = [to_fhir(row) for row in rows]
    entries = [(request.build_absolute_uri(reverse(route, args=[r["id"]])), r) for r in resources]
    links = page_links(
        request.build_absolute_uri(request.path),
        search.terms,
        count=search.count,
        offset=search.offset,
        total=total,
    )
    return fhir_response(searchset(entries, total=total, links=links))


def definition_or_404(found: Any) -> Any:
    if found is None:
        raise FhirError(404, "not-found", NOT_FOUND_MESSAGE)
    return found


def clinic_of(request: HttpRequest) -> Clinic | None:
    return getattr(request, "clinic", None)


# --- CarePlan --------------------------------------------------------------------------


def _careplan(plan: TreatmentPlan) -> dict[str, Any]:
    return validated(CarePlan, careplan_to_fhir(plan))


def _careplan_sources(clinic: Clinic, search: Search) -> list[Source]:
    return [Source(run_careplan_search(clinic, search), lambda plan: plan.created_at, _careplan)]


@fhir_endpoint("GET")
def careplan_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        CAREPLAN_PARAMS,
        _careplan_sources,
        "fhir:careplan_instance",
        "fhir.care_plan.searched",
        "plan",
    )


@fhir_endpoint("GET")
def careplan_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_careplan_id(resource_id), clinic_of(request)
    found = careplan_row(clinic, pk) if pk is not None and clinic is not None else None
    plan = found_or_404(request, found, resource_id, "plan")
    return answer_read(
        request,
        _careplan(plan),
        action="fhir.care_plan.read",
        object_type="plan",
        object_id=plan.pk,
        patient_id=plan.patient_id,
    )


# --- PlanDefinition --------------------------------------------------------------------


def _definition(found: Any) -> dict[str, Any]:
    return validated(PlanDefinition, definition_to_fhir(found))


@fhir_endpoint("GET")
def plandefinition_type(request: HttpRequest) -> HttpResponse:
    return definition_search(
        request,
        PLAN_DEFINITION_PARAMS,
        run_definition_search,
        _definition,
        "fhir:plandefinition_instance",
    )


@fhir_endpoint("GET")
def plandefinition_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    clinic = clinic_of(request)
    found = definition_row(clinic, resource_id) if clinic is not None else None
    return fhir_response(_definition(definition_or_404(found)))
