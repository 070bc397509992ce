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


def personal_form(**extra: Any) -> dict[str, Any]:
    """The plan page's personalise form for an IV plan, filled as a prescriber would;
    `extra` changes fields."""
    data = {
        "dose_value": "0.5",
        "weight_basis": "",
        "concentration_mg_per_ml": "10",
        "frequency": "2/7",
        "frequency_count": "",
        "frequency_per_days": "",
        "sessions_planned": "6",
        "target_madrs": "10",
        "target_phq9": "",
        "target_qids_sr16": "",
        "target_gad7": "",
        "target_pcl5": "",
        "goals": "Return to work",
        "starts_on": "2026-12-01",
    }
    data.update(extra)
    return data
