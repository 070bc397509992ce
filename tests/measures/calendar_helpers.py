"""Appointments and treatment plans made directly with the ORM, for the calendar-rule tests
(before every session, during maintenance) and the session markers on trajectories."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ketacare.measures.models import RuleKind, ScheduleRule
from ketacare.plans.models import PlanRevision, PlanStatus, RevisionKind, TreatmentPlan
from ketacare.scheduling.models import Appointment, AppointmentStatus, AppointmentType

NEW_YORK = ZoneInfo("America/New_York")  # the test clinics' time zone (Clinic default)


def at(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK)


def session(
    patient: Any,
    day: date,
    hour: int = 9,
    status: str = AppointmentStatus.BOOKED,
    kind: str = AppointmentType.TREATMENT,
) -> Appointment:
    starts = at(day, hour)
    return Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        type=kind,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        status=status,
    )


def only_rule(clinic: Any, scale: str, kind: str, **extra: Any) -> ScheduleRule:
    """Replace the clinic's schedule with a single rule (no defaults get seeded)."""
    ScheduleRule.objects.filter(clinic=clinic).delete()
    return ScheduleRule.objects.create(clinic=clinic, scale_code=scale, kind=kind, **extra)


def plan(
    patient: Any,
    author: Any,
    phase: str,
    *,
    starts_on: date | None = None,
    status: str = PlanStatus.ACTIVE,
    code: str = "iv_ketamine_depression",
) -> TreatmentPlan:
    return TreatmentPlan.objects.create(
        clinic=patient.clinic,
        patient=patient,
        protocol_code=code,
        route="iv_racemic",
        status=status,
        phase=phase,
        starts_on=starts_on,
        created_by=author,
        revision=0,
    )


def revise(treatment_plan: TreatmentPlan, author: Any, when: datetime, **changes: Any) -> None:
    """Append a revision as plans.actions would: the plan row mirrors the latest snapshot."""
    kind = RevisionKind.PHASE if "phase" in changes else RevisionKind.STATUS
    before = {"phase": treatment_plan.phase, "status": treatment_plan.status}
    for field, value in changes.items():
        setattr(treatment_plan, field, value)
    treatment_plan.revision += 1
    treatment_plan.save()
    PlanRevision.objects.create(
        plan=treatment_plan,
        number=treatment_plan.revision,
        kind=RevisionKind.SIGNED if treatment_plan.revision == 1 else kind,
        author=author,
        at=when,
        reason="test",
        snapshot={"phase": treatment_plan.phase, "status": treatment_plan.status},
        changes={k: [before.get(k), v] for k, v in changes.items()},
    )


__all__ = ["RuleKind", "at", "only_rule", "plan", "revise", "session"]
