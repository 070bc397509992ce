"""Allergies → FHIR R4 AllergyIntolerance.

- `allergy-{pk}`: `clinicalStatus` active / inactive, `verificationStatus` confirmed,
  `category` medication / food / environment (our "other" has no R4 category and is left
  out), `criticality` severe → high, mild or moderate → low, unknown → unable-to-assess,
  `code.text` = the substance (free text: no code is guessed), `reaction` with
  `manifestation.text` = the reaction and its `severity` (when the reaction is recorded).
- `nka-{patient id}`: when the patient is marked "no known allergies", one resource coded
  SNOMED CT 716186003 "No known allergy", active and confirmed. It disappears (404) when
  an allergy is recorded, because recording one clears the mark.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import (
    Source,
    concept,
    in_clinic,
    instant,
    patient_reference,
    prune,
    user_display,
)
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.patients.models import Allergy, AllergyCategory, AllergySeverity, Patient

SNOMED = "http://snomed.info/sct"
NO_KNOWN_ALLERGY = "716186003"
CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ALLERGY_PARAMS = ("patient",)
ALLERGY_ID = re.compile(r"^allergy-(?P<pk>[1-9]\d{0,17})$")
NKA_ID = re.compile(r"^nka-(?P<patient>[0-9a-f-]{36})$")
CATEGORIES = {
    AllergyCategory.MEDICATION: "medication",
    AllergyCategory.FOOD: "food",
    AllergyCategory.ENVIRONMENT: "environment",
}
CRITICALITY = {
    AllergySeverity.SEVERE: "high",
    AllergySeverity.MODERATE: "low",
    AllergySeverity.MILD: "low",
    AllergySeverity.UNKNOWN: "unable-to-assess",
}
REACTION_SEVERITY = {
    AllergySeverity.MILD: "mild",
    AllergySeverity.MODERATE: "moderate",
    AllergySeverity.SEVERE: "severe",
}


def parse_allergy_id(resource_id: str) -> int | uuid.UUID | None:
    """The allergy pk, or the patient id of a "no known allergy" resource, or None."""
    if match := ALLERGY_ID.match(resource_id):
        return int(match["pk"])
    if match := NKA_ID.match(resource_id):
        try:
            return uuid.UUID(match["patient"])
        except ValueError:
            return None
    return None


def allergy_to_fhir(allergy: Allergy) -> dict[str, Any]:
    active = "active" if allergy.is_active else "inactive"
    category = CATEGORIES.get(AllergyCategory(allergy.category))
    severity = AllergySeverity(allergy.severity)
    reaction: dict[str, Any] = {}
    if allergy.reaction.strip():
        reaction = {"manifestation": [{"text": allergy.reaction.strip()}]}
        if severity in REACTION_SEVERITY:
            reaction["severity"] = REACTION_SEVERITY[severity]
    return prune(
        {
            "resourceType": "AllergyIntolerance",
            "id": f"allergy-{allergy.pk}",
            "meta": {"lastUpdated": fhir_instant(allergy.recorded_at)},
            "clinicalStatus": concept(CLINICAL_SYSTEM, active, active.capitalize()),
            "verificationStatus": concept(VERIFICATION_SYSTEM, "confirmed", "Confirmed"),
            "category": [category] if category else [],
            "criticality": CRITICALITY[severity],
            "code": {"text": allergy.substance},
            "patient": patient_reference(allergy.patient_id),
            "recordedDate": instant(allergy.recorded_at),
            "recorder": user_display(allergy.recorded_by),
            "reaction": [reaction] if reaction else [],
        }
    )


def no_known_allergy_to_fhir(patient: Patient) -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "id": f"nka-{patient.pk}",
        "meta": {"lastUpdated": fhir_instant(patient.updated_at)},  # where the mark is kept
        "clinicalStatus": concept(CLINICAL_SYSTEM, "active", "Active"),
        "verificationStatus": concept(VERIFICATION_SYSTEM, "confirmed", "Confirmed"),
        "code": concept(SNOMED, NO_KNOWN_ALLERGY, "No known allergy", "No known allergies"),
        "patient": patient_reference(patient.pk),
    }


def allergy_sources(clinic: Clinic, search: Search) -> list[Source]:
    allergies = in_clinic(Allergy.objects.all(), clinic, search, "patient")
    none_known = in_clinic(Patient.objects.filter(no_known_allergies=True), clinic, search, "")
    return [
        Source(
            allergies.select_related("recorded_by").order_by("-recorded_at", "-pk"),
            lambda row: row.recorded_at,
            allergy_to_fhir,
        ),
        Source(
            none_known.order_by("-updated_at", "-pk"),
            lambda row: row.updated_at,
            no_known_allergy_to_fhir,
        ),
    ]


def allergy_row(clinic: Clinic, key: int | uuid.UUID) -> Allergy | Patient | None:
    if isinstance(key, int):
        return (
            Allergy.objects.filter(pk=key, patient__clinic=clinic)
            .select_related("recorded_by")
            .first()
        )
    return Patient.objects.filter(pk=key, clinic=clinic, no_known_allergies=True).first()
