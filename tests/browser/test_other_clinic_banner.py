"""Someone signed in to one clinic learns, without reloading, that their other clinic has a
new risk flag, and gets there in two clicks (the banner names counts only, no patient)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from ketacare.accounts.models import Role
from tests.conftest import World, make_staff
from tests.safety.helpers import raise_flag

pytestmark = pytest.mark.browser


def test_a_flag_in_my_other_clinic_shows_here_and_one_click_switches(
    page: Any, world: World, sign_in: Any, screenshot: Any, settings: Any
) -> None:
    settings.KETACARE_FLAG_POLL_SECONDS = 2
    locum = make_staff(world.clinic_a, Role.NURSE, "locum@both.test", "Lena Locum")
    make_staff(world.clinic_b, Role.PRESCRIBER, "locum@both.test")
    sign_in(page, locum)
    page.get_by_role("button", name=re.compile(r"^Beta Clinic")).click()
    expect(page.get_by_test_id("active-clinic")).to_contain_text("Beta Clinic")
    elsewhere = page.get_by_test_id("risk-elsewhere")
    expect(elsewhere).to_have_count(0)

    raise_flag(world.patient_a, level="high")  # at Alpha, while the page stays open

    expect(elsewhere).to_contain_text("Alpha Clinic — 1 open risk flag (1 high)")
    expect(elsewhere).not_to_contain_text("Lovelace")
    expect(page.get_by_test_id("risk-banner")).to_have_count(0)  # Beta itself has none
    screenshot(page, "other-clinic-flag")

    elsewhere.get_by_role("link", name="Switch clinic").click()
    expect(page.get_by_test_id("clinic-waiting")).to_contain_text("1 open risk flag")
    page.get_by_role("button", name=re.compile(r"^Alpha Clinic")).click()
    expect(page.get_by_test_id("risk-banner")).to_contain_text("Lovelace, Ada")
