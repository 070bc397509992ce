"""A rejected registration says which field is wrong and keeps everything that was typed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from ketacare.patients.models import Patient
from tests.conftest import World

pytestmark = pytest.mark.browser


def test_future_birth_date_is_named_and_what_was_typed_is_kept(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    sign_in(page, world.nurse_a)
    page.get_by_role("link", name="Register patient").click()
    expect(page.get_by_role("heading", name="Register a patient")).to_be_visible()
    page.get_by_label("Legal given name").fill("Katherine")
    page.get_by_label("Legal family name").fill("Johnson")
    birth_date = page.locator("#id_birth_date")
    birth_date.fill("2099-08-26")
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_label("Phone", exact=True).fill("555-010-0199")
    page.get_by_label("City").fill("White Sulphur Springs")
    page.get_by_role("button", name="Register").click()

    expect(page.locator(".error-box")).to_contain_text("Please correct:")
    wrong = page.locator(".field.has-error")
    expect(wrong).to_have_count(1)
    expect(wrong.locator("label")).to_have_text(re.compile(r"birth", re.IGNORECASE))
    expect(wrong.locator("[data-field=birth_date]")).to_have_text(
        "Date of birth cannot be in the future."
    )
    expect(page.get_by_label("Legal given name")).to_have_value("Katherine")
    expect(page.get_by_label("Legal family name")).to_have_value("Johnson")
    expect(birth_date).to_have_value("2099-08-26")
    expect(page.get_by_label("Sex at birth")).to_have_value("female")
    expect(page.get_by_label("Phone", exact=True)).to_have_value("555-010-0199")
    expect(page.get_by_label("City")).to_have_value("White Sulphur Springs")
    screenshot(page, "register-form-error")
    assert not Patient.objects.filter(legal_family_name="Johnson").exists()

    birth_date.fill("1918-08-26")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_test_id("patient-name")).to_have_text("Johnson, Katherine")
    expect(page.get_by_role("status")).to_contain_text("Registered Johnson, Katherine as ALP")


def test_screen_reader_hears_the_birth_date_error_with_the_field(
    page: Any, world: World, sign_in: Any
) -> None:
    sign_in(page, world.nurse_a)
    page.goto("/patients/new/")
    page.get_by_label("Legal given name").fill("Katherine")
    page.get_by_label("Legal family name").fill("Johnson")
    page.locator("#id_birth_date").fill("2099-08-26")
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_label("Phone", exact=True).fill("555-010-0199")
    page.get_by_role("button", name="Register").click()
    expect(page.locator("[data-field=birth_date]")).to_be_visible()

    expect(page.locator("#id_birth_date")).to_have_accessible_description(
        "Date of birth cannot be in the future.", timeout=500
    )
