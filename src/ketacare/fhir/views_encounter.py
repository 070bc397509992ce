"""`/fhir/Encounter`: two kinds of visit share the resource type.

- `tx-{n}`: a treatment session at the chair (`fhir/encounter.py`);
- `int-{n}`: an integration therapy session (`fhir/aftercare_encounter.py`), always `finished`.

A read goes to the kind its id names; a search returns both kinds, newest first, with the
same clinic scoping, paging and audit as every clinical search.
"""

from __future__ import annotations

from datetime import datetime, time

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.aftercare.models import IntegrationNote
from ketacare.fhir import aftercare_encounter as integration
from ketacare.fhir import encounter as session
from ketacare.fhir import views_aftercare, views_session
from ketacare.fhir.clinical_common import Source
from ketacare.fhir.http import fhir_endpoint
from ketacare.fhir.measures_search import Search
from ketacare.fhir.views_clinical import clinical_search

ENCOUNTER_PARAMS = ("patient", "status")


def _held_at(note: IntegrationNote) -> datetime:
    """A note has a date only; sort it with the sessions as of the start of that day."""
    return timezone.make_aware(datetime.combine(note.held_on, time.min))


def _sources(clinic: Clinic, search: Search) -> list[Source]:
    sessions = session.run_encounter_search(clinic, search)  # validates `status`
    notes = integration.run_encounter_search(clinic, search)
    statuses = search.values("status")
    if statuses and "finished" not in statuses:
        notes = notes.none()
    return [
        Source(sessions, lambda s: s.created_at, session.encounter_to_fhir),
        Source(notes, _held_at, integration.encounter_to_fhir),
    ]


@fhir_endpoint("GET")
def encounter_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        ENCOUNTER_PARAMS,
        _sources,
        "fhir:encounter_instance",
        "fhir.encounter.searched",
        "encounter",
    )


def encounter_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    if resource_id.startswith("int-"):
        return views_aftercare.encounter_instance(request, resource_id)
    return views_session.encounter_instance(request, resource_id)
