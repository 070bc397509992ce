"""Set-up for the plan and scheduling FHIR tests: plans, chairs and appointments
(created with the ORM: these tests are about the FHIR view of the rows, not about booking)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ketacare.accounts.models import User
from ketacare.patients.models import Patient
from ketacare.plans.models import TreatmentPlan
from ketacare.scheduling.models import Appointment, Resource

UTC = ZoneInfo("UTC")


def plan_row(author: User, patient: Patient, **extra: Any) -> TreatmentPlan:
    """A plan written straight to the table (any status, no eligibility needed)."""
    values: dict[str, Any] = {
        "clinic": patient.clinic,
        "patient": patient,
        "protocol_code": "iv_ketamine_depression",
        "protocol_version": 1,
        "route": "iv_racemic",
        "phase": "induction",
        "created_by": author,
        **extra,
    }
    return TreatmentPlan.objects.create(**values)


def chair(patient_or_clinic: Any, name: str = "Chair 1", **extra: Any) -> Resource:
    clinic = getattr(patient_or_clinic, "clinic", patient_or_clinic)
    return Resource.objects.create(clinic=clinic, name=name, **extra)


def appointment(
    patient: Patient, starts_at: datetime, minutes: int = 120, **extra: Any
) -> Appointment:
    values: dict[str, Any] = {
        "clinic": patient.clinic,
        "patient": patient,
        "type": "treatment",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=minutes),
        **extra,
    }
    return Appointment.objects.create(**values)


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)
