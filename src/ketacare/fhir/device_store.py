"""Storing checked device Observations as session readings, and reading them back as FHIR.

`store_incoming` runs inside the caller's transaction: it locks each session once (in id
order, so two gateways never deadlock), checks the session is this clinic's, being monitored,
of the patient named, and that the time is not before check-in, then hands every reading of
that session to `treatments.readings.store_readings` — the chair's own path, which raises the
same alerts in the same transaction — and records the idempotency keys (`ReceivedObservation`,
unique per clinic, so a concurrent resend fails with IntegrityError and is answered with the
stored reading by the caller).

A reading reads back as `Observation/reading-{pk}-{kind}` (kind: bp, hr, spo2, rr, temp); a
reading typed at the chair with several values yields one Observation per value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connections, router

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, Outcome, record
from ketacare.accounts.models import Clinic
from ketacare.core.inserts import insert_rows
from ketacare.fhir.device_feed import (
    BP,
    BP_COMPONENTS,
    BP_TEXT,
    KIND_BY_KEY,
    KINDS,
    LOINC,
    UCUM,
    Incoming,
    Kind,
    refuse,
)
from ketacare.fhir.models import ReceivedObservation
from ketacare.fhir.outcome import FhirError
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.treatments.late_readings import late_refusal
from ketacare.treatments.models import ReadingSource, TreatmentSession, VitalReading
from ketacare.treatments.readings import MONITORED, NewReading, lock_session, store_readings

CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
READING_ID = re.compile(r"^reading-(?P<pk>[1-9]\d{0,17})-(?P<kind>bp|hr|spo2|rr|temp)$")
Key = tuple[str, str]


@dataclass
class Result:
    reading: VitalReading
    kind: Kind
    key: Key | None
    created: bool  # False: an earlier message with the same identifier

    @property
    def resource_id(self) -> str:
        return f"reading-{self.reading.pk}-{self.kind.key}"


Outcome_ = Result | FhirError


@dataclass
class Stored:
    outcomes: list[Outcome_]
    refused_sessions: list[int]  # encounters not of this clinic: audit after the transaction


def audit_refused(actor: Actor, clinic: Clinic, session_ids: Iterable[int]) -> None:
    """The audited refusal of an encounter id that is unknown or another clinic's."""
    for session_id in session_ids:
        record(
            actor,
            "patients.access.refused",
            outcome=Outcome.DENIED,
            object_type="session",
            object_id=session_id,
            clinic_id=clinic.pk,
            detail={"via": "fhir.observation.create"},
        )


def find_received(clinic: Clinic, keys: Iterable[Key]) -> dict[Key, Result]:
    """Readings already stored under these identifiers, in this clinic."""
    wanted = set(keys)
    if not wanted:
        return {}
    systems = {s for s, _ in wanted}
    values = {v for _, v in wanted}
    if not _any_received(clinic.pk, systems, values):
        return {}  # the usual case: a new identifier, answered without the ORM's query
    rows = ReceivedObservation.objects.filter(
        clinic=clinic, system__in=systems, value__in=values
    ).select_related("reading__session")
    found = {}
    for row in rows:
        key = (row.system, row.value)
        if key in wanted:
            found[key] = Result(row.reading, KIND_BY_KEY[row.kind], key, created=False)
    return found


def same_reading(found: Result, incoming: Incoming) -> bool:
    """Does the reading stored under a key hold what `incoming` carries (a true resend)?"""
    reading = found.reading
    return (
        found.kind is incoming.kind
        and reading.session_id == incoming.session_id
        and str(reading.session.patient_id).lower() == incoming.patient_id
        and reading.taken_at == incoming.taken_at
        and all(getattr(reading, name) == value for name, value in incoming.values.items())
    )


def key_conflict(found: Result, incoming: Incoming, where: str) -> FhirError:
    """409: the key is already another reading's. Answering 200 with that one would drop this
    reading without a word (a gateway whose message counter restarted after a reboot)."""
    key = f"{incoming.key[0]}|{incoming.key[1]}" if incoming.key else ""
    return FhirError(
        409,
        "duplicate",
        f"{where}: the identifier {key} is already the key of Observation/{found.resource_id}, "
        f"which carries another reading ({fhir_instant(found.reading.taken_at)}); give each "
        "reading its own identifier. Nothing was stored.",
        where,
    )


def _any_received(clinic_id: int, systems: set[str], values: set[str]) -> bool:
    """Whether any of these keys may be stored already: one indexed probe in plain SQL (the
    ORM's query with its two joined tables cost ≈ 1 ms of Python for every message)."""
    table = ReceivedObservation._meta.db_table
    sql = (
        f"SELECT 1 FROM {table} WHERE clinic_id = %s "  # noqa: S608  (only placeholders added)
        f"AND system IN ({', '.join(['%s'] * len(systems))}) "
        f"AND value IN ({', '.join(['%s'] * len(values))}) LIMIT 1"
    )
    with connections[router.db_for_read(ReceivedObservation)].cursor() as cursor:
        cursor.execute(sql, [clinic_id, *systems, *values])
        return cursor.fetchone() is not None


def store_incoming(
    actor: Actor, clinic: Clinic, items: Sequence[Incoming], now: datetime, *, where: Sequence[str]
) -> Stored:
    """Store `items` (inside the caller's transaction); one Result or FhirError per item.

    `where[i]` is the expression prefix of item i (`Observation`, `Bundle.entry[3].resource`).
    """
    outcomes: list[Outcome_ | None] = [None] * len(items)
    by_session: dict[int, list[int]] = {}
    for i, item in enumerate(items):
        by_session.setdefault(item.session_id, []).append(i)
    keyed: list[ReceivedObservation] = []
    refused: list[int] = []
    for session_id in sorted(by_session):
        indexes = by_session[session_id]
        session = lock_session(session_id, clinic.pk)
        if session is None:
            refused.append(session_id)
            for i in indexes:
                outcomes[i] = FhirError(
                    404,
                    "not-found",
                    f"{where[i]}.encounter: no treatment session Encounter/tx-{session_id}.",
                    f"{where[i]}.encounter",
                )
            continue
        good = []
        for i in indexes:
            problem = _mismatch(session, items[i], where[i])
            if problem is None:
                good.append(i)
            else:
                outcomes[i] = problem
        if not good:
            continue
        new = [NewReading(items[i].values, items[i].taken_at, ReadingSource.DEVICE) for i in good]
        try:
            stored = store_readings(
                actor,
                session,
                new,
                now,
                field_name="encounter",
                audit_detail={"source": "fhir", "kinds": [items[i].kind.key for i in good]},
                after_close=True,
            )
        except ActionError as problem:
            for i in good:
                outcomes[i] = refuse(f"{where[i]}.encounter", problem.message, "business-rule")
            continue
        for i, done in zip(good, stored, strict=True):
            item = items[i]
            outcomes[i] = Result(done.reading, item.kind, item.key, created=True)
            if item.key is not None:
                keyed.append(
                    ReceivedObservation(
                        clinic=clinic,
                        system=item.key[0],
                        value=item.key[1],
                        reading=done.reading,
                        kind=item.kind.key,
                        received_at=now,
                    )
                )
    insert_rows(keyed)
    return Stored([o for o in outcomes if o is not None], refused)


def _mismatch(session: TreatmentSession, item: Incoming, where: str) -> FhirError | None:
    if session.status not in MONITORED:
        # A reading taken before the patient left still joins the session (late_readings).
        problem = late_refusal(session, item.taken_at)
        if problem is not None:
            element, reason = problem
            return refuse(f"{where}.{element}", reason, "business-rule")
    if str(session.patient_id).lower() != item.patient_id:
        return refuse(
            f"{where}.subject.reference",
            f"Encounter/tx-{session.pk} is not a session of this patient.",
            "business-rule",
        )
    started = session.checked_in_at or session.created_at
    if item.taken_at < started:
        name = "effectiveDateTime"
        return refuse(
            f"{where}.{name}",
            f"{fhir_instant(item.taken_at)} is before the session began ({fhir_instant(started)}).",
            "business-rule",
        )
    return None


# --- reading → Observation -------------------------------------------------------------------


def _quantity(value: Any, kind: Kind) -> dict[str, Any]:
    number = float(value) if kind.key == "temp" else int(value)
    return {"value": number, "unit": kind.unit, "system": UCUM, "code": kind.ucum}


def reading_to_fhir(
    reading: VitalReading,
    kind: Kind,
    key: Key | None = None,
    superseded_by: VitalReading | None = None,
) -> dict[str, Any]:
    """One vital sign of a session reading as a vital-signs Observation.

    Corrections (`treatments.corrections`: a new reading replaces the original, which is
    kept): the original, `superseded_by` its correction, reads `entered-in-error` (a client
    that stored its value must drop it); the correction reads `corrected`; each has a note
    naming the other and the reason. A new reading has neither: no query is added."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"reading-{reading.pk}-{kind.key}",
        "meta": {"lastUpdated": fhir_instant(reading.recorded_at)},
    }
    if key is not None:
        resource["identifier"] = [{"system": key[0], "value": key[1]}]
    resource["status"] = _status(reading, superseded_by)
    resource["category"] = [
        {
            "coding": [
                {"system": CATEGORY_SYSTEM, "code": "vital-signs", "display": "Vital Signs"}
            ],
            "text": "Vital Signs",
        }
    ]
    resource["code"] = {
        "coding": [{"system": LOINC, "code": code} for code in kind.codes],
        "text": kind.text,
    }
    resource["subject"] = {"reference": f"Patient/{reading.session.patient_id}"}
    resource["encounter"] = {"reference": f"Encounter/tx-{reading.session_id}"}
    resource["effectiveDateTime"] = fhir_instant(reading.taken_at)
    resource["issued"] = fhir_instant(reading.recorded_at)
    if kind is BP:
        resource["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": code}], "text": BP_TEXT[name]},
                "valueQuantity": _quantity(getattr(reading, name), kind),
            }
            for code, name in BP_COMPONENTS.items()
        ]
    else:
        resource["valueQuantity"] = _quantity(getattr(reading, kind.field), kind)
    if reading.source == ReadingSource.DEVICE:
        resource["method"] = {"text": "From a monitor"}
    note = _correction_note(reading, kind, superseded_by)
    if note:
        resource["note"] = [{"text": note}]
    return resource


def _status(reading: VitalReading, superseded_by: VitalReading | None) -> str:
    if superseded_by is not None:
        return "entered-in-error"
    return "corrected" if reading.corrects_id is not None else "final"


def _correction_note(reading: VitalReading, kind: Kind, superseded_by: VitalReading | None) -> str:
    if superseded_by is not None:
        target = (
            f"Observation/reading-{superseded_by.pk}-{kind.key}"
            if kind in kinds_of(superseded_by)
            else f"reading {superseded_by.pk} (which no longer holds this sign)"
        )
        return (
            f"Corrected on {fhir_instant(superseded_by.recorded_at)} by {target}: "
            f"{superseded_by.correction_reason}"
        )
    if reading.corrects_id is not None:
        return f"Corrects reading {reading.corrects_id}: {reading.correction_reason}"
    return ""


def correction_of(reading: VitalReading) -> VitalReading | None:
    """The reading that corrected `reading`, if any (one query: reads by id only)."""
    found: VitalReading | None = reading.corrections.order_by("pk").first()
    return found


def kinds_of(reading: VitalReading) -> list[Kind]:
    """The vital signs a reading holds (a BP needs both sides)."""
    found = []
    for kind in KINDS:
        if kind is BP:
            if reading.systolic_mmhg is not None and reading.diastolic_mmhg is not None:
                found.append(kind)
        elif getattr(reading, kind.field) is not None:
            found.append(kind)
    return found


def parse_reading_id(resource_id: str) -> tuple[int, Kind] | None:
    match = READING_ID.match(resource_id)
    return (int(match["pk"]), KIND_BY_KEY[match["kind"]]) if match else None


def reading_row(clinic: Clinic, pk: int, kind: Kind) -> VitalReading | None:
    reading: VitalReading | None = (
        VitalReading.objects.filter(pk=pk, session__clinic=clinic)
        .select_related("session", "received_as")
        .first()
    )
    if reading is None or kind not in kinds_of(reading):
        return None
    return reading


def received_key(reading: VitalReading) -> Key | None:
    try:
        received = reading.received_as
    except ReceivedObservation.DoesNotExist:
        return None
    return (received.system, received.value)
