"""`POST /fhir/Observation` from a monitor gateway, and reading session vital signs back.

GET on `/fhir/Observation` is the existing search (`views_measures.observation_type`); POST
stores one vital-signs Observation as a session reading (`device_feed` checks it,
`device_store` stores it through the chair's own path, alerts included). Idempotent: an
`identifier` (or `If-None-Exist: identifier=system|value`) already stored in this clinic
answers 200 with the stored Observation instead of storing it again.
"""

from __future__ import annotations

import inspect
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.access import require
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm
from ketacare.fhir import views_measures
from ketacare.fhir.device_feed import Incoming, if_none_exist_key, read_observation
from ketacare.fhir.device_store import (
    Result,
    audit_refused,
    correction_of,
    find_received,
    key_conflict,
    parse_reading_id,
    reading_row,
    reading_to_fhir,
    received_key,
    same_reading,
    store_incoming,
)
from ketacare.fhir.http import fhir_endpoint, read_json_body
from ketacare.fhir.outcome import fhir_response
from ketacare.fhir.views_clinical import answer_read, refuse

_observation_search = inspect.unwrap(views_measures.observation_type)
_observation_read = inspect.unwrap(views_measures.observation_instance)


@fhir_endpoint("GET", "POST")
def observation_type(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return create_observation(request)
    response: HttpResponse = _observation_search(request)
    return response


@fhir_endpoint("GET")
def observation_instance(request: HttpRequest, resource_id: str) -> HttpResponse:
    parsed = parse_reading_id(resource_id)
    if parsed is None:
        response: HttpResponse = _observation_read(request, resource_id)
        return response
    pk, kind = parsed
    clinic = getattr(request, "clinic", None)
    reading = reading_row(clinic, pk, kind) if clinic is not None else None
    if reading is None:
        refuse(request, resource_id, "reading")
    require(request, Perm.PATIENT_VIEW)
    return answer_read(
        request,
        reading_to_fhir(reading, kind, received_key(reading), correction_of(reading)),
        action="fhir.observation.read",
        object_type="reading",
        object_id=reading.pk,
        patient_id=reading.session.patient_id,
    )


def location(result: Result) -> str:
    return reverse("fhir:observation_instance", args=[result.resource_id])


def _audit_named(request: HttpRequest, found: Result, via: str) -> None:
    """Answering with (or naming) a stored Observation shows it: audited as a read."""
    audit(
        request,
        "fhir.observation.read",
        object_type="reading",
        object_id=found.reading.pk,
        patient_id=found.reading.session.patient_id,
        detail={"id": found.resource_id, "via": via},
    )


def answer_existing(request: HttpRequest, found: Result) -> HttpResponse:
    _audit_named(request, found, "identifier")
    resource = reading_to_fhir(found.reading, found.kind, found.key, correction_of(found.reading))
    return fhir_response(resource, 200, {"Location": location(found)})


def create_observation(request: HttpRequest) -> HttpResponse:
    require(request, Perm.SESSION_RUN)
    now = timezone.now()
    header_key = if_none_exist_key(request.headers.get("If-None-Exist", ""))
    body = read_json_body(request)
    incoming = read_observation(body, now, header_key=header_key)
    clinic = request.clinic  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    for attempt in (1, 2):
        if incoming.key is not None:
            found = find_received(clinic, [incoming.key]).get(incoming.key)
            if found is not None:
                if not same_reading(found, incoming):
                    where = "Observation.identifier[0]" if "identifier" in body else "If-None-Exist"
                    _audit_named(request, found, "identifier-conflict")
                    raise key_conflict(found, incoming, where)
                return answer_existing(request, found)
        try:
            result = _store_one(actor, clinic, incoming, now)
        except IntegrityError:
            # Another request stored the same identifier in the meantime: answer with it.
            if attempt == 2 or incoming.key is None:
                raise
            continue
        return fhir_response(
            reading_to_fhir(result.reading, result.kind, result.key),
            201,
            {"Location": location(result)},
        )
    raise AssertionError("unreachable")  # pragma: no cover


def _store_one(actor: Any, clinic: Any, incoming: Incoming, now: Any) -> Result:
    with transaction.atomic():
        stored = store_incoming(actor, clinic, [incoming], now, where=["Observation"])
        outcome = stored.outcomes[0]
        if isinstance(outcome, Result):
            return outcome
    # Refused: nothing was stored; the refusal of another clinic's encounter is audited.
    audit_refused(actor, clinic, stored.refused_sessions)
    raise outcome
