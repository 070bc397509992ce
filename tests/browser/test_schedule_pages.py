"""The day view by chair and the series page in a real browser (with screenshots)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.scheduling.models import Appointment, Resource
from tests.conftest import World, make_patient
from tests.scheduling.sched_helpers import iv_plan, set_up_clinic, works

pytestmark = pytest.mark.browser


def _next_monday(world: World) -> Any:
    today = clinic_today(world.clinic_a)
    return today + timedelta(days=7 - today.weekday())


def test_the_day_view_shows_each_chair_and_checks_in(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    chairs = list(set_up_clinic(world.clinic_a).values())
    chairs += [
        Resource.objects.create(clinic=world.clinic_a, name=f"Chair {n}", sort_order=n)
        for n in (5, 6)
    ]
    works(world.clinic_a, world.prescriber_a)
    day = clinic_today(world.clinic_a)
    zone = clinic_zone(world.clinic_a)
    names = [("Mary", "Shelley"), ("Emily", "Bronte"), ("Jane", "Austen"), ("Ada", "Byron")]
    patients = [world.patient_a] + [make_patient(world.clinic_a, g, f) for g, f in names]
    layout = [
        (0, 8, 175, "treatment"),
        (1, 9, 135, "treatment"),
        (3, 10, 60, "integration"),
        (4, 13, 90, "evaluation"),
        (0, 12, 175, "treatment"),
        (5, 14, 45, "follow_up"),
    ]
    for i, (chair, hour, minutes, kind) in enumerate(layout):
        starts = datetime.combine(day, time(hour), tzinfo=zone)
        Appointment.objects.create(
            clinic=world.clinic_a,
            patient=patients[i % len(patients)],
            type=kind,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=minutes),
            resource=chairs[chair],
        )
    sign_in(page, world.nurse_a)
    page.goto("/schedule/")
    grid = page.get_by_test_id("day-grid")
    expect(grid).to_contain_text("Chair 1")
    expect(grid).to_contain_text("Room A")
    expect(page.get_by_test_id("appointment-block")).to_have_count(6)
    screenshot(page, "scheduling/day-view")
    page.get_by_role("button", name="Check in Lovelace, Ada").first.click()
    expect(page.get_by_role("status")).to_contain_text("Checked in")
    page.get_by_role("link", name="Week").click()
    expect(page.get_by_test_id("week-grid")).to_contain_text("Lovelace, Ada")
    screenshot(page, "scheduling/week-view")


def test_a_series_is_proposed_checked_and_booked(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    set_up_clinic(world.clinic_a)
    plan = iv_plan(world.prescriber_a, world.patient_a)
    monday = _next_monday(world)
    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/")
    page.get_by_role("link", name="Book series (iv_ketamine_depression)").click()
    page.get_by_label("First session on or after").fill(monday.isoformat())
    page.get_by_role("button", name="Propose sessions").click()
    expect(page.get_by_test_id("series-row")).to_have_count(6)
    expect(page.get_by_test_id("no-conflicts")).to_be_visible()
    # Session 2 moved onto the day after session 1: the 48 h rule is shown on that row.
    page.get_by_label("Session 2 date").fill((monday + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Check again").click()
    expect(page.get_by_test_id("conflict-summary")).to_be_visible()
    expect(page.get_by_test_id("series-rows")).to_contain_text("at least 48 h")
    screenshot(page, "scheduling/series-conflict")
    page.get_by_label("Session 2 date").fill((monday + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Check again").click()
    expect(page.get_by_test_id("no-conflicts")).to_be_visible()
    screenshot(page, "scheduling/series-proposed")
    page.get_by_role("button", name="Book all 6 sessions").click()
    expect(page.get_by_test_id("upcoming")).to_be_visible()
    assert Appointment.objects.filter(plan=plan).count() == 6
    screenshot(page, "scheduling/chart-upcoming")
