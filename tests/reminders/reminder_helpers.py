"""Appointments made directly with the ORM (booking is tested with scheduling), and plans."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ketacare.accounts.models import User
from ketacare.patients.models import Patient
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.scheduling.models import Appointment, Resource

NEW_YORK = ZoneInfo("America/New_York")
DAY = date(2026, 6, 3)  # a Wednesday
START = datetime.combine(DAY, time(10), tzinfo=NEW_YORK)


def plan_for(
    patient: Patient, prescriber: User, code: str, route: str, phase: str
) -> TreatmentPlan:
    """An active plan row (eligibility and signing are tested with plans)."""
    return TreatmentPlan.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_code=code,
        route=route,
        status=PlanStatus.ACTIVE,
        phase=phase,
        created_by=prescriber,
        signed_by=prescriber,
        signed_at=START - timedelta(days=7),
        starts_on=DAY - timedelta(days=7),
        revision=1,
    )


def appointment(
    patient: Patient,
    starts_at: datetime = START,
    type: str = "treatment",
    minutes: int = 150,
    **extra: Any,
) -> Appointment:
    if "resource" not in extra and type == "treatment":
        extra["resource"], _ = Resource.objects.get_or_create(
            clinic=patient.clinic, name="Chair 3", defaults={"has_iv_pump": True}
        )
    return Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        type=type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        **extra,
    )
