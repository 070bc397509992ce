"""Plans with completed sessions and scores, for the review tests."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from ketacare.accounts.models import User
from ketacare.measures.models import Assessment
from ketacare.patients.models import Patient
from ketacare.plans import actions
from ketacare.plans.models import TreatmentPlan
from ketacare.scheduling.models import Appointment
from tests.evaluations.evaluation_helpers import actor, signed

NEW_YORK = ZoneInfo("America/New_York")
MONDAY = date(2026, 6, 1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=NEW_YORK)


def iv_plan(prescriber: User, patient: Patient, signed_on: date = MONDAY) -> TreatmentPlan:
    """An active IV racemic ketamine plan for depression, signed on `signed_on` at 08:00."""
    with time_machine.travel(at(signed_on, 8), tick=False):
        signed(prescriber, patient, "iv_racemic")
        plan = actions.do_create_plan(actor(prescriber), patient, "iv_ketamine_depression", {})
        actions.do_sign_plan(actor(prescriber), plan)
    plan.refresh_from_db()
    return plan


def sessions(plan: TreatmentPlan, count: int, first: date = MONDAY, every_days: int = 2) -> list:
    """`count` completed treatment sessions at 10:00-11:00, every `every_days` days."""
    out = []
    for n in range(count):
        starts = at(first + timedelta(days=n * every_days), 10)
        out.append(
            Appointment.objects.create(
                clinic=plan.clinic,
                patient=plan.patient,
                type="treatment",
                plan=plan,
                session_number=n + 1,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                status="completed",
            )
        )
    return out


def score(patient: Patient, code: str, total: int, when: datetime, **extra: Any) -> Assessment:
    return Assessment.objects.create(
        patient=patient,
        scale_code=code,
        scale_version="test",
        answers={},
        total=total,
        administered_at=when,
        recorded_at=when,
        **extra,
    )
