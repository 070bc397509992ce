"""Shared set-up for the scheduling tests: a clinic with hours and chairs, active plans."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from ketacare.accounts.models import Clinic, User
from ketacare.evaluations.models import RemsEnrollment
from ketacare.patients.models import Patient
from ketacare.plans import actions as plan_actions
from ketacare.plans.models import TreatmentPlan
from ketacare.scheduling.models import ClinicHours, Resource, StaffHours
from tests.evaluations.evaluation_helpers import actor, signed

NY = ZoneInfo("America/New_York")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    """A wall-clock time in New York (the clinic's zone), aware."""
    return datetime(y, m, d, hh, mm, tzinfo=NY)


def set_up_clinic(clinic: Clinic, weekdays: range = range(5)) -> dict[str, Resource]:
    for weekday in weekdays:
        ClinicHours.objects.create(clinic=clinic, weekday=weekday, opens=time(8), closes=time(18))
    chairs = {
        "iv1": Resource.objects.create(
            clinic=clinic, name="Chair 1", has_iv_pump=True, has_monitor=True, sort_order=1
        ),
        "esk": Resource.objects.create(
            clinic=clinic,
            name="Chair 2",
            has_iv_pump=True,
            has_monitor=True,
            esketamine_certified=True,
            sort_order=2,
        ),
        "plain": Resource.objects.create(clinic=clinic, name="Chair 3", sort_order=3),
        "room": Resource.objects.create(clinic=clinic, name="Room A", kind="room", sort_order=4),
    }
    return chairs


def works(clinic: Clinic, user: User, weekdays: range = range(5)) -> None:
    for weekday in weekdays:
        StaffHours.objects.create(
            clinic=clinic, user=user, weekday=weekday, starts=time(8), ends=time(18)
        )


def iv_plan(prescriber: User, patient: Patient, **values: Any) -> TreatmentPlan:
    signed(prescriber, patient, "iv_racemic")
    plan = plan_actions.do_create_plan(actor(prescriber), patient, "iv_ketamine_depression", values)
    plan_actions.do_sign_plan(actor(prescriber), plan)
    plan.refresh_from_db()
    return plan


def esketamine_plan(prescriber: User, patient: Patient, rems: bool = True) -> TreatmentPlan:
    signed(prescriber, patient, "esketamine_nasal", indication="trd")
    if rems:
        RemsEnrollment.objects.create(
            patient=patient, rems_patient_id="REMS-1", enrolled_on=date(2026, 1, 2)
        )
    plan = plan_actions.do_create_plan(actor(prescriber), patient, "esketamine_trd_us", {})
    plan_actions.do_sign_plan(actor(prescriber), plan)
    plan.refresh_from_db()
    return plan
