"""Aftercare in a real browser: a patient logs a day of habits on a phone in a few taps; a
therapist reads habits against goals beside PHQ-9 on a tablet."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketacare.aftercare.habit_actions import do_log_habits, do_set_goal
from ketacare.aftercare.models import HabitLog
from tests.aftercare.helpers import actor
from tests.conftest import World
from tests.portal.conftest import PORTAL_PASSWORD, make_portal_account

pytestmark = pytest.mark.browser


def _history(world: World, days: int = 28) -> None:
    today = timezone.localdate()
    for n in range(1, days + 1):
        do_log_habits(
            actor(world.nurse_a),
            world.patient_a,
            {
                "day": today - timedelta(days=n),
                "bed_time": time(23, 0),
                "wake_time": time(7, (n * 7) % 50),
                "active_minutes": 20 + n % 15,
                "activity_kind": "walk",
                "drinks": Decimal(n % 3),
            },
        )
    do_set_goal(
        actor(world.therapist_a),
        world.patient_a,
        {"kind": "active_min_week", "target": 150, "starts_on": today - timedelta(days=days)},
    )


def test_a_patient_logs_a_day_on_a_phone(phone_page: Any, world: World, screenshot: Any) -> None:
    from playwright.sync_api import expect

    account = make_portal_account(world.patient_a, "ada@patient.test")
    _history(world, 3)
    page = phone_page
    page.goto("/portal/sign-in/")
    page.locator("form").first.get_by_label("Email").fill(account.user.email)
    page.get_by_label("Password").fill(PORTAL_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/portal/habits/")
    expect(page.get_by_test_id("patient-habit-form")).to_be_visible()
    expect(page.get_by_label("Went to bed")).to_have_value("23:00")  # yesterday's values
    screenshot(page, "aftercare/patient-log-phone")
    page.get_by_label("Standard drinks").fill("0")
    page.get_by_text("Yes", exact=True).click()
    page.get_by_test_id("save-day").click()
    expect(page.get_by_text("Saved. Thank you!")).to_be_visible()
    log = HabitLog.objects.get(day=timezone.localdate())
    assert log.drinks == 0 and log.therapy is True and log.active_minutes is not None
    page.get_by_role("link", name="My week").click()
    expect(page.get_by_test_id("patient-week").first).to_contain_text("Active minutes a week")
    screenshot(page, "aftercare/patient-week-phone")


def test_a_therapist_sees_habits_against_goals(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    _history(world)
    sign_in(page, world.therapist_a)
    page.goto(f"/patients/{world.patient_a.pk}/aftercare/habits/")
    expect(page.get_by_test_id("habit-weeks")).to_contain_text("Active minutes a week")
    expect(page.get_by_test_id("habit-charts").locator("svg")).to_have_count(4)
    screenshot(page, "aftercare/habits-tablet")
