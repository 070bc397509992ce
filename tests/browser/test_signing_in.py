"""Signing in through the real form: a nurse in one clinic lands straight in that clinic."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.browser


def test_nurse_signs_in_and_sees_her_clinic(page: Any, world: World, screenshot: Any) -> None:
    page.goto("/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/patients/$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "login")

    page.get_by_label("Email").fill(world.nurse_a.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(page.get_by_test_id("active-clinic")).to_have_text("Alpha Clinic")
    expect(page.get_by_text("Nina Nurse")).to_be_visible()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()
    expect(page.get_by_role("link", name="Lovelace, Ada")).to_be_visible()


def test_wrong_password_is_refused_and_the_email_is_kept(page: Any, world: World) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(world.nurse_a.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_contain_text("Email or password is not right")
    expect(page.get_by_label("Email")).to_have_value(world.nurse_a.email)
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
