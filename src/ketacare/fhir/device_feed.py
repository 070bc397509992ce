"""Reading a vital-signs Observation posted by a monitor gateway (no database here).

Accepted: one vital sign per Observation, LOINC-coded, in UCUM units, for a patient in a
treatment session (`Encounter/tx-{session}`), at a time with a time zone:

| LOINC | what | value | UCUM code |
| --- | --- | --- | --- |
| 85354-9 | blood pressure panel | `component` 8480-6 systolic and 8462-4 diastolic | `mm[Hg]` |
| 8867-4 | heart rate | `valueQuantity` | `/min` |
| 59408-5 or 2708-6 | oxygen saturation (pulse oximetry) | `valueQuantity` | `%` |
| 9279-1 | respiratory rate | `valueQuantity` | `/min` |
| 8310-5 | body temperature | `valueQuantity` (at most one decimal) | `Cel` |

Codes and units: shared/reference/instruments.md §12 and the FHIR R4 vital-signs profile.

The body is checked element by element against this profile, strictly and fast (a monitor
posts every few seconds): a JSON type that FHIR does not allow, an element that is not FHIR,
a second value, answers 400 naming the element; a valid Observation we cannot store as it is
(an element we would drop, an unknown code, a wrong unit, an impossible value) answers 422
naming the element. Elements the server sets itself (`id`, `meta`, `text`, `issued`) are
checked for type and otherwise replaced. Plausibility is the chair's own rule
(`treatments.actions.clean_vitals`, `clinical.vitals.implausible`).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl

from ketacare.accounts.actions import ActionError
from ketacare.fhir.outcome import FhirError, Issue
from ketacare.treatments.actions import clean_vitals

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBS = "Observation"
# Clock skew allowed between the gateway and us before a time counts as "in the future".
FUTURE_SKEW = timedelta(minutes=5)
# The longest identifier system/value we keep (ReceivedObservation columns).
KEY_MAX = 255
# A bound far above any vital sign (the plausible ranges are clinical.vitals.implausible's).
MAX_VALUE = Decimal(10**6)


@dataclass(frozen=True)
class Kind:
    key: str  # id suffix: reading-{pk}-{key}
    text: str
    codes: tuple[str, ...]  # LOINC codes, the first is the one we send
    field: str  # VitalReading field ("" for the BP panel)
    ucum: str
    unit: str  # human-readable unit we send


BP = Kind("bp", "Blood pressure", ("85354-9",), "", "mm[Hg]", "mmHg")
KINDS: tuple[Kind, ...] = (
    BP,
    Kind("hr", "Heart rate", ("8867-4",), "heart_rate_bpm", "/min", "beats/minute"),
    Kind(
        "spo2",
        "Oxygen saturation by pulse oximetry",
        ("59408-5", "2708-6"),
        "spo2_pct",
        "%",
        "%",
    ),
    Kind("rr", "Respiratory rate", ("9279-1",), "resp_rate_per_min", "/min", "breaths/minute"),
    Kind("temp", "Body temperature", ("8310-5",), "temperature_c", "Cel", "C"),
)
KIND_BY_KEY = {k.key: k for k in KINDS}
KIND_BY_CODE = {code: k for k in KINDS for code in k.codes}
BP_COMPONENTS = {"8480-6": "systolic_mmhg", "8462-4": "diastolic_mmhg"}
BP_TEXT = {"systolic_mmhg": "Systolic blood pressure", "diastolic_mmhg": "Diastolic blood pressure"}
SUPPORTED = ", ".join(code for k in KINDS for code in k.codes)

# Every element of an R4 Observation (http://hl7.org/fhir/R4/observation.html), so an element
# FHIR has but we do not store (422) is told apart from one that is not FHIR at all (400).
FHIR_ELEMENTS = frozenset(
    [
        "resourceType",
        "id",
        "meta",
        "implicitRules",
        "language",
        "text",
        "contained",
        "extension",
        "modifierExtension",
        "identifier",
        "basedOn",
        "partOf",
        "status",
        "category",
        "code",
        "subject",
        "focus",
        "encounter",
        "effectiveDateTime",
        "effectivePeriod",
        "effectiveTiming",
        "effectiveInstant",
        "issued",
        "performer",
        "valueQuantity",
        "valueCodeableConcept",
        "valueString",
        "valueBoolean",
        "valueInteger",
        "valueRange",
        "valueRatio",
        "valueSampledData",
        "valueTime",
        "valueDateTime",
        "valuePeriod",
        "dataAbsentReason",
        "interpretation",
        "note",
        "bodySite",
        "method",
        "specimen",
        "device",
        "referenceRange",
        "hasMember",
        "derivedFrom",
        "component",
    ]
)
# Elements we read, and those the server sets itself (type-checked, then replaced).
READ = frozenset(
    [
        "resourceType",
        "identifier",
        "status",
        "category",
        "code",
        "subject",
        "encounter",
        "effectiveDateTime",
        "effectiveInstant",
        "valueQuantity",
        "component",
    ]
)
SERVER_SET = frozenset({"id", "meta", "text", "issued"})
ENCOUNTER_REF = re.compile(r"^(?:.*/)?Encounter/tx-(?P<pk>[1-9]\d{0,17})$")
PATIENT_REF = re.compile(r"^(?:.*/)?Patient/(?P<id>[A-Za-z0-9\-.]{1,64})$")
ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$")
# The VitalReading field each value lands in, for messages.
FIELD_WORDS = {
    "systolic_mmhg": "systolic",
    "diastolic_mmhg": "diastolic",
    "heart_rate_bpm": "heart rate",
    "spo2_pct": "SpO2",
    "resp_rate_per_min": "respiratory rate",
    "temperature_c": "temperature",
}


@dataclass
class Incoming:
    """One Observation, read and checked; what the store needs, and where each value was."""

    kind: Kind
    values: dict[str, Any]
    session_id: int
    patient_id: str
    taken_at: datetime
    key: tuple[str, str] | None = None  # identifier (system, value)
    where: dict[str, str] = field(default_factory=dict)  # VitalReading field → expression


def structure(expression: str, diagnostics: str) -> FhirError:
    return FhirError(400, "structure", f"{expression}: {diagnostics}", expression)


def refuse(expression: str, diagnostics: str, code: str = "invalid") -> FhirError:
    return FhirError(422, code, f"{expression}: {diagnostics}", expression)


# --- JSON types ----------------------------------------------------------------------------


def _obj(value: Any, where: str, allowed: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise structure(where, "must be a JSON object.")
    for name in value:
        if name not in allowed:
            raise structure(f"{where}.{name}", "is not an element KetaCare accepts here.")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise structure(where, "must be a non-empty JSON array.")
    return value


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise structure(where, "must be a non-empty string.")
    return value


CODING = frozenset({"system", "version", "code", "display", "userSelected"})
CONCEPT = frozenset({"coding", "text"})
REFERENCE = frozenset({"reference", "display", "type"})
QUANTITY = frozenset({"value", "comparator", "unit", "system", "code"})
IDENTIFIER = frozenset({"use", "system", "value"})
COMPONENT = frozenset({"code", "valueQuantity"})


def _concept(value: Any, where: str) -> list[tuple[str, str]]:
    """A CodeableConcept: its (system, code) pairs, every element type-checked."""
    concept = _obj(value, where, CONCEPT)
    if "text" in concept:
        _str(concept["text"], f"{where}.text")
    pairs = []
    for i, coding in enumerate(_list(concept.get("coding"), f"{where}.coding")):
        at = f"{where}.coding[{i}]"
        _obj(coding, at, CODING)
        for name in ("system", "version", "code", "display"):
            if name in coding:
                _str(coding[name], f"{at}.{name}")
        if "userSelected" in coding and not isinstance(coding["userSelected"], bool):
            raise structure(f"{at}.userSelected", "must be true or false.")
        pairs.append((coding.get("system", ""), coding.get("code", "")))
    return pairs


def _reference(value: Any, where: str) -> str:
    ref = _obj(value, where, REFERENCE)
    for name in ("display", "type"):
        if name in ref:
            _str(ref[name], f"{where}.{name}")
    if "reference" not in ref:
        raise refuse(f"{where}.reference", "is required.", "required")
    return _str(ref["reference"], f"{where}.reference")


def _quantity(value: Any, where: str, kind_ucum: str, what: str) -> Decimal:
    quantity = _obj(value, where, QUANTITY)
    for name in ("unit", "system", "code", "comparator"):
        if name in quantity:
            _str(quantity[name], f"{where}.{name}")
    number = quantity.get("value")
    if isinstance(number, bool) or not isinstance(number, int | float):
        if number is None:
            raise refuse(f"{where}.value", f"the {what} value is required.", "required")
        raise structure(f"{where}.value", "must be a JSON number.")
    if isinstance(number, float) and not math.isfinite(number):
        # Python's JSON reader takes NaN, Infinity and 1e400 (→ inf); JSON and FHIR do not, and
        # an infinite value would fail deep in the checks below (500 instead of this answer).
        # Only a float: math.isfinite of an integer beyond a float's range is an OverflowError.
        raise structure(f"{where}.value", "must be a finite JSON number.")
    if "comparator" in quantity:
        raise refuse(f"{where}.comparator", "only exact measured values can be stored.")
    if quantity.get("system") != UCUM or quantity.get("code") != kind_ucum:
        got = f"{quantity.get('system', '(no system)')}|{quantity.get('code', '(no code)')}"
        raise refuse(
            f"{where}.code",
            f"the {what} must be in UCUM {UCUM}|{kind_ucum}, not {got}.",
            "code-invalid",
        )
    try:
        decimal = Decimal(str(number))
    except InvalidOperation as problem:  # non-finite values are refused above; be safe
        raise structure(f"{where}.value", "must be a finite number.") from problem
    if abs(decimal) >= MAX_VALUE:
        # No vital sign comes near; rounding such a number to 0.1 °C raises InvalidOperation
        # (28 significant digits), so it is refused here, before any arithmetic.
        shown = str(number) if len(str(number)) <= 40 else f"{decimal:.3E}"  # not 300 digits
        raise refuse(f"{where}.value", f"{shown} is not a possible {what}.", "business-rule")
    return decimal


def _whole(value: Decimal, where: str, what: str) -> int:
    if value != value.to_integral_value():
        raise refuse(where, f"the {what} must be a whole number, not {value}.")
    return int(value)


def _date_time(value: Any, where: str) -> datetime:
    text = _str(value, where)
    if not DATE_TIME.match(text):
        raise refuse(
            where,
            "must be a full date and time with seconds and a time zone (2026-12-02T14:05:00Z).",
        )
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        # 0001-01-01T00:00:00+14:00 parses but is before year 1 in UTC: every later use of it
        # (comparisons, the refusal's own message) would fail with OverflowError, a 500.
        moment.astimezone(UTC)
    except (ValueError, OverflowError) as problem:
        raise refuse(where, f"{text!r} is not a real date and time.") from problem
    return moment


# --- the Observation -----------------------------------------------------------------------


def read_observation(
    body: Any, now: datetime, where: str = OBS, header_key: tuple[str, str] | None = None
) -> Incoming:
    """Check one posted Observation; `where` prefixes expressions (a Bundle entry)."""
    if not isinstance(body, dict):
        raise structure(where, "must be a JSON object (a FHIR resource).")
    if body.get("resourceType") != OBS:
        got = body.get("resourceType")
        raise structure(
            f"{where}.resourceType",
            "must be 'Observation'" + (f", not {str(got)[:40]!r}." if got else "."),
        )
    for name in body:
        if name in READ or name in SERVER_SET:
            continue
        if name in FHIR_ELEMENTS:
            raise refuse(
                f"{where}.{name}",
                "KetaCare stores only the vital sign, its time, patient and session; it would "
                "drop this element, so it refuses it. Send the Observation without it.",
                "not-supported",
            )
        raise structure(f"{where}.{name}", "is not an element of an R4 Observation.")
    _server_set(body, where)
    status = _str(body.get("status"), f"{where}.status") if "status" in body else None
    if status != "final":
        raise refuse(
            f"{where}.status",
            "must be 'final' (a measured value)"
            + (f", not {status!r}." if status else "; it is missing."),
            "required" if status is None else "code-invalid",
        )
    if "category" in body:
        for i, concept in enumerate(_list(body["category"], f"{where}.category")):
            _concept(concept, f"{where}.category[{i}]")
    if "code" not in body:
        raise refuse(f"{where}.code", "is required.", "required")
    kind = _kind(_concept(body["code"], f"{where}.code"), f"{where}.code")
    incoming = Incoming(
        kind=kind,
        values={},
        session_id=_encounter(body, where),
        patient_id=_subject(body, where),
        taken_at=_effective(body, where, now),
        key=_identifier(body, where, header_key),
    )
    _values(body, where, incoming)
    _plausible(incoming)
    return incoming


def _server_set(body: dict[str, Any], where: str) -> None:
    if "id" in body and not (isinstance(body["id"], str) and ID.match(body["id"])):
        raise structure(f"{where}.id", "must be a FHIR id (letters, digits, '-', '.').")
    for name in ("meta", "text"):
        if name in body and not isinstance(body[name], dict):
            raise structure(f"{where}.{name}", "must be a JSON object.")
    if "issued" in body:
        _date_time(body["issued"], f"{where}.issued")


def _kind(pairs: list[tuple[str, str]], where: str) -> Kind:
    found = {
        KIND_BY_CODE[code] for system, code in pairs if system == LOINC and code in KIND_BY_CODE
    }
    if not found:
        raise refuse(
            where,
            f"no LOINC code ({LOINC}) KetaCare takes from a monitor; send one of {SUPPORTED} "
            "(blood pressure as the 85354-9 panel with 8480-6 and 8462-4 components).",
            "code-invalid",
        )
    if len(found) > 1:
        raise refuse(where, "codes for more than one vital sign: send one per Observation.")
    return found.pop()


def _encounter(body: dict[str, Any], where: str) -> int:
    if "encounter" not in body:
        raise refuse(
            f"{where}.encounter",
            "is required: the treatment session, Encounter/tx-{id}.",
            "required",
        )
    reference = _reference(body["encounter"], f"{where}.encounter")
    match = ENCOUNTER_REF.match(reference)
    if match is None:
        raise refuse(
            f"{where}.encounter.reference",
            f"{reference[:80]!r} is not a treatment session (Encounter/tx-{{id}}).",
        )
    return int(match["pk"])


def _subject(body: dict[str, Any], where: str) -> str:
    if "subject" not in body:
        raise refuse(f"{where}.subject", "is required: Patient/{id}.", "required")
    reference = _reference(body["subject"], f"{where}.subject")
    match = PATIENT_REF.match(reference)
    if match is None:
        raise refuse(f"{where}.subject.reference", f"{reference[:80]!r} is not Patient/{{id}}.")
    return match["id"].lower()


def _effective(body: dict[str, Any], where: str, now: datetime) -> datetime:
    names = [n for n in ("effectiveDateTime", "effectiveInstant") if n in body]
    if not names:
        raise refuse(
            f"{where}.effectiveDateTime", "is required: when the value was measured.", "required"
        )
    if len(names) > 1:
        raise structure(f"{where}.effectiveInstant", "only one effective[x] may be given.")
    at = f"{where}.{names[0]}"
    moment = _date_time(body[names[0]], at)
    if moment > now + FUTURE_SKEW:
        raise refuse(at, "is in the future.")
    return moment


def _identifier(
    body: dict[str, Any], where: str, header_key: tuple[str, str] | None
) -> tuple[str, str] | None:
    key = None
    if "identifier" in body:
        identifiers = _list(body["identifier"], f"{where}.identifier")
        if len(identifiers) > 1:
            raise refuse(
                f"{where}.identifier[1]",
                "send one identifier (the gateway's message id): it is the idempotency key.",
            )
        at = f"{where}.identifier[0]"
        identifier = _obj(identifiers[0], at, IDENTIFIER)
        if "use" in identifier:
            _str(identifier["use"], f"{at}.use")
        for name in ("system", "value"):
            if name not in identifier:
                raise refuse(f"{at}.{name}", "is required for an idempotency key.", "required")
            if len(_str(identifier[name], f"{at}.{name}")) > KEY_MAX:
                raise refuse(f"{at}.{name}", f"is longer than {KEY_MAX} characters.")
        key = (identifier["system"], identifier["value"])
    if header_key is not None and key is not None and header_key != key:
        raise refuse(
            f"{where}.identifier[0]",
            "If-None-Exist names another identifier than the Observation carries.",
        )
    return key or header_key


def _values(body: dict[str, Any], where: str, incoming: Incoming) -> None:
    kind = incoming.kind
    if kind is BP:
        if "valueQuantity" in body:
            raise refuse(
                f"{where}.valueQuantity",
                "a blood pressure panel carries its values in component (8480-6, 8462-4).",
            )
        components = (
            _list(body.get("component"), f"{where}.component") if "component" in body else []
        )
        for i, component in enumerate(components):
            at = f"{where}.component[{i}]"
            _obj(component, at, COMPONENT)
            if "code" not in component:
                raise refuse(f"{at}.code", "is required.", "required")
            pairs = _concept(component["code"], f"{at}.code")
            names = {BP_COMPONENTS[c] for s, c in pairs if s == LOINC and c in BP_COMPONENTS}
            if len(names) != 1:
                raise refuse(
                    f"{at}.code",
                    "must be LOINC 8480-6 (systolic) or 8462-4 (diastolic); KetaCare stores no "
                    "other blood pressure component.",
                    "code-invalid",
                )
            name = names.pop()
            if name in incoming.values:
                raise refuse(f"{at}.code", f"the {FIELD_WORDS[name]} pressure is given twice.")
            if "valueQuantity" not in component:
                raise refuse(f"{at}.valueQuantity", "is required.", "required")
            value_at = f"{at}.valueQuantity"
            number = _quantity(component["valueQuantity"], value_at, kind.ucum, FIELD_WORDS[name])
            incoming.values[name] = _whole(number, f"{value_at}.value", FIELD_WORDS[name])
            incoming.where[name] = f"{value_at}.value"
        for name in BP_COMPONENTS.values():
            if name not in incoming.values:
                raise refuse(
                    f"{where}.component",
                    f"the {FIELD_WORDS[name]} pressure is missing: send both 8480-6 and 8462-4.",
                    "required",
                )
        return
    if "component" in body:
        raise refuse(f"{where}.component", f"a {kind.text.lower()} has no components.")
    if "valueQuantity" not in body:
        raise refuse(f"{where}.valueQuantity", "is required.", "required")
    value_at = f"{where}.valueQuantity"
    what = FIELD_WORDS[kind.field]
    number = _quantity(body["valueQuantity"], value_at, kind.ucum, what)
    if kind.field == "temperature_c":
        if number != number.quantize(Decimal("0.1")):
            raise refuse(f"{value_at}.value", f"send the temperature to 0.1 °C, not {number}.")
        incoming.values[kind.field] = number.quantize(Decimal("0.1"))
    else:
        incoming.values[kind.field] = _whole(number, f"{value_at}.value", what)
    incoming.where[kind.field] = f"{value_at}.value"


def _plausible(incoming: Incoming) -> None:
    """The chair's own check: a value no patient can have is refused, naming the element."""
    try:
        incoming.values = {k: v for k, v in clean_vitals(incoming.values).items() if v is not None}
    except ActionError as problem:
        raise refuse(
            incoming.where.get(problem.field, "Observation"), problem.message, "business-rule"
        ) from problem


# --- If-None-Exist ---------------------------------------------------------------------------


def if_none_exist_key(
    header: str, where: str = "If-None-Exist", resource_type: str = OBS
) -> tuple[str, str] | None:
    """`identifier=system|value` (the only search KetaCare takes here), or None when empty.

    The query may start with `?` or `{resource_type}?` (as many clients send
    `entry.request.ifNoneExist`). FHIR search escaping applies (http.html#escaping): `\\,`,
    `\\|`, `\\$` and `\\\\` are literal characters; an unescaped comma would be an OR of
    several identifiers, which cannot be one message's key, so it is refused.
    """
    header = header.strip()
    if header.startswith(f"{resource_type}?"):
        header = header[len(resource_type) :]
    header = header.removeprefix("?")
    if not header:
        return None
    pairs = parse_qsl(header, keep_blank_values=True)
    if len(pairs) != 1 or pairs[0][0] != "identifier":
        raise FhirError(
            400,
            "invalid",
            f"{where}: give exactly one search, identifier=system|value.",
            where,
        )
    parts = _split_token(pairs[0][1], where)
    if len(parts) != 2:
        raise FhirError(
            400, "invalid", f"{where}: the identifier must be system|value, both given.", where
        )
    system, value = parts
    if not system or not value or len(system) > KEY_MAX or len(value) > KEY_MAX:
        raise FhirError(
            400, "invalid", f"{where}: the identifier must be system|value, both given.", where
        )
    return system, value


def _split_token(text: str, where: str) -> list[str]:
    """A token search value split at its unescaped `|`, with FHIR's escapes undone."""
    parts, current, escaped = [], [], False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "|":
            parts.append("".join(current))
            current = []
        elif char == ",":
            raise FhirError(
                400,
                "invalid",
                f"{where}: one identifier only; a comma asks for any of several (escape a comma "
                "inside the value as \\,).",
                where,
            )
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def issue_at(error: FhirError) -> Issue:
    return error.issues[0]
