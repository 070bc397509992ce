"""Staff habit logging and goals on the chart; the alcohol pre-dose check item."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.aftercare.models import HabitGoal, HabitLog, HabitSource
from ketacare.treatments.checks import automatic_checks
from ketacare.treatments.state import session_protocol
from tests.aftercare.helpers import dosed_session

pytestmark = pytest.mark.django_db


def _url(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/aftercare/habits/"


def day(n: int = 0) -> str:
    return (timezone.localdate() - timedelta(days=n)).isoformat()


LOG = {
    "bed_time": "23:15",
    "wake_time": "07:00",
    "active_minutes": "40",
    "activity_kind": "walk",
    "drinks": "1",
    "therapy": "unknown",
    "note": "",
}


def test_nurse_logs_a_day_and_relogging_updates_it(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    assert client.post(_url(world), {**LOG, "day": day(1)}).status_code == 302
    log = HabitLog.objects.get()
    assert log.active_minutes == 40 and log.drinks == Decimal("1") and log.therapy is None
    assert log.source == HabitSource.STAFF and log.recorded_by == world.nurse_a
    client.post(_url(world), {**LOG, "day": day(1), "drinks": "0", "therapy": "true"})
    log.refresh_from_db()
    assert HabitLog.objects.count() == 1 and log.drinks == 0 and log.therapy is True
    entries = AuditEntry.objects.filter(action="aftercare.habits.logged").order_by("seq")
    assert entries.count() == 2 and entries.last().detail["before"]["drinks"] == "1.0"
    page = client.get(_url(world)).content.decode()
    assert "23:15 → 07:00" in page and "40 min walk" in page


def test_bad_habit_input_names_the_field(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    cases = [
        ({**LOG, "day": day(), "wake_time": ""}, "wake_time"),
        ({**LOG, "day": day(), "wake_time": "23:15"}, "wake_time"),
        ({**LOG, "day": day(), "drinks": "-1"}, "drinks"),
        ({**LOG, "day": day(), "active_minutes": "", "activity_kind": "swim"}, "active_minutes"),
        ({**LOG, "day": day(-2)}, "day"),
        ({"day": day(), "therapy": "unknown"}, "day"),
    ]
    for data, field in cases:
        response = client.post(_url(world), data)
        assert response.status_code == 400, field
        assert f'data-field="{field}"' in response.content.decode(), field
    assert not HabitLog.objects.exists()


def test_goals_are_replaced_not_edited_and_evaluated_by_week(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    goals = _url(world) + "goals/"
    client.post(goals, {"kind": "active_min_week", "target": "150", "starts_on": day(30)})
    client.post(goals, {"kind": "active_min_week", "target": "120", "starts_on": day(2)})
    old, new = HabitGoal.objects.order_by("pk")
    assert old.ends_on == timezone.localdate() - timedelta(days=3) and old.target == 150
    assert new.is_active and new.target == 120
    # Log a full previous week of 30 minutes a day: 210 ≥ 120 → met.
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 7)
    for i in range(7):
        client.post(
            _url(world),
            {"day": (monday + timedelta(days=i)).isoformat(), "active_minutes": "30"},
        )
    page = client.get(_url(world)).content.decode()
    weeks = page.split('data-testid="habit-weeks"')[1]
    assert "210" in weeks and "met" in weeks
    assert 'id="habit-active-' in page and 'id="habit-phq9-' in page
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="chart-habit-charts"' in chart
    bad = client.post(goals, {"kind": "nonsense", "target": "5", "starts_on": day()})
    assert bad.status_code == 400 and 'data-field="kind"' in bad.content.decode()
    url_end = f"{goals}{new.pk}/end/"
    client.post(url_end)
    new.refresh_from_db()
    assert new.ends_on == today
    assert AuditEntry.objects.filter(action="aftercare.goal.set").count() == 2
    assert AuditEntry.objects.filter(action="aftercare.goal.ended").count() == 1


def test_permissions_and_isolation(world: Any, as_user: Any) -> None:
    assert as_user(world.director_a).get(_url(world)).status_code == 200
    assert as_user(world.director_a).post(_url(world), {**LOG, "day": day()}).status_code == 403
    intake = as_user(world.intake_a)
    assert (
        intake.post(
            _url(world) + "goals/", {"kind": "drinks_week_max", "target": "7", "starts_on": day()}
        ).status_code
        == 403
    )
    b = as_user(world.clinician_b)
    assert b.get(_url(world)).status_code == 404
    assert b.post(_url(world), {**LOG, "day": day()}).status_code == 404
    assert not HabitLog.objects.exists() and not HabitGoal.objects.exists()


def test_alcohol_before_the_dosing_day_fails_a_pre_dose_item(world: Any, as_user: Any) -> None:
    session = dosed_session(world, world.patient_a)
    protocol = session_protocol(session)
    codes = [c.code for c in automatic_checks(session, protocol, weight_based=True)]
    assert "alcohol_before_dosing" not in codes  # nothing logged: no item
    as_user(world.nurse_a).post(_url(world), {"day": day(1), "drinks": "3"})
    item = next(
        c
        for c in automatic_checks(session, protocol, weight_based=True)
        if c.code == "alcohol_before_dosing"
    )
    assert not item.ok and "3 standard drinks" in item.detail
    # A clinic that allows up to 4 drinks the day before: the item passes.
    as_user(world.admin_a).post(
        "/aftercare/settings/",
        {
            "integration_gap_days": "7",
            "booster_rise_pct": "25",
            "alcohol_limit_drinks": "4",
            "alcohol_window_days": "1",
        },
    )
    item = next(
        c
        for c in automatic_checks(session, protocol, weight_based=True)
        if c.code == "alcohol_before_dosing"
    )
    assert item.ok
