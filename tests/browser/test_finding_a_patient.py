"""A nurse finds a patient by name, opens the chart, and the name never enters the URL."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import World, make_patient

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic_a_patients(world: World) -> World:
    make_patient(world.clinic_a, "Alan", "Turing", sex_at_birth="male")
    make_patient(world.clinic_a, "Marie", "Curie")
    make_patient(world.clinic_a, "José", "Lovell", sex_at_birth="male")
    return world


def test_nurse_finds_a_patient_by_name_and_opens_the_chart(
    page: Any, clinic_a_patients: World, sign_in: Any, screenshot: Any
) -> None:
    ada = clinic_a_patients.patient_a
    sign_in(page, clinic_a_patients.nurse_a)
    expect(page.get_by_test_id("result-count")).to_have_text("4 patients.")

    page.get_by_label("Name or MRN").fill("lovelace")
    page.get_by_role("button", name="Search").click()

    expect(page.get_by_test_id("result-count")).to_contain_text("1 patient matches your search")
    rows = page.locator("table.patients tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(ada.mrn)
    expect(rows.first).to_contain_text("1985-04-12")
    expect(page.get_by_label("Name or MRN")).to_have_value("lovelace")
    # Searches are posted, never put in the address: names must not reach history or logs.
    expect(page).to_have_url(re.compile(r"/patients/$"))
    screenshot(page, "patient-list-search-results")

    page.get_by_role("link", name="Lovelace, Ada").click()
    expect(page).to_have_url(re.compile(rf"/patients/{ada.pk}/$"))
    expect(page.get_by_test_id("patient-name")).to_have_text("Lovelace, Ada")
    expect(page.get_by_text(ada.mrn)).to_be_visible()
    expect(page.get_by_role("heading", name="Weight, height & BMI")).to_be_visible()
    expect(page.get_by_text("70.0 kg")).to_be_visible()
    screenshot(page, "chart")


def test_search_by_accent_free_name_finds_the_accented_patient(
    page: Any, clinic_a_patients: World, sign_in: Any
) -> None:
    sign_in(page, clinic_a_patients.nurse_a)
    page.get_by_label("Name or MRN").fill("jose")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.patients tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name="Lovell, José")).to_be_visible()


def test_patient_list_fits_a_phone_without_sideways_scrolling(
    phone_page: Any, clinic_a_patients: World, sign_in: Any, screenshot: Any
) -> None:
    sign_in(phone_page, clinic_a_patients.nurse_a)
    expect(phone_page.get_by_role("link", name="Lovelace, Ada")).to_be_visible()
    screenshot(phone_page, "phone-patient-list")
    overflow = phone_page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than a phone screen"
