"""Who is on call when (clinic time), who the prescriber is, and the pure timing rule."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ketacare.accounts.models import Membership
from ketacare.clinical.escalation import EscalationPolicy, escalation_due, next_business_morning
from ketacare.safety.escalation_models import OnCallOverride, OnCallSlot
from ketacare.safety.rota import director_of, on_call_at, patient_prescriber
from tests.safety.helpers import make_prescriber_of, set_director

NY = ZoneInfo("America/New_York")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2026, New York time (2 March is a Monday)."""
    return datetime(2026, 3, day, hour, minute, tzinfo=NY)


@pytest.mark.django_db
def test_weekly_slots_including_overnight(world: Any) -> None:
    clinic = world.clinic_a
    OnCallSlot.objects.create(
        clinic=clinic, weekday=0, starts=time(8), ends=time(18), user=world.nurse_a
    )
    OnCallSlot.objects.create(
        clinic=clinic, weekday=0, starts=time(18), ends=time(8), user=world.prescriber_a
    )
    assert on_call_at(clinic, at(2, 9)) == [world.nurse_a]  # Monday 09:00
    assert on_call_at(clinic, at(2, 18)) == [world.prescriber_a]  # Monday 18:00
    assert on_call_at(clinic, at(3, 2)) == [world.prescriber_a]  # overnight into Tuesday
    assert on_call_at(clinic, at(3, 9)) == []  # Tuesday day: nobody on the rota


@pytest.mark.django_db
def test_dated_override_wins_for_its_hours_only(world: Any) -> None:
    clinic = world.clinic_a
    OnCallSlot.objects.create(
        clinic=clinic, weekday=0, starts=time(0), ends=time(0), user=world.nurse_a
    )
    OnCallOverride.objects.create(
        clinic=clinic,
        on_date=date(2026, 3, 2),
        starts=time(12),
        ends=time(14),
        user=world.therapist_a,
    )
    assert on_call_at(clinic, at(2, 13)) == [world.therapist_a]
    assert on_call_at(clinic, at(2, 15)) == [world.nurse_a]


@pytest.mark.django_db
def test_people_who_left_the_clinic_are_never_paged(world: Any) -> None:
    OnCallSlot.objects.create(
        clinic=world.clinic_a, weekday=0, starts=time(0), ends=time(0), user=world.nurse_a
    )
    Membership.objects.filter(user=world.nurse_a).update(is_active=False)
    assert on_call_at(world.clinic_a, at(2, 9)) == []


@pytest.mark.django_db
def test_prescriber_is_the_signer_of_the_current_plan(world: Any) -> None:
    assert patient_prescriber(world.patient_a) is None
    make_prescriber_of(world.patient_a, world.prescriber_a)
    assert patient_prescriber(world.patient_a) == world.prescriber_a


@pytest.mark.django_db
def test_director_from_settings_else_by_role(world: Any) -> None:
    assert director_of(world.clinic_a) == world.director_a
    set_director(world.clinic_a, world.prescriber_a)
    assert director_of(world.clinic_a) == world.prescriber_a


def test_timing_rule_by_level() -> None:
    policy = EscalationPolicy()
    start = at(6, 17)  # Friday 17:00
    assert escalation_due("high", start, policy).at == start + timedelta(minutes=15)
    assert escalation_due("moderate", start, policy).at == start + timedelta(hours=4)
    assert escalation_due("low", start, policy).at == at(9, 9)  # Monday 09:00
    assert next_business_morning(at(9, 8), policy) == at(9, 9)  # same morning, before nine
    assert "clinic setting" in escalation_due("high", start, policy).reason
    weekend_clinic = EscalationPolicy(business_days=frozenset({5}))
    assert next_business_morning(start, weekend_clinic) == at(7, 9)


@pytest.mark.django_db
def test_demo_setup_puts_someone_on_call_at_every_hour(world: Any) -> None:
    from ketacare.safety.demo import setup_escalation

    setup_escalation(world.clinic_a)
    for day in range(2, 9):  # a whole week
        for hour in (3, 9, 20):
            assert on_call_at(world.clinic_a, at(day, hour)), (day, hour)
    assert director_of(world.clinic_a) == world.director_a
