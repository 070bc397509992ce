"""`POST /fhir/` with a `batch` or `transaction` Bundle of vital-signs Observations.

Each entry is `request.method` POST to `Observation` with a vital-signs Observation as in
`device_feed`; `request.ifNoneExist` (`identifier=system|value`) or the Observation's
`identifier` is the entry's idempotency key.

- `transaction`: all or nothing. Every entry is checked first; any problem answers 400 (the
  structure) or 422 (what we cannot store) with one issue per problem, each expression naming
  the entry (`Bundle.entry[3].resource.valueQuantity.value`), and nothing is stored.
  Otherwise every reading is stored in one database transaction and the answer is a
  `transaction-response` Bundle.
- `batch`: each entry on its own: the `batch-response` Bundle has one entry per request entry,
  in order, with its status (`201 Created`, `200 OK` for a key already stored, or the error
  status with an OperationOutcome). The good entries are stored together in one database
  transaction.

An entry whose key is already stored (or repeats an earlier entry of the same Bundle) answers
`200 OK` with the stored Observation's location and stores nothing. Fast by design: one query
for the keys, each session locked once, the readings of a session inserted in one statement,
the alerts of each reading evaluated and inserted in one statement, one audit entry per
session.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ketacare.accounts.access import require
from ketacare.accounts.audit import Actor, actor_from_request, record
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.fhir.device_feed import Incoming, if_none_exist_key, read_observation, structure
from ketacare.fhir.device_store import (
    Result,
    audit_refused,
    find_received,
    key_conflict,
    same_reading,
    store_incoming,
)
from ketacare.fhir.http import fhir_endpoint, read_json_body
from ketacare.fhir.outcome import FhirError, fhir_response, operation_outcome
from ketacare.fhir.patient_resource import fhir_instant

MAX_ENTRIES = 1000
ENTRY = frozenset({"fullUrl", "resource", "request"})
REQUEST = frozenset({"method", "url", "ifNoneExist"})
BUNDLE = frozenset({"resourceType", "id", "meta", "type", "entry", "timestamp", "identifier"})
REASONS = {
    200: "OK",
    201: "Created",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
}


class _RolledBack(Exception):
    def __init__(self, error: FhirError):
        super().__init__(str(error))
        self.error = error


@dataclass
class Entry:
    incoming: Incoming | None = None
    error: FhirError | None = None
    result: Result | None = None
    same_as: int | None = None  # repeats the key of an earlier entry
    key_where: str = ""  # where its key is: the identifier or request.ifNoneExist
    conflict: Result | None = None  # the stored reading its key already belongs to


@fhir_endpoint("POST")
def system_interaction(request: HttpRequest) -> HttpResponse:
    require(request, Perm.SESSION_RUN)
    body = read_json_body(request)
    kind, raw_entries = _bundle(body)
    now = timezone.now()
    entries = [_read_entry(raw, i, now) for i, raw in enumerate(raw_entries)]
    _refuse_conflicting_keys(entries, raw_entries)
    if kind == "transaction":
        problems = [e.error for e in entries if e.error is not None]
        if problems:
            status = 400 if any(p.status == 400 for p in problems) else 422
            issues = [issue for p in problems for issue in p.issues]
            raise FhirError(status, issues[0].code, "", issues=issues)
    clinic = request.clinic  # type: ignore[attr-defined]
    actor = actor_from_request(request)
    for attempt in (1, 2):
        try:
            _store(actor, clinic, entries, now, all_or_nothing=kind == "transaction")
            break
        except IntegrityError:
            # A concurrent request stored one of these keys: look them up again, once.
            if attempt == 2:
                raise
            for entry in entries:
                entry.result = None
    _audit_existing(actor, clinic, entries)
    return fhir_response(_response_bundle(kind, entries))


def _bundle(body: Any) -> tuple[str, list[Any]]:
    if not isinstance(body, dict):
        raise structure("Bundle", "the body must be a JSON object (a FHIR Bundle).")
    if body.get("resourceType") != "Bundle":
        raise structure("Bundle.resourceType", "POST to the base takes a Bundle.")
    for name in body:
        if name not in BUNDLE:
            raise structure(f"Bundle.{name}", "is not an element KetaCare accepts here.")
    kind = body.get("type")
    if kind not in ("batch", "transaction"):
        raise FhirError(
            422,
            "not-supported",
            f"Bundle.type: KetaCare takes 'batch' or 'transaction', not {str(kind)[:40]!r}.",
            "Bundle.type",
        )
    entries = body.get("entry", [])
    if not isinstance(entries, list):
        raise structure("Bundle.entry", "must be a JSON array.")
    if len(entries) > MAX_ENTRIES:
        raise FhirError(
            413, "too-costly", f"Bundle.entry: at most {MAX_ENTRIES} entries.", "Bundle.entry"
        )
    return kind, entries


def _read_entry(raw: Any, index: int, now: datetime) -> Entry:
    where = f"Bundle.entry[{index}]"
    try:
        if not isinstance(raw, dict):
            raise structure(where, "must be a JSON object.")
        for name in raw:
            if name not in ENTRY:
                raise structure(f"{where}.{name}", "is not an element KetaCare accepts here.")
        req = raw.get("request")
        if not isinstance(req, dict):
            raise structure(f"{where}.request", "is required: method POST, url Observation.")
        for name in req:
            if name not in REQUEST:
                raise structure(f"{where}.request.{name}", "is not supported here.")
        if req.get("method") != "POST" or str(req.get("url", "")).strip("/") != "Observation":
            raise FhirError(
                422,
                "not-supported",
                f"{where}.request: KetaCare takes only POST Observation in a Bundle.",
                f"{where}.request",
            )
        header_key = None
        if "ifNoneExist" in req:
            header = req["ifNoneExist"]
            if not isinstance(header, str):
                raise structure(f"{where}.request.ifNoneExist", "must be a string.")
            header_key = if_none_exist_key(header, f"{where}.request.ifNoneExist")
        if "resource" not in raw:
            raise structure(f"{where}.resource", "is required.")
        resource = raw["resource"]
        key_where = (
            f"{where}.resource.identifier[0]"
            if isinstance(resource, dict) and "identifier" in resource
            else f"{where}.request.ifNoneExist"
        )
        incoming = read_observation(resource, now, f"{where}.resource", header_key)
        return Entry(incoming, key_where=key_where)
    except FhirError as error:
        return Entry(error=error)


def _same_reading(a: Incoming, b: Incoming) -> bool:
    return (a.kind, a.values, a.session_id, a.patient_id, a.taken_at) == (
        b.kind,
        b.values,
        b.session_id,
        b.patient_id,
        b.taken_at,
    )


def _refuse_conflicting_keys(entries: list[Entry], raw_entries: list[Any]) -> None:
    """An entry repeating an earlier entry's key with another reading is refused: answering it
    with the earlier entry's Observation would drop its reading without a word (FHIR R4 §3.1.0.11:
    a batch has no interdependent entries; a transaction's identities must not overlap). An
    exact repeat keeps its documented answer, the earlier entry's Observation."""
    first: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(entries):
        incoming = entry.incoming
        if incoming is None or incoming.key is None:
            continue
        j = first.setdefault(incoming.key, i)
        earlier = entries[j].incoming
        if j == i or earlier is None or _same_reading(earlier, incoming):
            continue
        resource = raw_entries[i].get("resource")
        where = (
            f"Bundle.entry[{i}].resource.identifier[0]"
            if isinstance(resource, dict) and "identifier" in resource
            else f"Bundle.entry[{i}].request.ifNoneExist"
        )
        key = f"{incoming.key[0]}|{incoming.key[1]}"
        entry.incoming = None
        entry.error = FhirError(
            422,
            "duplicate",
            f"{where}: the identifier {key} is already the key of Bundle.entry[{j}], which "
            "carries another reading; give each reading its own identifier. Nothing of this "
            "entry was stored.",
            where,
        )


def _store(
    actor: Actor, clinic: Clinic, entries: list[Entry], now: datetime, *, all_or_nothing: bool
) -> None:
    keys: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(entries):
        key = entry.incoming.key if entry.incoming is not None else None
        if key is not None:
            if key in keys:
                entry.same_as = keys[key]
            else:
                keys[key] = i
    conflicts = []
    for key, result in find_received(clinic, keys).items():
        entry = entries[keys[key]]
        if entry.incoming is not None and same_reading(result, entry.incoming):
            entry.result = result
        else:  # the key is another reading's: refused, as inside one Bundle (409 here)
            entry.error = key_conflict(result, entry.incoming, entry.key_where)  # type: ignore[arg-type]
            entry.incoming, entry.conflict = None, result
            conflicts.append(entry)
    if conflicts and all_or_nothing:
        _audit_existing(actor, clinic, conflicts)
        issues = [issue for e in conflicts if e.error for issue in e.error.issues]
        raise FhirError(409, "duplicate", "", issues=issues)
    todo = [
        i
        for i, e in enumerate(entries)
        if e.incoming is not None and e.result is None and e.same_as is None
    ]
    if todo:
        try:
            with transaction.atomic():
                stored = store_incoming(
                    actor,
                    clinic,
                    [entries[i].incoming for i in todo],  # type: ignore[misc]
                    now,
                    where=[f"Bundle.entry[{i}].resource" for i in todo],
                )
                problems = []
                for i, outcome in zip(todo, stored.outcomes, strict=True):
                    if isinstance(outcome, Result):
                        entries[i].result = outcome
                    else:
                        entries[i].error = outcome
                        problems.append(outcome)
                if problems and all_or_nothing:
                    status = 404 if all(p.status == 404 for p in problems) else 422
                    issues = [issue for p in problems for issue in p.issues]
                    raise _RolledBack(FhirError(status, issues[0].code, "", issues=issues))
        except _RolledBack as rolled_back:
            audit_refused(actor, clinic, stored.refused_sessions)
            raise rolled_back.error from None
        audit_refused(actor, clinic, stored.refused_sessions)
    for entry in entries:
        if entry.same_as is not None:
            first = entries[entry.same_as]
            entry.result = (
                Result(first.result.reading, first.result.kind, first.result.key, created=False)
                if first.result is not None
                else None
            )
            entry.error = first.error if first.result is None else None


def _audit_existing(actor: Actor, clinic: Clinic, entries: list[Entry]) -> None:
    """Answering with (or naming, `conflict`) a stored Observation shows it: audited as a
    read."""
    for entry in entries:
        result = entry.result or entry.conflict
        if result is None or result.created or entry.same_as is not None:
            continue
        record(
            actor,
            "fhir.observation.read",
            object_type="reading",
            object_id=result.reading.pk,
            patient_id=result.reading.session.patient_id,
            clinic_id=clinic.pk,
            detail={
                "id": result.resource_id,
                "via": "identifier-conflict" if entry.conflict else "identifier",
            },
        )


def _status(code: int) -> str:
    return f"{code} {REASONS.get(code, '')}".strip()


def _response_bundle(kind: str, entries: list[Entry]) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for entry in entries:
        if entry.result is not None:
            result = entry.result
            out.append(
                {
                    "response": {
                        "status": _status(201 if result.created else 200),
                        "location": f"Observation/{result.resource_id}",
                        "lastModified": fhir_instant(result.reading.recorded_at),
                    }
                }
            )
        else:
            error = entry.error or FhirError(500, "exception", "The entry was not processed.")
            out.append(
                {
                    "response": {
                        "status": _status(error.status),
                        "outcome": operation_outcome(error.issues),
                    }
                }
            )
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": f"{kind}-response"}
    if out:
        bundle["entry"] = out
    return bundle
