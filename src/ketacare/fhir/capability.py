"""The CapabilityStatement served at /fhir/metadata: what this FHIR server does."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from ketacare.fhir.capability_sessions import (
    observation_create,
    session_resources,
    system_interactions,
)
from ketacare.fhir.patient_search import MAX_PAGE_SIZE

# The date this statement last changed; bump it with any change below.
STATEMENT_DATE = "2026-12-03"

SECURITY_DESCRIPTION = (
    "Every interaction except `metadata` needs a per-user KetaCare API token sent as "
    "`Authorization: Bearer <token>` (create one on the API tokens page or with "
    "`ketacare token create`). This is not SMART on FHIR / OAuth. A token acts for one user "
    "in one clinic, with that user's role, and sees only that clinic's data; every call is "
    "audited. A record of another clinic answers 404 exactly as an unknown id does."
)


def _version() -> str:
    try:
        return metadata.version("ketacare")
    except metadata.PackageNotFoundError:  # running from a source tree without install
        return "0.0.0"


def capability_statement(base_url: str, page_size_default: int) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": STATEMENT_DATE,
        "publisher": "KetaCare",
        "kind": "instance",
        "software": {"name": "KetaCare", "version": _version()},
        "implementation": {"description": "KetaCare FHIR R4 server", "url": base_url},
        "fhirVersion": "4.0.1",
        "format": ["application/fhir+json", "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Search results are paged with `_count` (default "
                    f"{page_size_default}, at most {MAX_PAGE_SIZE}) and `_offset`; unknown "
                    "search parameters are refused (400), not ignored; a refused parameter is "
                    "named in issue.expression as http.<name>. Dates without a time zone are "
                    "the token's clinic's."
                ),
                "security": {"cors": False, "description": SECURITY_DESCRIPTION},
                "resource": [
                    _patient(),
                    _questionnaire(),
                    _questionnaire_response(),
                    _observation(),
                    _condition(),
                    _medication_statement(),
                    _allergy_intolerance(),
                    _consent(),
                    _care_plan(),
                    _plan_definition(),
                    _appointment(),
                    _location(),
                    *session_resources(),
                    _adverse_event(),
                    *_safety_resources(),
                    _communication(),
                    *_aftercare(),
                ],
                "interaction": system_interactions(),
            }
        ],
    }


def _patient() -> dict[str, Any]:
    return {
        "type": "Patient",
        "profile": "http://hl7.org/fhir/StructureDefinition/Patient",
        "interaction": [
            {"code": "read"},
            {
                "code": "create",
                "documentation": "The MRN is assigned by KetaCare. A legal name and birthDate "
                "matching a patient of the clinic (case and accents aside) answers 409 "
                "duplicate naming that Patient, nothing created; use If-None-Exist to reuse a "
                "match, or send X-KetaCare-Confirm-Duplicate: true for a different person.",
            },
            {"code": "search-type", "documentation": "GET, or POST to Patient/_search."},
        ],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": True,
        "searchParam": [
            {
                "name": "name",
                "definition": "http://hl7.org/fhir/SearchParameter/Patient-name",
                "type": "string",
                "documentation": "Any part of the legal or preferred name; ignores case and "
                "accents.",
            },
            {
                "name": "birthdate",
                "definition": "http://hl7.org/fhir/SearchParameter/individual-birthdate",
                "type": "date",
                "documentation": "YYYY-MM-DD, YYYY-MM or YYYY with prefix eq (default), ne, "
                "gt, ge, lt or le.",
            },
            {
                "name": "identifier",
                "definition": "http://hl7.org/fhir/SearchParameter/Patient-identifier",
                "type": "token",
                "documentation": "The MRN, as `system|value` or a bare value.",
            },
        ],
    }


def _param(name: str, definition: str, kind: str, documentation: str) -> dict[str, str]:
    return {
        "name": name,
        "definition": f"http://hl7.org/fhir/SearchParameter/{definition}",
        "type": kind,
        "documentation": documentation,
    }


PATIENT_PARAM_DOC = (
    "`Patient/{id}` or an id; another clinic's patient matches nothing (an empty Bundle)."
)
DATE_PARAM_DOC = (
    "YYYY, YYYY-MM, YYYY-MM-DD or a date-time, with prefix eq (default), ne, gt, ge, lt or le; "
    "no time zone means the clinic's (the token's clinic's time zone)."
)


def _questionnaire() -> dict[str, Any]:
    return {
        "type": "Questionnaire",
        "profile": "http://hl7.org/fhir/StructureDefinition/Questionnaire",
        "documentation": (
            "One per rating scale, id = the scale code with _ as - (phq9, gad7, "
            "cssrs-recent, …), canonical http://ketacare.org/fhir/Questionnaire/{id}. "
            "LOINC-coded where codes are known. "
            "Definitions, not patient data: a token is needed, reads are not audited."
        ),
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": [
            _param(
                "code",
                "Questionnaire-code",
                "token",
                "The panel code or any item code (LOINC), as `system|code` or bare; a comma "
                "list matches any.",
            ),
            _param("url", "Questionnaire-url", "uri", "The canonical URL, optionally |version."),
        ],
    }


def _questionnaire_response() -> dict[str, Any]:
    return {
        "type": "QuestionnaireResponse",
        "profile": "http://hl7.org/fhir/StructureDefinition/QuestionnaireResponse",
        "documentation": (
            "Create scores the response on the server and stores an assessment (status "
            "`completed` only; items matched by linkId or LOINC code, never by position; a "
            "total that disagrees with the answers is refused with 422). Every assessment, "
            "including staff entry, reads as a QuestionnaireResponse with id qr-{n}."
        ),
        "interaction": [
            {"code": "read"},
            {
                "code": "create",
                "documentation": "Needs measures.record_assessments (and "
                "measures.rate_clinician_scales for clinician-rated scales). Idempotent: "
                "the response's identifier (system|value) or If-None-Exist: "
                "identifier=system|value is its key in the clinic; a resend answers 200 with "
                "the stored response, the same key with other answers 409.",
            },
            {"code": "search-type"},
        ],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": True,
        "searchParam": [
            _param("patient", "QuestionnaireResponse-patient", "reference", PATIENT_PARAM_DOC),
            _param(
                "questionnaire",
                "QuestionnaireResponse-questionnaire",
                "reference",
                "The Questionnaire's canonical URL (optionally |version) or Questionnaire/{id}.",
            ),
            _param("authored", "QuestionnaireResponse-authored", "date", DATE_PARAM_DOC),
        ],
    }


def _observation() -> dict[str, Any]:
    return {
        "type": "Observation",
        "profile": "http://hl7.org/fhir/StructureDefinition/Observation",
        "documentation": (
            "Score Observations derived from assessments (category survey): the total "
            "(valueInteger, LOINC total code such as 44261-6) or the C-SSRS risk level "
            "(93374-7), ids assessment-{n}-total / assessment-{n}-risk. Vital signs (category "
            "vital-signs, UCUM units): BP panel 85354-9, heart rate 8867-4, SpO2 59408-5 from "
            "evaluations (vitals-bp-{n}, vitals-hr-{n}, vitals-spo2-{n}); weight 29463-7, height "
            "8302-2, BMI 39156-5 from body measurements (weight-{n}, height-{n}, bmi-{n}). "
            "Vital signs of treatment sessions read as reading-{n}-{bp|hr|spo2|rr|temp}; "
            "monitor gateways create them (see the create interaction). Lifestyle habits: "
            "habit-sleep-{n} (93832-4), habit-activity-{n} (55411-3), habit-alcohol-{n}. A "
            "search by patient or date alone returns every kind (scores, vital signs, "
            "session readings, habits); narrow it with category or code."
        ),
        "interaction": [{"code": "read"}, {"code": "search-type"}, *observation_create()],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "conditionalCreate": True,
        "searchParam": [
            _param("patient", "clinical-patient", "reference", PATIENT_PARAM_DOC),
            _param(
                "code",
                "clinical-code",
                "token",
                "`system|code` or a bare code; a comma list matches any.",
            ),
            _param("date", "clinical-date", "date", DATE_PARAM_DOC),
            _param(
                "category",
                "Observation-category",
                "token",
                "`survey`, `vital-signs`, `activity` or `social-history`; a comma list "
                "matches any.",
            ),
        ],
    }


def _read_search(kind: str, documentation: str, params: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "type": kind,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{kind}",
        "documentation": documentation,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": [
            _param("patient", "clinical-patient", "reference", PATIENT_PARAM_DOC),
            *params,
        ],
    }


def _condition() -> dict[str, Any]:
    return _read_search(
        "Condition",
        "The chart's diagnoses (category problem-list-item, ICD-10-CM), id diagnosis-{n}. "
        "Treatment resistance is the extension "
        "http://ketacare.org/fhir/StructureDefinition/treatment-resistant and a note.",
        [
            _param(
                "clinical-status",
                "Condition-clinical-status",
                "token",
                "active, remission or resolved.",
            ),
            _param(
                "code",
                "clinical-code",
                "token",
                "An ICD-10-CM code, `system|code` or bare; a comma list matches any.",
            ),
        ],
    )


def _medication_statement() -> dict[str, Any]:
    return _read_search(
        "MedicationStatement",
        "Medications (med-{n}, active) and prior antidepressant trials (trial-{n}, "
        "active/completed/stopped) recorded on evaluations. Medication as text; RxNorm only "
        "for esketamine nasal spray / SPRAVATO.",
        [],
    )


def _allergy_intolerance() -> dict[str, Any]:
    return _read_search(
        "AllergyIntolerance",
        "The chart's allergies (allergy-{n}); a patient marked 'no known allergies' has one "
        "resource nka-{patient id} coded SNOMED CT 716186003.",
        [],
    )


def _consent() -> dict[str, Any]:
    return _read_search(
        "Consent",
        "Informed consent for treatment by one route (consent-{n}), scope treatment; the "
        "SPRAVATO REMS enrolment is an identifier on esketamine consents.",
        [],
    )


# --- plans and scheduling ----------------------------------------------------------------


def _definitions(kind: str, documentation: str, params: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "type": kind,
        "profile": f"http://hl7.org/fhir/StructureDefinition/{kind}",
        "documentation": documentation,
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
        "searchParam": params,
    }


def _care_plan() -> dict[str, Any]:
    return _read_search(
        "CarePlan",
        "Treatment plans (id = the plan number), intent plan; instantiatesCanonical = the "
        "PlanDefinition of the protocol version; targets as contained Goals; activity = the "
        "planned session schedule plus one reference per booked Appointment. stopped plans "
        "are revoked, on hold is on-hold; the reason is a note.",
        [
            _param(
                "status",
                "CarePlan-status",
                "token",
                "draft, active, on-hold, completed or revoked.",
            )
        ],
    )


def _plan_definition() -> dict[str, Any]:
    return _definitions(
        "PlanDefinition",
        "The clinic's treatment protocols, one per version (library version 1 and the "
        "clinic's edits), id {code}-v{version}, type clinical-protocol, one action per phase. "
        "Definitions, not patient data: a token is needed, reads are not audited.",
        [
            _param("url", "PlanDefinition-url", "uri", "The canonical URL, optionally |version."),
            _param(
                "name",
                "PlanDefinition-name",
                "string",
                "Any part of the name or title, ignoring case.",
            ),
            _param("status", "PlanDefinition-status", "token", "active or retired."),
        ],
    )


def _appointment() -> dict[str, Any]:
    return _read_search(
        "Appointment",
        "Appointments (id = UUID): evaluation, treatment session, integration, follow-up, "
        "telehealth. A confirmation by the patient is their participant status accepted; the "
        "chair or room is a Location participant; the treatment plan is supportingInformation.",
        [
            _param("date", "clinical-date", "date", DATE_PARAM_DOC + " Matches the start."),
            _param(
                "status",
                "Appointment-status",
                "token",
                "booked, checked-in, fulfilled, cancelled or noshow.",
            ),
            _param(
                "location",
                "Appointment-location",
                "reference",
                "`Location/{id}` or an id.",
            ),
        ],
    )


def _location() -> dict[str, Any]:
    return _definitions(
        "Location",
        "Treatment chairs (physicalType bd) and rooms (ro) of the clinic; capabilities in the "
        "description. Not patient data: a token is needed, reads are not audited.",
        [
            _param("name", "Location-name", "string", "Any part of the name, ignoring case."),
            _param("status", "Location-status", "token", "active or inactive."),
        ],
    )


def _adverse_event() -> dict[str, Any]:
    return _read_search(
        "AdverseEvent",
        "Side effects seen at a treatment session (side-effect-{n}): the event as text, "
        "severity (adverse-event-severity), seriousness, the session as encounter "
        "identifier, and the intervention given as the extension side-effect-intervention.",
        [],
    )


# --- suicide-risk safety -----------------------------------------------------------------


def _safety_resources() -> list[dict[str, Any]]:
    return [
        _read_search(
            "Flag",
            "Suicide-risk flags (flag-{n}), category safety; code = the flag's source "
            "(urn:ketacare:risk-flag-source) with the level and reason as text; the level "
            "coded in the extension http://hl7.org/fhir/StructureDefinition/flag-priority "
            "(http://hl7.org/fhir/flag-priority-code PL/PM/PH for low/moderate/high, and "
            "http://ketacare.org/fhir/CodeSystem/risk-flag-level low/moderate/high); active "
            "while open or acknowledged, inactive once resolved.",
            [
                {
                    "name": "status",
                    "type": "token",
                    "documentation": "active or inactive (a KetaCare parameter; leave it out "
                    "for both).",
                }
            ],
        ),
        _read_search(
            "RiskAssessment",
            "C-SSRS screens (risk-{n}, LOINC 93373-9) with the Columbia triage level as "
            "prediction.qualitativeRisk (risk-probability: negligible, low, moderate, high); "
            "basis = the QuestionnaireResponse.",
            [],
        ),
    ]


def _communication() -> dict[str, Any]:
    return _read_search(
        "Communication",
        "Secure messages between a patient and the care team (patient portal). sender is "
        "Patient/{id} for the patient's messages; staff senders are display only. received is "
        "when the other side read it; priority urgent marks a message with risk words.",
        [_param("sent", "Communication-sent", "date", DATE_PARAM_DOC + " Matches when sent.")],
    )


# --- aftercare ---------------------------------------------------------------------------


def _aftercare() -> list[dict[str, Any]]:
    return [
        _read_search(
            "Goal",
            "Lifestyle goals set with the clinician (goal-{n}): lifecycleStatus active or "
            "completed, target measure and detailRange (low = at least, high = at most).",
            [],
        ),
    ]
