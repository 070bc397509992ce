"""The patient's habit pages in the portal: log a day in a few taps, weekly summary."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.aftercare.habit_actions import do_log_habits, do_set_goal
from ketacare.aftercare.models import HabitLog, HabitSource
from tests.aftercare.helpers import actor
from tests.page_text import without_tokens
from tests.portal.conftest import PORTAL_PASSWORD, make_portal_account

pytestmark = pytest.mark.django_db


def signed_in(account: Any) -> Client:
    c = Client()
    response = c.post(
        "/portal/sign-in/",
        {"form": "password", "email": account.user.email, "password": PORTAL_PASSWORD},
    )
    assert response.status_code == 302
    return c


@pytest.fixture
def ada(world: Any) -> Client:
    return signed_in(make_portal_account(world.patient_a, "ada@patient.test"))


def test_form_starts_from_yesterday_and_one_tap_saves_today(world: Any, ada: Client) -> None:
    today = timezone.localdate()
    do_log_habits(
        actor(world.nurse_a),
        world.patient_a,
        {
            "day": today - timedelta(days=1),
            "bed_time": time(22, 45),
            "wake_time": time(6, 45),
            "active_minutes": 30,
            "activity_kind": "walk",
        },
    )
    page = ada.get("/portal/habits/")
    body = page.content.decode()
    assert page.status_code == 200 and 'value="22:45"' in body and 'value="30"' in body
    assert "Habits" in body  # the portal menu entry
    # "Same as yesterday": the patient only presses Save with the prefilled values.
    response = ada.post(
        "/portal/habits/",
        {
            "day": today.isoformat(),
            "bed_time": "22:45",
            "wake_time": "06:45",
            "active_minutes": "30",
            "activity_kind": "walk",
            "drinks": "",
            "therapy": "unknown",
        },
    )
    assert response.status_code == 302
    log = HabitLog.objects.get(day=today)
    assert log.source == HabitSource.PATIENT
    assert log.recorded_by is not None and log.recorded_by.email == "ada@patient.test"
    assert log.active_minutes == 30 and log.drinks is None
    entry = AuditEntry.objects.filter(action="aftercare.habits.logged").order_by("-seq").first()
    assert entry is not None and entry.actor_role == "patient"


def test_bad_input_and_days_outside_the_choices(world: Any, ada: Client) -> None:
    today = timezone.localdate()
    bad = ada.post("/portal/habits/", {"day": today.isoformat(), "bed_time": "23:00"})
    assert bad.status_code == 400 and 'data-field="wake_time"' in bad.content.decode()
    old = ada.post(
        "/portal/habits/",
        {"day": (today - timedelta(days=9)).isoformat(), "active_minutes": "10"},
    )
    assert old.status_code == 400 and 'data-field="day"' in old.content.decode()
    assert not HabitLog.objects.exists()


def test_weekly_summary_against_goals_and_only_their_own(world: Any, ada: Client) -> None:
    do_set_goal(
        actor(world.therapist_a),
        world.patient_a,
        {"kind": "active_min_week", "target": 150, "starts_on": timezone.localdate()},
    )
    do_log_habits(
        actor(world.nurse_a),
        world.patient_b,
        {"day": timezone.localdate(), "active_minutes": 77},
    )
    body = ada.get("/portal/habits/week/").content.decode()
    assert "Active minutes a week, at least: <strong>150</strong>" in body
    assert "77" not in without_tokens(body)  # another patient's log
    assert body.count('data-testid="patient-week"') == 4
    assert AuditEntry.objects.filter(action="aftercare.habits.summary_viewed").exists()


def test_staff_and_anonymous_cannot_use_the_portal_pages(world: Any, as_user: Any) -> None:
    assert as_user(world.nurse_a).get("/portal/habits/").status_code in (302, 403)
    anonymous = Client().get("/portal/habits/")
    assert anonymous.status_code == 302
