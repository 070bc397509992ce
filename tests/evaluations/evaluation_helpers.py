"""Shared set-up for the evaluation tests: actors and a ready-made evaluation."""

from __future__ import annotations

from datetime import date
from typing import Any

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import User
from ketacare.evaluations import actions
from ketacare.evaluations.models import Evaluation
from ketacare.patients.models import Patient


def actor(user: User, role: str = "prescriber") -> Actor:
    membership = user.memberships.get()
    return Actor(
        user_id=user.pk, label=user.email, role=membership.role, clinic_id=membership.clinic_id
    )


CLEAN = {
    "pregnant": "no",
    "breastfeeding": "no",
    "planning_pregnancy": "no",
    "systolic_mmhg": 120,
    "diastolic_mmhg": 80,
    "heart_rate_bpm": 70,
    "spo2_pct": 98,
    "audit_c_score": 1,
}


def evaluation_for(
    user: User,
    patient: Patient,
    route: str = "iv_racemic",
    indication: str = "ptsd",
    **data: Any,
) -> Evaluation:
    """A draft evaluation with normal vitals and pregnancy answered, plus `data`."""
    evaluation = actions.do_start_evaluation(actor(user), patient, route, indication)
    actions.do_update_evaluation(actor(user), evaluation, {**CLEAN, **data})
    return evaluation


def signed(user: User, patient: Patient, route: str = "iv_racemic", **data: Any) -> Evaluation:
    evaluation = evaluation_for(user, patient, route, **data)
    actions.do_sign_decision(actor(user), evaluation, {})
    evaluation.refresh_from_db()
    return evaluation


def consent(user: User, patient: Patient, route: str = "iv_racemic", **extra: Any) -> None:
    actions.do_record_consent(
        actor(user),
        patient,
        {
            "route": route,
            "version": "2026-01",
            "off_label_disclosed": route != "esketamine_nasal",
            "risks_discussed": ["dissociation", "blood_pressure"],
            "patient_signature_name": "Ada Lovelace",
            "signed_on": date(2026, 1, 5),
            "witness_name": "Nina Nurse",
            **extra,
        },
    )
