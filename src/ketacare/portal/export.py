"""Download my record: a FHIR R4 `collection` Bundle of the signed-in patient's own data.

Built with the same resource builders as the FHIR API (`ketacare.fhir.*_to_fhir`), and
validated against the R4B models. Only this patient's rows; only final assessments; no
draft (unsigned) plans; staff-only notes (`note` elements, appointment notes) are left out.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from ketacare.fhir.allergy import allergy_to_fhir
from ketacare.fhir.appointment import appointment_rows, appointment_to_fhir
from ketacare.fhir.careplan import careplan_rows, careplan_to_fhir
from ketacare.fhir.communication import communication_rows, communication_to_fhir
from ketacare.fhir.condition import condition_to_fhir
from ketacare.fhir.observation import observation_kind, observation_to_fhir
from ketacare.fhir.patient_resource import fhir_instant, patient_to_fhir
from ketacare.measures.models import Assessment, AssessmentStatus
from ketacare.patients.models import Patient
from ketacare.plans.models import PlanStatus

STAFF_ONLY_ELEMENTS = ("note",)


def _public(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k not in STAFF_ONLY_ELEMENTS}


def patient_bundle(patient: Patient) -> dict[str, Any]:
    clinic = patient.clinic
    resources: list[dict[str, Any]] = [patient_to_fhir(patient)]
    resources += [condition_to_fhir(d) for d in patient.diagnoses.all()]
    resources += [allergy_to_fhir(a) for a in patient.allergies.all()]
    for assessment in Assessment.objects.filter(
        patient=patient, status=AssessmentStatus.FINAL
    ).order_by("administered_at", "pk"):
        kind = observation_kind(assessment)
        if kind is not None:
            resources.append(observation_to_fhir(assessment, kind))
    resources += [
        careplan_to_fhir(plan)
        for plan in careplan_rows(clinic).filter(patient=patient).exclude(status=PlanStatus.DRAFT)
    ]
    resources += [
        appointment_to_fhir(a)
        for a in appointment_rows(clinic).filter(patient=patient).order_by("starts_at")
    ]
    resources += [
        communication_to_fhir(m)
        for m in communication_rows(clinic).filter(thread__patient=patient).order_by("sent_at")
    ]
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": fhir_instant(timezone.now()),
        "entry": [
            {"fullUrl": f"urn:ketacare:{r['resourceType']}/{r['id']}", "resource": _public(r)}
            for r in resources
        ],
    }
    return Bundle.model_validate(bundle).model_dump(mode="json", exclude_none=True)
