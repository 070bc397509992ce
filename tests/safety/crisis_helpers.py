"""Set-up for the crisis tests: a high-risk flag raised the way production raises it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import User
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.models import RiskFlag
from tests.evaluations.evaluation_helpers import actor

__all__ = ["actor", "high_flag", "plan_in_crisis", "steps_done_data"]

CRISIS_PLAN = {
    "warning_signs": "Not sleeping, pulling away from friends",
    "coping_strategies": "Walk the dog, cold shower, breathing app",
    "distractions": "Coffee shop on Main St; call my brother about football",
    "help_contacts": "Sister Maya 555-0101",
    "professionals": "Clinic 555-0100; 988",
    "safe_environment": "Sister keeps the stored medication",
}


def high_flag(patient: Patient, user: User | None = None) -> RiskFlag:
    who = actor(user) if user is not None else Actor(label="t")
    return do_raise_flag(
        who, patient, level="high", source="manual", reason="Said they have a plan tonight."
    )


def steps_done_data() -> dict[str, dict[str, Any]]:
    now = timezone.now()
    return {
        "stay": {"who": "Nina Nurse", "occurred_at": now},
        "means": {"note": "Sister removed the stored medication from the home."},
        "evaluation": {"who": "Paula Prescriber", "note": "Interviewed; C-SSRS to follow."},
        "disposition": {"disposition": "outpatient", "follow_up_at": now + timedelta(hours=48)},
    }


def record_all(user: User, crisis: CrisisRecord) -> None:
    from ketacare.safety.crisis_actions import do_record_step

    for kind, data in steps_done_data().items():
        do_record_step(actor(user), crisis, kind, data)
    plan_in_crisis(user, crisis)  # the disposition is "outpatient with safety plan"


def plan_in_crisis(user: User, crisis: CrisisRecord) -> None:
    from ketacare.safety.plan_actions import do_save_plan

    do_save_plan(actor(user), crisis.patient, CRISIS_PLAN, crisis=crisis)
