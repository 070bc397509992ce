"""CapabilityStatement parts for treatment sessions: Encounter, MedicationAdministration, the
device Observation create, and the batch/transaction system interactions."""

from __future__ import annotations

from typing import Any

OBSERVATION_CREATE_DOC = (
    "POST a vital-signs Observation from a monitor gateway (one vital sign each: BP panel "
    "85354-9 with components 8480-6/8462-4 in mm[Hg]; heart rate 8867-4 /min; SpO2 59408-5 "
    "or 2708-6 %; respiratory rate 9279-1 /min; temperature 8310-5 Cel), status final, "
    "subject Patient/{id}, encounter Encounter/tx-{session}, effectiveDateTime with a time "
    "zone. Stored as a session reading; the chair's alerts are raised in the same "
    "transaction. Impossible values, wrong units, unknown codes, a session not being "
    "monitored or another patient answer 422 naming the element. Idempotent: an identifier "
    "(system|value) already stored in the clinic, or If-None-Exist: identifier=system|value, "
    "answers 200 with the stored Observation when it holds the same reading; a key already "
    "stored for another reading answers 409 duplicate, nothing stored. Needs "
    "treatments.run_session."
)


def observation_create() -> list[dict[str, str]]:
    return [{"code": "create", "documentation": OBSERVATION_CREATE_DOC}]


def _param(name: str, kind: str, documentation: str) -> dict[str, str]:
    return {"name": name, "type": kind, "documentation": documentation}


PATIENT = _param("patient", "reference", "`Patient/{id}` or the id; patients of the clinic only.")


def session_resources() -> list[dict[str, Any]]:
    common = {
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "versioning": "no-version",
        "readHistory": False,
        "updateCreate": False,
    }
    return [
        {
            "type": "Encounter",
            "profile": "http://hl7.org/fhir/StructureDefinition/Encounter",
            "documentation": (
                "Treatment sessions at the chair, id tx-{n}: status planned / arrived / "
                "in-progress / finished / cancelled from the session's step, class AMB, "
                "period check-in to discharge, appointment, basedOn the CarePlan, location "
                "the chair. Also integration therapy sessions, id int-{n} (status finished; "
                "class AMB, VR for telehealth; type preparation or integration; the therapist "
                "as participant; the dosing sessions it prepares or integrates as extension "
                "urn:ketacare:fhir:treatment-session). Habit Observations (habit-sleep-{n} "
                "LOINC 93832-4 in h, habit-activity-{n} LOINC 55411-3 in min, "
                "habit-alcohol-{n} urn:ketacare:habit|standard-drinks-day) are served by the "
                "Observation endpoints. Read-only."
            ),
            **common,
            "searchParam": [
                PATIENT,
                _param("status", "token", "One Encounter status code."),
            ],
        },
        {
            "type": "MedicationAdministration",
            "profile": "http://hl7.org/fhir/StructureDefinition/MedicationAdministration",
            "documentation": (
                "Doses given at sessions (dose-{n}, a contained Medication with lot and "
                "expiry; dose in UCUM mg) and each 28 mg esketamine device (device-{n}, "
                "partOf the dose). Esketamine is coded RxNorm 2201623 (esketamine Nasal "
                "Spray); racemic ketamine carries text only. Read-only."
            ),
            **common,
            "searchParam": [
                PATIENT,
                _param("context", "reference", "`Encounter/tx-{n}`: the doses of one session."),
            ],
        },
    ]


def system_interactions() -> list[dict[str, str]]:
    doc = (
        "POST to the base: a Bundle of POST Observation entries (vital signs as for "
        "Observation create; entry.request.ifNoneExist identifier=system|value is the key). "
    )
    return [
        {
            "code": "transaction",
            "documentation": doc + "All or nothing; problems name the entry and element.",
        },
        {"code": "batch", "documentation": doc + "Each entry answered on its own."},
    ]
