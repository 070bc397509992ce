"""Set-up shared by the aftercare tests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import User
from ketacare.patients.models import Patient
from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from tests.evaluations.evaluation_helpers import consent
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import appointment, phq9_today


def actor(user: User) -> Actor:
    return Actor(user_id=user.pk, label=user.email)


def dosed_session(world: Any, patient: Patient, days_ago: int = 1) -> TreatmentSession:
    """A checked-in session whose dosing started `days_ago` days ago."""
    plan = iv_plan(world.prescriber_a, patient)
    consent(world.prescriber_a, patient, "iv_racemic")
    phq9_today(patient)
    appt = appointment(patient, plan, chair_name=f"Chair {patient.pk}")
    session = actions.do_check_in(actor(world.nurse_a), patient.clinic, patient, appt.pk)
    at = timezone.now() - timedelta(days=days_ago)
    TreatmentSession.objects.filter(pk=session.pk).update(dosing_started_at=at)
    session.refresh_from_db()
    return session


NOTE = {
    "kind": "integration",
    "held_on": "",
    "appointment": "",
    "intentions": "To be kinder to myself",
    "themes": "Felt held; memories of childhood home",
    "insights": "Grief is allowed",
    "homework": "Journal for ten minutes each morning",
    "risk": "none",
    "risk_note": "",
}


def note_form(**changes: Any) -> dict[str, Any]:
    data = dict(NOTE)
    data["held_on"] = timezone.localdate().isoformat()
    data.update(changes)
    return data
