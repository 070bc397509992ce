"""Patient ↔ FHIR R4 Patient: the mapping both ways, and validation of incoming resources.

Outgoing (`patient_to_fhir`):
- `identifier`: the MRN, type MR (v2-0203), system `urn:ketacare:clinic:{slug}:mrn`.
- `name`: the legal name as `official`; the preferred name (if any) as `usual`.
- `gender`: FHIR administrative gender from sex at birth (female/male/unknown; intersex →
  other). Sex at birth also goes in the US Core birthsex extension (F/M/UNK); it is left out
  for intersex, which that value set cannot express.
- Gender identity and pronouns are free text, carried as CodeableConcept `text` in the US Core
  genderIdentity extension and the core individual-pronouns extension.
- `telecom`: phone, an extra `sms` entry when texting is preferred, email; the preferred
  contact has `rank` 1.
- `contact`: the emergency contact, relationship coded C (v2-0131) with the typed text.

Incoming (`cleaned_patient_data`) reads the same elements back and validates everything through
`PatientForm`, so FHIR, the JSON API and the pages accept exactly the same data. Elements we
do not store (other identifiers, extra names, addresses or contacts) are ignored; the MRN is
always assigned by KetaCare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pydantic
from fhir.resources.R4B.patient import Patient as FhirPatient

from ketacare.accounts.models import Clinic
from ketacare.fhir.outcome import FhirError, Issue
from ketacare.patients.forms import PatientForm
from ketacare.patients.models import ContactMethod, Patient, SexAtBirth

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_0131 = "http://terminology.hl7.org/CodeSystem/v2-0131"
BIRTHSEX_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
GENDER_IDENTITY_URL = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-genderIdentity"
PRONOUNS_URL = "http://hl7.org/fhir/StructureDefinition/individual-pronouns"

# http://hl7.org/fhir/R4/valueset-administrative-gender.html
GENDER_FROM_SEX = {
    SexAtBirth.FEMALE: "female",
    SexAtBirth.MALE: "male",
    SexAtBirth.INTERSEX: "other",
    SexAtBirth.UNKNOWN: "unknown",
}
SEX_FROM_GENDER = {
    "female": SexAtBirth.FEMALE,
    "male": SexAtBirth.MALE,
    "other": SexAtBirth.INTERSEX,
    "unknown": SexAtBirth.UNKNOWN,
}
# US Core Birth Sex value set (F, M, UNK).
BIRTHSEX_FROM_SEX = {SexAtBirth.FEMALE: "F", SexAtBirth.MALE: "M", SexAtBirth.UNKNOWN: "UNK"}
SEX_FROM_BIRTHSEX = {"F": SexAtBirth.FEMALE, "M": SexAtBirth.MALE, "UNK": SexAtBirth.UNKNOWN}
# http://hl7.org/fhir/R4/valueset-contact-point-system.html
CONTACT_POINT_SYSTEMS = frozenset({"phone", "fax", "email", "pager", "url", "sms", "other"})
FULL_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def mrn_system(clinic: Clinic) -> str:
    """The identifier system of a clinic's MRNs: stable for as long as the slug is."""
    return f"urn:ketacare:clinic:{clinic.slug}:mrn"


def fhir_instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# --- outgoing ----------------------------------------------------------------------------


def patient_to_fhir(patient: Patient) -> dict[str, Any]:
    sex = SexAtBirth(patient.sex_at_birth)
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(patient.pk),
        "meta": {"lastUpdated": fhir_instant(patient.updated_at)},
    }
    extensions = _extensions(patient, sex)
    if extensions:
        resource["extension"] = extensions
    resource["identifier"] = [
        {
            "use": "usual",
            "type": {
                "coding": [{"system": V2_0203, "code": "MR", "display": "Medical record number"}],
                "text": "MRN",
            },
            "system": mrn_system(patient.clinic),
            "value": patient.mrn,
            "assigner": {"display": patient.clinic.name},
        }
    ]
    resource["name"] = _names(patient)
    telecom = _telecom(patient)
    if telecom:
        resource["telecom"] = telecom
    resource["gender"] = GENDER_FROM_SEX[sex]
    resource["birthDate"] = patient.birth_date.isoformat()
    address = _address(patient)
    if address:
        resource["address"] = [address]
    contact = _emergency_contact(patient)
    if contact:
        resource["contact"] = [contact]
    return resource


def _text_concept(text: str) -> dict[str, Any]:
    return {"text": text}


def _extensions(patient: Patient, sex: SexAtBirth) -> list[dict[str, Any]]:
    extensions: list[dict[str, Any]] = []
    if sex in BIRTHSEX_FROM_SEX:
        extensions.append({"url": BIRTHSEX_URL, "valueCode": BIRTHSEX_FROM_SEX[sex]})
    if patient.gender_identity:
        extensions.append(
            {
                "url": GENDER_IDENTITY_URL,
                "valueCodeableConcept": _text_concept(patient.gender_identity),
            }
        )
    if patient.pronouns:
        extensions.append(
            {
                "url": PRONOUNS_URL,
                "extension": [
                    {"url": "value", "valueCodeableConcept": _text_concept(patient.pronouns)}
                ],
            }
        )
    return extensions


def _names(patient: Patient) -> list[dict[str, Any]]:
    names: list[dict[str, Any]] = [
        {
            "use": "official",
            "text": f"{patient.legal_given_name} {patient.legal_family_name}",
            "family": patient.legal_family_name,
            "given": [patient.legal_given_name],
        }
    ]
    if patient.preferred_name:
        names.append(
            {
                "use": "usual",
                "text": f"{patient.preferred_name} {patient.legal_family_name}",
                "family": patient.legal_family_name,
                "given": [patient.preferred_name],
            }
        )
    return names


def _telecom(patient: Patient) -> list[dict[str, Any]]:
    entries: list[tuple[str, str, str]] = []  # (method, system, value)
    if patient.phone:
        entries.append((ContactMethod.PHONE, "phone", patient.phone))
        if patient.preferred_contact == ContactMethod.SMS:
            entries.append((ContactMethod.SMS, "sms", patient.phone))
    if patient.email:
        entries.append((ContactMethod.EMAIL, "email", patient.email))
    # The preferred method comes first with rank 1; the rest follow in order.
    entries.sort(key=lambda entry: entry[0] != patient.preferred_contact)
    return [
        {"system": system, "value": value, "rank": rank}
        for rank, (_, system, value) in enumerate(entries, start=1)
    ]


def _address(patient: Patient) -> dict[str, Any]:
    if not (patient.address_line or patient.city or patient.region or patient.postal_code):
        return {}
    address: dict[str, Any] = {"use": "home"}
    if patient.address_line:
        address["line"] = [patient.address_line]
    if patient.city:
        address["city"] = patient.city
    if patient.region:
        address["state"] = patient.region
    if patient.postal_code:
        address["postalCode"] = patient.postal_code
    address["country"] = patient.country
    return address


def _emergency_contact(patient: Patient) -> dict[str, Any]:
    # pat-1: a contact must carry details, so a bare relationship is not sent.
    if not (patient.emergency_contact_name or patient.emergency_contact_phone):
        return {}
    relationship: dict[str, Any] = {
        "coding": [{"system": V2_0131, "code": "C", "display": "Emergency Contact"}]
    }
    if patient.emergency_contact_relationship:
        relationship["text"] = patient.emergency_contact_relationship
    contact: dict[str, Any] = {"relationship": [relationship]}
    if patient.emergency_contact_name:
        contact["name"] = {"text": patient.emergency_contact_name}
    if patient.emergency_contact_phone:
        contact["telecom"] = [{"system": "phone", "value": patient.emergency_contact_phone}]
    return contact


# --- incoming ----------------------------------------------------------------------------


@dataclass
class _Incoming:
    """Form data read from a resource, and which FHIR element each form field came from."""

    data: dict[str, str] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)

    def put(self, name: str, value: str | None, expression: str) -> None:
        self.data[name] = (value or "").strip()
        self.where[name] = expression


# Where to point when a form field had no source element at all.
DEFAULT_EXPRESSIONS = {
    "legal_given_name": "Patient.name",
    "legal_family_name": "Patient.name",
    "preferred_name": "Patient.name",
    "pronouns": "Patient.extension",
    "birth_date": "Patient.birthDate",
    "sex_at_birth": "Patient.gender",
    "gender_identity": "Patient.extension",
    "phone": "Patient.telecom",
    "email": "Patient.telecom",
    "preferred_contact": "Patient.telecom",
    "address_line": "Patient.address",
    "city": "Patient.address",
    "region": "Patient.address",
    "postal_code": "Patient.address",
    "country": "Patient.address",
    "emergency_contact_name": "Patient.contact",
    "emergency_contact_relationship": "Patient.contact",
    "emergency_contact_phone": "Patient.contact",
    "__all__": "Patient",
}
# The form's wording for a few fields is about the page; say it in FHIR terms instead.
REQUIRED_MESSAGES = {
    "legal_given_name": "an official name with a given name is required.",
    "legal_family_name": "an official name with a family name is required.",
    "birth_date": "birthDate is required.",
    "sex_at_birth": "gender (or the US Core birthsex extension) is required.",
}


def cleaned_patient_data(body: Any) -> dict[str, Any]:
    """Validate a FHIR Patient body; return PatientForm.cleaned_data or raise FhirError.

    400: not a Patient, or not valid against the R4B model. 422: a valid Patient that breaks
    our rules (missing name or birthDate, future birthDate, bad phone, ...).
    """
    if not isinstance(body, dict):
        raise FhirError(400, "structure", "The body must be a JSON object (a FHIR resource).")
    resource_type = body.get("resourceType")
    if resource_type != "Patient":
        raise FhirError(
            400,
            "invalid",
            "resourceType must be 'Patient'"
            + (f", not {str(resource_type)[:40]!r}." if resource_type else "."),
            "Patient.resourceType",
        )
    try:
        resource = FhirPatient.model_validate(body)
    except pydantic.ValidationError as problem:
        raise FhirError(400, "structure", "", issues=_model_issues(problem)) from problem
    incoming = _read_patient(resource)
    form = PatientForm(incoming.data)
    if not form.is_valid():
        raise FhirError(422, "invalid", "", issues=_form_issues(form, incoming))
    return form.cleaned_data


def _model_issues(problem: pydantic.ValidationError) -> list[Issue]:
    issues = []
    for error in problem.errors():
        expression = "Patient" + "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}"
            for part in error.get("loc", ())
            if part != "resource_type"
        )
        message = " ".join(str(error.get("msg", "is not valid")).split())
        issues.append(Issue("structure", f"{expression}: {message}", expression))
    return issues


def _form_issues(form: PatientForm, incoming: _Incoming) -> list[Issue]:
    issues = []
    for name, errors in form.errors.items():
        expression = incoming.where.get(name) or DEFAULT_EXPRESSIONS.get(name, "Patient")
        for error in errors.as_data():
            required = error.code == "required"
            message = REQUIRED_MESSAGES.get(name, "") if required else ""
            text = message or " ".join(str(m) for m in error.messages)
            issues.append(
                Issue("required" if required else "invalid", f"{expression}: {text}", expression)
            )
    return issues


def _bad_code(expression: str, value: str, allowed: list[str]) -> FhirError:
    return FhirError(
        400,
        "code-invalid",
        f"{expression}: {value!r} is not one of {', '.join(allowed)}.",
        expression,
    )


def _read_patient(resource: FhirPatient) -> _Incoming:
    incoming = _Incoming()
    _read_names(resource, incoming)
    _read_birth_date(resource, incoming)
    _read_sex_and_identity(resource, incoming)
    _read_telecom(resource, incoming)
    _read_address(resource, incoming)
    _read_contact(resource, incoming)
    return incoming


def _words(parts: list[str | None] | None, separator: str = " ") -> str:
    return separator.join(part.strip() for part in parts or [] if part and part.strip())


def _read_names(resource: FhirPatient, incoming: _Incoming) -> None:
    names = list(resource.name or [])

    def first(*uses: str | None) -> int | None:
        return next((i for i, n in enumerate(names) if n.use in uses), None)

    legal = first("official")
    if legal is None:
        legal = first(None)
    if legal is None:
        legal = first("usual")
    if legal is not None:
        name = names[legal]
        incoming.put("legal_given_name", _words(name.given), f"Patient.name[{legal}].given")
        incoming.put("legal_family_name", name.family, f"Patient.name[{legal}].family")
    preferred = next(
        (i for i, n in enumerate(names) if n.use in ("usual", "nickname") and i != legal), None
    )
    if preferred is not None:
        name = names[preferred]
        incoming.put(
            "preferred_name",
            _words(name.given) or name.text,
            f"Patient.name[{preferred}].given",
        )


def _read_birth_date(resource: FhirPatient, incoming: _Incoming) -> None:
    born = str(resource.birthDate or "")
    if born and not FULL_DATE.match(born):
        raise FhirError(
            422,
            "invalid",
            "Patient.birthDate: give the full date of birth (YYYY-MM-DD).",
            "Patient.birthDate",
        )
    incoming.put("birth_date", born, "Patient.birthDate")


def _read_sex_and_identity(resource: FhirPatient, incoming: _Incoming) -> None:
    gender = resource.gender or ""
    if gender and gender not in SEX_FROM_GENDER:
        raise _bad_code("Patient.gender", gender, list(SEX_FROM_GENDER))
    sex = SEX_FROM_GENDER.get(gender, "")
    expression = "Patient.gender"
    for i, extension in enumerate(resource.extension or []):
        here = f"Patient.extension[{i}]"
        if extension.url == BIRTHSEX_URL:
            code = extension.valueCode or ""
            if code not in SEX_FROM_BIRTHSEX:
                raise _bad_code(f"{here}.valueCode", code, list(SEX_FROM_BIRTHSEX))
            # Sex at birth is what we store; `gender` only decides between unknown and
            # intersex, which the birthsex value set cannot tell apart.
            if not (code == "UNK" and gender == "other"):
                sex = SEX_FROM_BIRTHSEX[code]
            expression = here
        elif extension.url == GENDER_IDENTITY_URL:
            incoming.put(
                "gender_identity",
                _concept_text(extension.valueCodeableConcept),
                f"{here}.valueCodeableConcept",
            )
        elif extension.url == PRONOUNS_URL:
            for j, part in enumerate(extension.extension or []):
                if part.url == "value":
                    incoming.put(
                        "pronouns",
                        _concept_text(part.valueCodeableConcept),
                        f"{here}.extension[{j}].valueCodeableConcept",
                    )
    incoming.put("sex_at_birth", str(sex), expression)


def _concept_text(concept: Any) -> str:
    if concept is None:
        return ""
    if concept.text:
        return str(concept.text)
    return next((str(c.display) for c in concept.coding or [] if c.display), "")


def _read_telecom(resource: FhirPatient, incoming: _Incoming) -> None:
    points = list(resource.telecom or [])
    for i, point in enumerate(points):
        if point.system and point.system not in CONTACT_POINT_SYSTEMS:
            raise _bad_code(
                f"Patient.telecom[{i}].system", point.system, sorted(CONTACT_POINT_SYSTEMS)
            )

    def having(system: str) -> list[int]:
        return [i for i, point in enumerate(points) if point.system == system and point.value]

    # One phone number is stored: a `phone` entry if there is one, else an `sms` entry.
    for name, found in (("phone", having("phone") or having("sms")), ("email", having("email"))):
        if found:
            incoming.put(name, points[found[0]].value, f"Patient.telecom[{found[0]}].value")
    # The preferred method is the best-ranked entry (ties: the first listed).
    methods = {"phone": ContactMethod.PHONE, "sms": ContactMethod.SMS, "email": ContactMethod.EMAIL}
    ranked = sorted(
        (points[i].rank or float("inf"), i, methods[system])
        for system in methods
        for i in having(system)
    )
    preferred = ranked[0][2] if ranked else ContactMethod.PHONE
    incoming.put("preferred_contact", str(preferred), "Patient.telecom")


def _read_address(resource: FhirPatient, incoming: _Incoming) -> None:
    addresses = list(resource.address or [])
    index = next((i for i, a in enumerate(addresses) if a.use == "home"), 0 if addresses else None)
    country = "US"  # the model's default, as on the registration page
    if index is not None:
        address = addresses[index]
        here = f"Patient.address[{index}]"
        incoming.put("address_line", _words(address.line, ", "), f"{here}.line")
        incoming.put("city", address.city, f"{here}.city")
        incoming.put("region", address.state, f"{here}.state")
        incoming.put("postal_code", address.postalCode, f"{here}.postalCode")
        country = address.country or country
        incoming.put("country", country, f"{here}.country")
    else:
        incoming.put("country", country, "Patient.address")


def _is_emergency(contact: Any) -> bool:
    return any(
        coding.system == V2_0131 and coding.code == "C"
        for relationship in contact.relationship or []
        for coding in relationship.coding or []
    )


def _read_contact(resource: FhirPatient, incoming: _Incoming) -> None:
    contacts = list(resource.contact or [])
    if not contacts:
        return
    index = next((i for i, c in enumerate(contacts) if _is_emergency(c)), 0)
    contact = contacts[index]
    here = f"Patient.contact[{index}]"
    if contact.name is not None:
        name = contact.name
        text = name.text or _words([*(name.given or []), name.family])
        incoming.put("emergency_contact_name", text, f"{here}.name")
    relationship = ""
    for concept in contact.relationship or []:
        if concept.text:
            relationship = str(concept.text)
            break
        relationship = next(
            (
                str(c.display)
                for c in concept.coding or []
                if c.display and not (c.system == V2_0131 and c.code == "C")
            ),
            "",
        )
        if relationship:
            break
    incoming.put("emergency_contact_relationship", relationship, f"{here}.relationship")
    for j, point in enumerate(contact.telecom or []):
        if point.value and point.system in (None, "phone", "sms"):
            incoming.put("emergency_contact_phone", point.value, f"{here}.telecom[{j}].value")
            break
