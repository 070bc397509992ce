"""The demo clinics have signed plans across protocols and a realistic, conflict-free week of
appointments on six chairs (issue #5 part 7)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.models import Clinic, Membership, Role
from ketacare.demo.loader import load_demo, remove_demo
from ketacare.evaluations.gates import signed_decision
from ketacare.evaluations.models import EligibilityDecision, EvaluationStatus
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.plans.models import ClinicProtocol, PlanStatus, TreatmentPlan
from ketacare.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    ClinicHours,
    Closure,
    ReminderLead,
    Resource,
    StaffHours,
)


def _overlaps(intervals: list[tuple[datetime, datetime, Any]]) -> list[Any]:
    intervals.sort(key=lambda i: i[0])
    return [(a[2], b[2]) for a, b in itertools.pairwise(intervals) if b[0] < a[1]]


def test_demo_plans_and_week(db: Any) -> None:
    load_demo()  # its load time is measured by hand (README), not asserted here
    now = timezone.now()
    codes: set[str] = set()
    for clinic in Clinic.objects.all():
        zone = clinic_zone(clinic)
        resources = Resource.objects.filter(clinic=clinic)
        chairs = resources.filter(kind="chair")
        assert chairs.count() == 6
        assert chairs.filter(has_iv_pump=True, has_monitor=True).count() == 4
        assert chairs.filter(esketamine_certified=True, has_monitor=True).count() == 2
        assert resources.filter(kind="room").count() == 2
        assert ClinicHours.objects.filter(clinic=clinic).count() == 6
        assert set(ReminderLead.objects.filter(clinic=clinic).values_list("hours", flat=True)) == {
            48,
            2,
        }
        assert Closure.objects.filter(clinic=clinic).count() >= 2

        # Most eligible patients have a signed plan, on a protocol their decision allows.
        eligible = {
            d.evaluation.patient_id
            for d in EligibilityDecision.objects.filter(
                evaluation__patient__clinic=clinic,
                evaluation__status=EvaluationStatus.SIGNED,
                signed_at__isnull=False,
            ).select_related("evaluation")
            if d.allows_treatment
        }
        plans = TreatmentPlan.objects.filter(clinic=clinic).select_related("patient")
        signed = {p.patient_id for p in plans if p.signed_at is not None}
        assert len(signed & eligible) >= 0.7 * len(eligible)
        for plan in plans:
            decision = signed_decision(plan.patient, plan.route)
            assert decision is not None and decision.allows_treatment, plan
            if plan.signed_at:
                assert plan.signed_at <= now
                assert plan.starts_on > timezone.localtime(decision.signed_at, zone).date()
                assert plan.signed_at > decision.signed_at
                times = list(plan.revisions.values_list("at", flat=True))
                assert times == sorted(times) and times[-1] <= now
                assert plan.revisions.count() == plan.revision
        codes |= {p.protocol_code for p in plans if p.signed_at}
        statuses = {p.status for p in plans}
        assert statuses >= {s.value for s in PlanStatus}, statuses
        for plan in plans.filter(status__in=[PlanStatus.STOPPED, PlanStatus.ON_HOLD]):
            assert len(plan.status_reason) > 30
        assert plans.filter(revisions__kind="changed", revisions__changes__has_key="dose_value")
        assert plans.filter(status="active", phase__startswith="maintenance").exists()
        assert ClinicProtocol.objects.filter(clinic=clinic, code="iv_ketamine_depression").exists()
        versions = set(
            plans.filter(protocol_code="iv_ketamine_depression").values_list(
                "protocol_version", flat=True
            )
        )
        assert 2 in versions or 1 in versions

        # Appointments: no overlaps on a chair/room or for a patient.
        appointments = list(
            Appointment.objects.filter(clinic=clinic).select_related("resource", "plan")
        )
        active = [a for a in appointments if a.status in ACTIVE_STATUSES]
        by_resource: dict[Any, list[Any]] = defaultdict(list)
        by_patient: dict[Any, list[Any]] = defaultdict(list)
        for a in active:
            if a.resource_id:
                by_resource[a.resource_id].append((a.starts_at, a.ends_at, a.pk))
            by_patient[a.patient_id].append((a.starts_at, a.ends_at, a.pk))
        for intervals in [*by_resource.values(), *by_patient.values()]:
            assert not _overlaps(intervals)

        # Inside clinic hours, never on a closure.
        hours = {h.weekday: (h.opens, h.closes) for h in ClinicHours.objects.filter(clinic=clinic)}
        closed = set()
        for closure in Closure.objects.filter(clinic=clinic):
            day = closure.starts_on
            while day <= closure.ends_on:
                closed.add(day)
                day += timedelta(days=1)
        for a in appointments:
            start, end = a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)
            assert start.date() == end.date() and start.date() not in closed, a
            opens, closes = hours[start.weekday()]
            assert opens <= start.time() and end.time() <= closes, a

        # Treatment sessions on the right chairs; esketamine with a prescriber working.
        prescribers = set(
            Membership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).values_list(
                "user_id", flat=True
            )
        )
        staff = list(StaffHours.objects.filter(clinic=clinic, user_id__in=prescribers))
        treatments = [a for a in appointments if a.type == AppointmentType.TREATMENT]
        assert treatments and all(a.plan_id and a.session_number for a in treatments)
        esketamine = [a for a in treatments if a.plan.route == "esketamine_nasal"]
        assert esketamine
        for a in treatments:
            if a.plan.route == "iv_racemic":
                assert a.resource.has_iv_pump and a.resource.has_monitor, a
            assert a.resource.kind == "chair"
        for a in esketamine:
            assert a.resource.esketamine_certified, a
            start, end = a.starts_at.astimezone(zone), a.ends_at.astimezone(zone)
            assert any(
                s.weekday == start.weekday() and s.starts <= start.time() and end.time() <= s.ends
                for s in staff
            ), a
        assert {a.type for a in appointments} == set(AppointmentType.values)
        assert all(a.resource_id is None for a in appointments if a.type == "telehealth")

        # The current week: appointments on every open day; statuses follow the clock.
        today = clinic_today(clinic)
        monday = today - timedelta(days=today.weekday())
        days = defaultdict(int)
        for a in appointments:
            days[a.starts_at.astimezone(zone).date()] += 1
        for offset in range(6):
            day = monday + timedelta(days=offset)
            if day.weekday() in hours and day not in closed:
                assert days[day] > 0, day
        for a in appointments:
            if a.ends_at <= now:
                assert a.status not in ("booked", "confirmed", "checked_in"), a
            if a.starts_at > now:
                assert a.status in ("booked", "confirmed", "cancelled"), a
        assert any(a.status == AppointmentStatus.NO_SHOW for a in appointments)
        cancelled = [a for a in appointments if a.status == AppointmentStatus.CANCELLED]
        assert cancelled and all(a.status_reason for a in cancelled)
        # History: completed sessions weeks back, so review points have data.
        first = min(a.starts_at for a in treatments if a.status == "completed")
        assert first.astimezone(zone).date() <= monday - timedelta(weeks=3)
    assert codes >= {"iv_ketamine_depression", "esketamine_trd_us", "iv_ketamine_ptsd"}, codes


def test_demo_refresh_reloads_cleanly(db: Any) -> None:
    load_demo()
    counts = (
        TreatmentPlan.objects.count(),
        Appointment.objects.count(),
        Resource.objects.count(),
        StaffHours.objects.count(),
    )
    remove_demo()
    assert not TreatmentPlan.objects.exists() and not Appointment.objects.exists()
    assert not Resource.objects.exists() and not Closure.objects.exists()
    load_demo()
    assert (
        TreatmentPlan.objects.count(),
        Appointment.objects.count(),
        Resource.objects.count(),
        StaffHours.objects.count(),
    ) == counts
