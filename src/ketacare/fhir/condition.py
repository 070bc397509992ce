"""Diagnosis → FHIR R4 Condition (the patient's problem list), and Condition search.

- `id` = `diagnosis-{pk}`; category `problem-list-item` (the chart's diagnosis list is a
  problem list, not one encounter's diagnoses).
- `code`: ICD-10-CM (`http://hl7.org/fhir/sid/icd-10-cm`), display and text = the chart's text.
- `clinicalStatus` active / remission / resolved (condition-clinical); `verificationStatus`
  confirmed (a diagnosis on the chart is a clinician's).
- `onsetDateTime` = onset date, `recordedDate` = recorded at, `recorder.display` = who.
- Treatment resistance has no ICD-10-CM code (instruments.md §14): it is the extension
  `http://ketacare.org/fhir/StructureDefinition/treatment-resistant` (valueBoolean, always
  present) and, when true, a `note`. The chart's free-text note and "primary diagnosis" are
  notes too.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import (
    concept,
    in_clinic,
    instant,
    patient_reference,
    prune,
    token_values,
    user_display,
)
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.questionnaire import KETACARE_FHIR
from ketacare.patients.models import Diagnosis, DiagnosisStatus

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
CLINICAL_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/condition-category"
TREATMENT_RESISTANT = f"{KETACARE_FHIR}/StructureDefinition/treatment-resistant"
CONDITION_PARAMS = ("patient", "clinical-status", "code")
CONDITION_ID = re.compile(r"^diagnosis-(?P<pk>[1-9]\d{0,17})$")
CLINICAL_DISPLAYS = {
    DiagnosisStatus.ACTIVE: "Active",
    DiagnosisStatus.REMISSION: "Remission",
    DiagnosisStatus.RESOLVED: "Resolved",
}


def condition_id(diagnosis: Diagnosis) -> str:
    return f"diagnosis-{diagnosis.pk}"


def parse_condition_id(resource_id: str) -> int | None:
    match = CONDITION_ID.match(resource_id)
    return int(match["pk"]) if match else None


def condition_to_fhir(diagnosis: Diagnosis) -> dict[str, Any]:
    status = DiagnosisStatus(diagnosis.status)
    notes = []
    if diagnosis.is_primary:
        notes.append({"text": "Primary diagnosis."})
    if diagnosis.treatment_resistant:
        notes.append(
            {
                "text": "Treatment-resistant (a clinical attribute: ICD-10-CM has no code for "
                "treatment resistance)."
            }
        )
    if diagnosis.note.strip():
        notes.append({"text": diagnosis.note.strip()})
    return prune(
        {
            "resourceType": "Condition",
            "id": condition_id(diagnosis),
            "meta": {"lastUpdated": fhir_instant(diagnosis.recorded_at)},
            "extension": [
                {"url": TREATMENT_RESISTANT, "valueBoolean": diagnosis.treatment_resistant}
            ],
            "clinicalStatus": concept(
                CLINICAL_SYSTEM, status.value, CLINICAL_DISPLAYS[status], status.label
            ),
            "verificationStatus": concept(VERIFICATION_SYSTEM, "confirmed", "Confirmed"),
            "category": [concept(CATEGORY_SYSTEM, "problem-list-item", "Problem List Item")],
            "code": concept(ICD10CM, diagnosis.icd10_code, diagnosis.display, diagnosis.display),
            "subject": patient_reference(diagnosis.patient_id),
            "onsetDateTime": diagnosis.onset_date.isoformat() if diagnosis.onset_date else None,
            "recordedDate": instant(diagnosis.recorded_at),
            "recorder": user_display(diagnosis.recorded_by),
            "note": notes,
        }
    )


def run_condition_search(clinic: Clinic, search: Search) -> QuerySet[Diagnosis]:
    """Diagnoses of `clinic` matching the search: primary first, then newest."""
    rows = in_clinic(Diagnosis.objects.all(), clinic, search, "patient")
    for value in search.values("clinical-status"):
        wanted = Q(pk__in=[])
        for system, code in token_values(value):
            if system in (None, CLINICAL_SYSTEM) and code in DiagnosisStatus.values:
                wanted |= Q(status=code)
        rows = rows.filter(wanted)
    for value in search.values("code"):
        wanted = Q(pk__in=[])
        for system, code in token_values(value):
            if system in (None, ICD10CM) and code:
                wanted |= Q(icd10_code__iexact=code)
        rows = rows.filter(wanted)
    return rows.select_related("recorded_by").order_by("-is_primary", "-recorded_at", "-pk")
