"""Idempotent create of QuestionnaireResponses: the key, the resend and the conflict.

The key is the response's `identifier` (system and value) or the header
`If-None-Exist: identifier=system|value`, as for device Observations (`device_store`). It is
stored with the assessment it made (`ReceivedResponse`, unique per clinic) in the
assessment's own transaction (`do_store_response`), so two concurrent resends cannot both
store: the loser's insert fails with IntegrityError, its assessment and flag roll back, and
the caller answers with the stored one.

A key already stored answers with the stored response when the resend carries the same
answers (same patient, scale, answers and `authored`); with other content it is a 409 naming
the identifier, so a second administration sent under a reused key is never silently lost.
A key already stored for a device Observation in this clinic is a 409 too.
A refused response stores no key: its resend joins the flag it raised (`response_risk`) and
the corrected response, once accepted, is a new store that links its assessment to that flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic
from ketacare.clinical.scales import get_scale
from ketacare.fhir.device_feed import KEY_MAX
from ketacare.fhir.models import ReceivedObservation, ReceivedResponse
from ketacare.fhir.outcome import FhirError, Issue
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.questionnaire_response import QR, IncomingResponse
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.models import Assessment, Source
from ketacare.patients.models import Patient

Key = tuple[str, str]
HEADER = "If-None-Exist"
IDENTIFIER = f"{QR}.identifier"


@dataclass(frozen=True)
class ResponseKey:
    key: Key
    where: str  # the element or header that carried it, for a conflict's expression


def response_key(resource: QuestionnaireResponse, header_key: Key | None) -> ResponseKey | None:
    """The idempotency key of a posted response; 422 naming the element when its identifier
    cannot be one (no system or value, too long, another than the header's)."""
    identifier = resource.identifier
    if identifier is None:
        return ResponseKey(header_key, HEADER) if header_key is not None else None
    issues = []
    system, value = str(identifier.system or ""), str(identifier.value or "")
    for name, text in (("system", system), ("value", value)):
        where = f"{IDENTIFIER}.{name}"
        if not text:
            issues.append(
                Issue(
                    "required",
                    f"{where}: the identifier is the idempotency key of the response; give "
                    "its system and value.",
                    where,
                )
            )
        elif len(text) > KEY_MAX:
            issues.append(
                Issue("invalid", f"{where}: at most {KEY_MAX} characters are kept.", where)
            )
    if not issues and header_key is not None and header_key != (system, value):
        issues.append(
            Issue(
                "invalid",
                f"{IDENTIFIER}: If-None-Exist names another identifier than the "
                "QuestionnaireResponse carries.",
                IDENTIFIER,
            )
        )
    if issues:
        raise FhirError(422, issues[0].code, "", issues=issues)
    return ResponseKey((system, value), IDENTIFIER)


def find_stored(clinic: Clinic, key: Key) -> Assessment | None:
    """The assessment a response with this key made in this clinic, if any."""
    row = (
        ReceivedResponse.objects.filter(clinic=clinic, system=key[0], value=key[1])
        .select_related("assessment__administered_by")
        .first()
    )
    return row.assessment if row is not None else None


def observation_with_key(clinic: Clinic, key: Key) -> ReceivedObservation | None:
    """A device Observation of this clinic already stored under this key."""
    found: ReceivedObservation | None = (
        ReceivedObservation.objects.filter(clinic=clinic, system=key[0], value=key[1])
        .select_related("reading__session")
        .first()
    )
    return found


def same_response(stored: Assessment, patient: Patient, incoming: IncomingResponse) -> bool:
    """Does the stored assessment hold what `incoming` carries (a true resend)?"""
    sent = stored.fhir_response if isinstance(stored.fhir_response, dict) else {}
    if incoming.administered_at is None:
        same_time = "authored" not in sent  # it was stored at the time it arrived
    else:
        same_time = "authored" in sent and stored.administered_at == incoming.administered_at
    return (
        stored.patient_id == patient.pk
        and stored.scale_code == incoming.scale.code
        and same_time
        and stored.answers == get_scale(incoming.scale.code).validate(dict(incoming.answers))
    )


def key_conflict(key: ResponseKey, stored: str, what: str) -> FhirError:
    """409: the key is already another resource's; answering 200 with that one would drop
    this response (and its risk answers) without a word."""
    text = f"{key.key[0]}|{key.key[1]}"
    return FhirError(
        409,
        "duplicate",
        f"{key.where}: the identifier {text} is already the key of {stored}, which carries "
        f"{what}; give each response its own identifier. Nothing was stored.",
        key.where,
    )


def stored_conflict(key: ResponseKey, stored: Assessment) -> FhirError:
    when = fhir_instant(stored.administered_at)
    return key_conflict(key, f"{QR}/qr-{stored.pk}", f"another response ({when})")


def do_store_response(
    actor: Actor,
    patient: Patient,
    incoming: IncomingResponse,
    body: dict[str, Any],
    key: Key | None,
    now: datetime,
) -> Assessment:
    """Score, store, flag and audit the response (`do_record_assessment`) and record its key,
    in one transaction: a concurrent resend's key insert raises IntegrityError and rolls its
    assessment and flag back."""
    with transaction.atomic():
        assessment = do_record_assessment(
            actor,
            patient,
            incoming.scale.code,
            incoming.answers,
            source=Source.FHIR,
            administered_at=incoming.administered_at,
            fhir_response=body,
            draft_flag_id=incoming.refused_flag_id,
        )
        if key is not None:
            ReceivedResponse.objects.create(
                clinic_id=patient.clinic_id,
                system=key[0],
                value=key[1],
                assessment=assessment,
                received_at=now,
            )
    return assessment
