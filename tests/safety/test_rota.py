"""Who is on call when (clinic time), who the prescriber is, and the pure timing rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
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


# America/New_York: clocks go back at 02:00 EDT on 2 Nov 2025 (01:00-01:59 happens twice) and
# forward at 02:00 EST on 8 Mar 2026 (02:00-02:59 never happens). Aware datetimes sharing a
# tzinfo compare and subtract on the wall clock, so every check below is made in UTC.


def _wait(since: datetime, level: str, policy: EscalationPolicy | None = None) -> timedelta:
    due = escalation_due(level, since, policy or EscalationPolicy()).at
    return due.astimezone(UTC) - since.astimezone(UTC)


@pytest.mark.parametrize(
    ("level", "since", "minutes"),
    [
        ("high", datetime(2025, 11, 2, 1, 50, tzinfo=NY), 15),  # 01:50 EDT, first pass
        ("high", datetime(2025, 11, 2, 1, 50, fold=1, tzinfo=NY), 15),  # 01:50 EST, second
        ("high", datetime(2025, 11, 2, 1, 10, fold=1, tzinfo=NY), 15),  # 01:10 EST, second
        ("moderate", datetime(2025, 11, 1, 23, 30, tzinfo=NY), 240),  # 23:30 EDT Saturday
        ("moderate", datetime(2025, 11, 2, 1, 30, tzinfo=NY), 240),  # 01:30 EDT, first pass
        ("high", datetime(2026, 3, 8, 1, 50, tzinfo=NY), 15),  # 01:50 EST
        ("moderate", datetime(2026, 3, 8, 0, 30, tzinfo=NY), 240),  # 00:30 EST
        ("moderate", datetime(2026, 3, 7, 23, 0, tzinfo=NY), 240),  # 23:00 EST Saturday
    ],
)
def test_high_and_moderate_waits_are_real_minutes_across_daylight_saving(
    level: str, since: datetime, minutes: int
) -> None:
    assert _wait(since, level) == timedelta(minutes=minutes)


def test_fall_back_high_flag_is_due_at_one_oh_five_est_not_two_oh_five() -> None:
    due = escalation_due("high", datetime(2025, 11, 2, 1, 50, tzinfo=NY), EscalationPolicy()).at
    assert due.astimezone(UTC) == datetime(2025, 11, 2, 6, 5, tzinfo=UTC)
    # Given back in clinic time: the second 01:05 (EST), not the first.
    assert due.tzinfo is NY and (due.hour, due.minute, due.fold) == (1, 5, 1)
    assert due.utcoffset() == timedelta(hours=-5)


def test_spring_forward_due_times_are_real_clinic_times() -> None:
    policy = EscalationPolicy()
    high = escalation_due("high", datetime(2026, 3, 8, 1, 50, tzinfo=NY), policy).at
    assert high.astimezone(UTC) == datetime(2026, 3, 8, 7, 5, tzinfo=UTC)
    assert (high.hour, high.minute) == (3, 5)  # 03:05 EDT, never the non-existent 02:05
    moderate = escalation_due("moderate", datetime(2026, 3, 8, 0, 30, tzinfo=NY), policy).at
    assert moderate.astimezone(UTC) == datetime(2026, 3, 8, 9, 30, tzinfo=UTC)
    assert (moderate.hour, moderate.minute) == (5, 30)  # 05:30 EDT, four hours later


def test_clinic_minutes_are_also_real_minutes_across_daylight_saving() -> None:
    policy = EscalationPolicy(high_minutes=90, moderate_minutes=30)
    since = datetime(2025, 11, 2, 0, 45, tzinfo=NY)  # 00:45 EDT
    assert _wait(since, "high", policy) == timedelta(minutes=90)  # ends 01:15 EST
    assert _wait(since, "moderate", policy) == timedelta(minutes=30)
    assert escalation_due("high", since, policy).at.astimezone(UTC) == datetime(
        2025, 11, 2, 6, 15, tzinfo=UTC
    )


def test_a_due_time_in_utc_stays_in_utc() -> None:
    since = datetime(2025, 11, 2, 5, 50, tzinfo=UTC)
    due = escalation_due("high", since, EscalationPolicy()).at
    assert due == since + timedelta(minutes=15) and due.tzinfo is UTC


def test_low_flags_keep_the_wall_clock_across_daylight_saving() -> None:
    policy = EscalationPolicy()
    # Friday 17:00 EST before spring forward -> Monday 09:00 EDT (clinic time, not +64 h).
    due = escalation_due("low", datetime(2026, 3, 6, 17, tzinfo=NY), policy).at
    assert due.astimezone(UTC) == datetime(2026, 3, 9, 13, tzinfo=UTC)
    # Friday 17:00 EDT before fall back -> Monday 09:00 EST.
    due = escalation_due("low", datetime(2025, 10, 31, 17, tzinfo=NY), policy).at
    assert due.astimezone(UTC) == datetime(2025, 11, 3, 14, tzinfo=UTC)


@pytest.mark.parametrize("level", ["high", "moderate", "low"])
def test_a_naive_time_is_refused(level: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        escalation_due(level, datetime(2025, 11, 2, 1, 50), EscalationPolicy())


@pytest.mark.django_db
def test_demo_setup_puts_someone_on_call_at_every_hour(world: Any) -> None:
    from ketacare.safety.demo import setup_escalation

    setup_escalation(world.clinic_a)
    for day in range(2, 9):  # a whole week
        for hour in (3, 9, 20):
            assert on_call_at(world.clinic_a, at(day, hour)), (day, hour)
    assert director_of(world.clinic_a) == world.director_a


def _signed_evaluation(patient: Any, signer: Any) -> Any:
    from django.utils import timezone

    from ketacare.evaluations.models import Evaluation

    return Evaluation.objects.create(
        patient=patient,
        route="iv_racemic",
        indication="trd",
        signed_by=signer,
        signed_at=timezone.now(),
    )


@pytest.mark.django_db
def test_prescriber_falls_back_to_the_evaluation_signer(world: Any) -> None:
    from ketacare.accounts.models import Role
    from tests.conftest import make_staff

    _signed_evaluation(world.patient_a, world.prescriber_a)
    assert patient_prescriber(world.patient_a) == world.prescriber_a  # no plan yet
    other = make_staff(world.clinic_a, Role.PRESCRIBER, "second@a.test", "Sam Second")
    make_prescriber_of(world.patient_a, other)
    assert patient_prescriber(world.patient_a) == other  # the plan's signer comes first
    Membership.objects.filter(user=other).update(is_active=False)
    assert patient_prescriber(world.patient_a) == world.prescriber_a  # left: the evaluation's
    world.prescriber_a.is_active = False
    world.prescriber_a.save()
    assert patient_prescriber(world.patient_a) is None  # nobody who still works here
