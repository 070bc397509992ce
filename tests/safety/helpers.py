"""Shared set-up for the safety tests: a prescriber of record, a rota, a list, a flag."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic, User
from ketacare.patients.models import Patient
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.escalation_models import (
    EscalationContact,
    OnCallSlot,
    SafetySettings,
    StaffAlertContact,
)
from ketacare.safety.models import RiskFlag

SYSTEM = Actor(label="test")


def make_prescriber_of(patient: Patient, user: User) -> TreatmentPlan:
    return TreatmentPlan.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_code="esketamine_trd_us",
        route="intranasal",
        phase="induction",
        status=PlanStatus.ACTIVE,
        created_by=user,
        signed_by=user,
        signed_at=timezone.now(),
        revision=1,
    )


def on_call_all_week(clinic: Clinic, user: User) -> None:
    for day in range(7):
        OnCallSlot.objects.create(
            clinic=clinic, weekday=day, starts=time(0, 0), ends=time(0, 0), user=user
        )


def set_list(clinic: Clinic, *users: User) -> None:
    for position, user in enumerate(users, start=1):
        EscalationContact.objects.create(clinic=clinic, position=position, user=user)


def set_mobile(user: User, mobile: str) -> None:
    StaffAlertContact.objects.update_or_create(user=user, defaults={"mobile": mobile})


def set_director(clinic: Clinic, user: User, **extra: Any) -> SafetySettings:
    settings, _ = SafetySettings.objects.update_or_create(
        clinic=clinic, defaults={"director": user, **extra}
    )
    return settings


def raise_flag(patient: Patient, level: str = "high", source: str = "manual") -> RiskFlag:
    return do_raise_flag(SYSTEM, patient, level=level, source=source, reason="test flag")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)
