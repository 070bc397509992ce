"""Shared set-up for the plan tests: an eligible patient and a draft or signed plan."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import User
from ketacare.patients.models import Patient
from ketacare.plans import actions
from ketacare.plans.models import TreatmentPlan
from tests.evaluations.evaluation_helpers import actor, signed

__all__ = ["active", "actor", "draft", "eligible"]


def eligible(prescriber: User, patient: Patient, route: str = "iv_racemic") -> Patient:
    signed(prescriber, patient, route)
    return patient


def draft(
    prescriber: User,
    patient: Patient,
    code: str = "iv_ketamine_depression",
    values: dict[str, Any] | None = None,
) -> TreatmentPlan:
    who: Actor = actor(prescriber)
    return actions.do_create_plan(who, patient, code, values or {})


def active(prescriber: User, patient: Patient, **values: Any) -> TreatmentPlan:
    eligible(prescriber, patient)
    plan = draft(prescriber, patient, values=values)
    actions.do_sign_plan(actor(prescriber), plan)
    plan.refresh_from_db()
    return plan
