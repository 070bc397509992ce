"""Changes to the patient record. Each action owns its transaction and its audit entry.

The create actions take `once`, the request's one-time submission key (core/submission.py):
stored with the new row in the same transaction, so the same key never creates twice.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.core import submission
from ketacare.patients.models import Allergy, BodyMeasurement, Diagnosis, Patient


def next_mrn(clinic: Clinic) -> str:
    """Allocate the clinic's next MRN. Call inside a transaction: the clinic row is locked."""
    Clinic.objects.filter(pk=clinic.pk).update(mrn_counter=F("mrn_counter") + 1)
    counter = (
        Clinic.objects.select_for_update().values_list("mrn_counter", flat=True).get(pk=clinic.pk)
    )
    return f"{clinic.mrn_prefix}{counter:06d}"


# What a one-time key is for (core/submission.py `scope`): the row's kind; the parent is the
# clinic for a patient, the patient for the rest.
ONCE_PATIENT = "patients.patient"
ONCE_DIAGNOSIS = "patients.diagnosis"
ONCE_ALLERGY = "patients.allergy"
ONCE_MEASUREMENT = "patients.measurement"


def do_register_patient(
    actor: Actor, clinic: Clinic, data: dict[str, Any], *, once: str = ""
) -> Patient:
    with transaction.atomic():
        patient = Patient(clinic=clinic, created_by_id=actor.user_id, **data)
        patient.mrn = next_mrn(clinic)
        patient.save()
        submission.remember(actor, once, submission.scope(ONCE_PATIENT, clinic.pk), patient.pk)
        record(
            actor,
            "patients.patient.created",
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            clinic_id=clinic.pk,
            detail={"mrn": patient.mrn},
        )
    return patient


def do_update_demographics(actor: Actor, patient: Patient, data: dict[str, Any]) -> list[str]:
    """Apply changed fields; returns their names (recorded in the audit, values are not)."""
    with transaction.atomic():
        changed = [name for name, value in data.items() if getattr(patient, name) != value]
        if not changed:
            return []
        for name in changed:
            setattr(patient, name, data[name])
        patient.updated_at = timezone.now()
        patient.save()
        record(
            actor,
            "patients.patient.updated",
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"fields": changed},
        )
    return changed


def do_add_diagnosis(
    actor: Actor, patient: Patient, diagnosis: Diagnosis, *, once: str = ""
) -> Diagnosis:
    with transaction.atomic():
        diagnosis.patient = patient
        diagnosis.recorded_by_id = actor.user_id
        if diagnosis.is_primary:
            patient.diagnoses.filter(is_primary=True).update(is_primary=False)
        diagnosis.save()
        submission.remember(actor, once, submission.scope(ONCE_DIAGNOSIS, patient.pk), diagnosis.pk)
        record(
            actor,
            "patients.diagnosis.added",
            object_type="diagnosis",
            object_id=diagnosis.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"code": diagnosis.icd10_code, "status": diagnosis.status},
        )
    return diagnosis


def do_set_diagnosis_status(actor: Actor, diagnosis: Diagnosis, status: str) -> None:
    with transaction.atomic():
        previous = diagnosis.status
        diagnosis.status = status
        diagnosis.save(update_fields=["status"])
        record(
            actor,
            "patients.diagnosis.status_changed",
            object_type="diagnosis",
            object_id=diagnosis.pk,
            patient_id=diagnosis.patient_id,
            clinic_id=diagnosis.patient.clinic_id,
            detail={"from": previous, "to": status},
        )


def do_add_allergy(actor: Actor, patient: Patient, allergy: Allergy, *, once: str = "") -> Allergy:
    with transaction.atomic():
        allergy.patient = patient
        allergy.recorded_by_id = actor.user_id
        allergy.save()
        submission.remember(actor, once, submission.scope(ONCE_ALLERGY, patient.pk), allergy.pk)
        if patient.no_known_allergies:
            patient.no_known_allergies = False
            patient.save(update_fields=["no_known_allergies"])
        record(
            actor,
            "patients.allergy.added",
            object_type="allergy",
            object_id=allergy.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
        )
    return allergy


def do_mark_allergy_inactive(actor: Actor, allergy: Allergy) -> None:
    with transaction.atomic():
        allergy.is_active = False
        allergy.save(update_fields=["is_active"])
        record(
            actor,
            "patients.allergy.inactivated",
            object_type="allergy",
            object_id=allergy.pk,
            patient_id=allergy.patient_id,
            clinic_id=allergy.patient.clinic_id,
        )


def do_mark_no_known_allergies(actor: Actor, patient: Patient) -> None:
    """Only valid when no allergy is active: 'none known' must not hide a recorded one."""
    with transaction.atomic():
        if patient.allergies.filter(is_active=True).exists():
            raise ValueError("The patient has active allergies; inactivate them first.")
        patient.no_known_allergies = True
        patient.save(update_fields=["no_known_allergies"])
        record(
            actor,
            "patients.allergy.none_known",
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
        )


def do_record_measurement(
    actor: Actor, patient: Patient, measurement: BodyMeasurement, *, once: str = ""
) -> BodyMeasurement:
    with transaction.atomic():
        measurement.patient = patient
        measurement.recorded_by_id = actor.user_id
        measurement.save()
        submission.remember(
            actor, once, submission.scope(ONCE_MEASUREMENT, patient.pk), measurement.pk
        )
        record(
            actor,
            "patients.measurement.recorded",
            object_type="measurement",
            object_id=measurement.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
        )
    return measurement
