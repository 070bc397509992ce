"""Another clinic's patient does not exist for you: not in search, not by address, and audited."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from ketacare.accounts.audit import AuditEntry
from tests.conftest import World

pytestmark = pytest.mark.browser


def test_nurse_opening_another_clinics_chart_gets_not_found_and_it_is_logged(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    grace = world.patient_b
    sign_in(page, world.nurse_a)

    response = page.goto(f"/patients/{grace.pk}/")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_text("There is no such record in your clinic")).to_be_visible()
    expect(page.get_by_text("Hopper")).to_have_count(0)
    expect(page.get_by_text(grace.mrn)).to_have_count(0)
    expect(page.get_by_test_id("active-clinic")).to_have_text("Alpha Clinic")
    screenshot(page, "refused-not-found")
    assert AuditEntry.objects.filter(
        action="patients.access.refused",
        actor_id=world.nurse_a.pk,
        object_id=str(grace.pk),
        outcome="denied",
    ).exists()

    page.get_by_role("link", name="Back to the patient list").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()


def test_searching_for_another_clinics_patient_finds_nothing(
    page: Any, world: World, sign_in: Any
) -> None:
    sign_in(page, world.nurse_a)
    page.get_by_label("Name or MRN").fill("Hopper")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No patients found.")).to_be_visible()
    expect(page.get_by_test_id("result-count")).to_contain_text("0 patients")
