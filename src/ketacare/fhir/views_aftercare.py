"""FHIR endpoints for aftercare: integration sessions as Encounter (read; `views_encounter`
searches them with the treatment sessions), habit goals as Goal (read and search by patient);
habit Observations join the Observation endpoints
(`views_measures.observation_*`, via `aftercare_observation`).

Same rules as the clinical record: everything inside the token's clinic; another clinic's id
answers the audited 404 an unknown one does; `?patient=` of another clinic gives an empty
searchset; reads and searches need `patients.view` and are audited.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ketacare.fhir.aftercare_encounter import (
    encounter_row,
    encounter_to_fhir,
    parse_encounter_id,
)
from ketacare.fhir.aftercare_goal import (
    GOAL_PARAMS,
    goal_row,
    goal_to_fhir,
    parse_goal_id,
    run_goal_search,
)
from ketacare.fhir.aftercare_observation import habit_row, habit_to_fhir, parse_habit_id
from ketacare.fhir.clinical_common import Source
from ketacare.fhir.http import fhir_endpoint
from ketacare.fhir.views_clinical import answer_read, clinical_search, found_or_404


@fhir_endpoint("GET")
def encounter_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_encounter_id(resource_id), getattr(request, "clinic", None)
    found = encounter_row(clinic, pk) if pk is not None and clinic is not None else None
    note = found_or_404(request, found, resource_id, "integration_note")
    return answer_read(
        request,
        encounter_to_fhir(note),
        action="fhir.encounter.read",
        object_type="integration_note",
        object_id=note.pk,
        patient_id=note.patient_id,
    )


@fhir_endpoint("GET")
def goal_type(request: HttpRequest) -> HttpResponse:
    return clinical_search(
        request,
        GOAL_PARAMS,
        lambda clinic, search: [
            Source(run_goal_search(clinic, search), lambda g: g.starts_on, goal_to_fhir)
        ],
        "fhir:goal_instance",
        "fhir.goal.searched",
        "habit_goal",
    )


@fhir_endpoint("GET")
def goal_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    pk, clinic = parse_goal_id(resource_id), getattr(request, "clinic", None)
    found = goal_row(clinic, pk) if pk is not None and clinic is not None else None
    goal = found_or_404(request, found, resource_id, "habit_goal")
    return answer_read(
        request,
        goal_to_fhir(goal),
        action="fhir.goal.read",
        object_type="habit_goal",
        object_id=goal.pk,
        patient_id=goal.patient_id,
    )


def habit_observation_read(request: HttpRequest, resource_id: str) -> HttpResponse | None:
    """The read of a habit Observation (`habit-…` ids), or None for any other id."""
    parsed = parse_habit_id(resource_id)
    if parsed is None:
        return None
    kind, pk = parsed
    clinic = getattr(request, "clinic", None)
    found = habit_row(clinic, kind, pk) if clinic is not None else None
    log = found_or_404(request, found, resource_id, "habit_log")
    return answer_read(
        request,
        habit_to_fhir(kind, log),
        action="fhir.observation.read",
        object_type="habit_log",
        object_id=log.pk,
        patient_id=log.patient_id,
    )
