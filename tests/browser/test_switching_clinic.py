"""Someone who works at two clinics chooses one after signing in and can switch later.

Everything on screen (patients, the search) belongs to the clinic shown in the header.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from ketacare.accounts.models import Role
from tests.conftest import World, make_staff

pytestmark = pytest.mark.browser


def test_two_clinic_prescriber_chooses_a_clinic_then_switches_to_the_other(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    locum = make_staff(world.clinic_a, Role.NURSE, "locum@both.test", "Lena Locum")
    make_staff(world.clinic_b, Role.PRESCRIBER, "locum@both.test")
    clinic = page.get_by_test_id("active-clinic")

    sign_in(page, locum)
    expect(page).to_have_url(re.compile(r"/accounts/clinic/\?next=/patients/$"))
    expect(page.get_by_role("heading", name="Choose a clinic")).to_be_visible()
    expect(clinic).to_have_count(0)
    screenshot(page, "clinic-chooser")

    page.get_by_role("button", name=re.compile(r"^Alpha Clinic")).click()
    expect(page).to_have_url(re.compile(r"/patients/$"))
    expect(clinic).to_contain_text("Alpha Clinic")
    expect(page.get_by_role("link", name="Lovelace, Ada")).to_be_visible()
    expect(page.get_by_text("Hopper")).to_have_count(0)
    page.get_by_label("Name or MRN").fill("Lovelace")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_test_id("result-count")).to_contain_text("patient matches your search")

    clinic.click()
    page.get_by_role("button", name=re.compile(r"^Beta Clinic")).click()
    expect(clinic).to_contain_text("Beta Clinic")
    expect(page.get_by_role("link", name="Hopper, Grace")).to_be_visible()
    expect(page.get_by_text("Lovelace")).to_have_count(0)
    # The Alpha search was for Alpha's patients: it is not carried over to Beta.
    expect(page.get_by_label("Name or MRN")).to_have_value("")
    expect(page.get_by_test_id("result-count")).to_have_text("1 patient.")
