"""Set-up for the session tests: a patient ready for an IV or esketamine session today."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import User
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.models import Patient
from ketacare.scheduling.models import Appointment, Resource
from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from tests.evaluations.evaluation_helpers import actor, consent
from tests.scheduling.sched_helpers import esketamine_plan, iv_plan

__all__ = ["actor", "appointment", "checks_ok", "dosed", "phq9_today", "ready_session"]

NORMAL = {
    "systolic_mmhg": 122,
    "diastolic_mmhg": 78,
    "heart_rate_bpm": 72,
    "spo2_pct": 98,
    "resp_rate_per_min": 14,
    "moaas": 5,
    "cadss6": 0,
}


def phq9_today(patient: Patient) -> None:
    answers = {f"phq9-{i}": 1 for i in range(1, 9)} | {"phq9-9": 0}
    do_record_assessment(Actor(label="t"), patient, "phq9", answers)


def appointment(patient: Patient, plan: Any, chair_name: str = "Chair 1") -> Appointment:
    chair = Resource.objects.create(
        clinic=patient.clinic, name=chair_name, has_iv_pump=True, has_monitor=True
    )
    # Five minutes ago, but on the clinic's today: only today's appointments are checked in.
    now = timezone.now()
    midnight = datetime.combine(
        clinic_today(patient.clinic, now), time(), clinic_zone(patient.clinic)
    )
    start = max(now - timedelta(minutes=5), midnight)
    return Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        type="treatment",
        starts_at=start,
        ends_at=start + timedelta(hours=3),
        resource=chair,
        plan=plan,
    )


def ready_session(
    prescriber: User, nurse: User, patient: Patient, route: str = "iv_racemic"
) -> TreatmentSession:
    """Eligible, consented, plan active, PHQ-9 today, checked in."""
    plan = (
        esketamine_plan(prescriber, patient)
        if route == "esketamine_nasal"
        else iv_plan(prescriber, patient)
    )
    consent(prescriber, patient, route)
    phq9_today(patient)
    appt = appointment(patient, plan)
    return actions.do_check_in(actor(nurse), patient.clinic, patient, appt.pk)


def answers_for(session: TreatmentSession, result: str = "yes") -> dict[str, tuple[str, str]]:
    from ketacare.treatments.checks import manual_items
    from ketacare.treatments.state import session_protocol

    return {i.code: (result, "") for i in manual_items(session_protocol(session))}


def checks_ok(nurse: User, session: TreatmentSession, **vitals: Any) -> TreatmentSession:
    return actions.do_record_checks(
        actor(nurse), session, answers_for(session), {**NORMAL, **vitals}
    )


def dosed(nurse: User, session: TreatmentSession, given: Any = None) -> TreatmentSession:
    from datetime import date

    session = checks_ok(nurse, session)
    calc = actions.session_dose(session)
    return actions.do_start_dose(
        actor(nurse),
        session,
        {"lot_number": "LOT-1", "expiry": date(2099, 1, 1), "given_mg": given or calc.dose_mg},
    )


def infused(session: TreatmentSession) -> TreatmentSession:
    """Move the start of the session's infusion back by its planned minutes, so that "Infusion
    stopped now" finds it complete (it is refused clearly before the planned time)."""
    from ketacare.treatments.models import DoseRecord
    from ketacare.treatments.state import session_protocol

    planned = session_protocol(session).dose_for(session.plan.phase).duration_min or 0
    start = timezone.now() - timedelta(minutes=planned)
    DoseRecord.objects.filter(session=session).update(started_at=start)
    TreatmentSession.objects.filter(pk=session.pk).update(dosing_started_at=start)
    session.refresh_from_db()
    return session


def escalated_alert(world: Any) -> Any:
    """A dosed session of world.patient_a with a heart rate alert nobody acknowledged, now
    escalated to world.prescriber_a (the worker's pass run 30 minutes after it was raised)."""
    from ketacare.treatments.escalation import escalate_unacknowledged
    from ketacare.treatments.models import SessionAlert

    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    actions.do_record_vitals(actor(nurse), session, {"heart_rate_bpm": 131})
    alert = SessionAlert.objects.get(session=session)
    assert escalate_unacknowledged(alert.raised_at + timedelta(minutes=30)) == 1
    alert.refresh_from_db()
    assert alert.escalated_to_id == world.prescriber_a.pk
    return alert
