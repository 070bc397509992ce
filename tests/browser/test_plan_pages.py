"""A prescriber writes and signs a treatment plan in a real browser, and reads the protocol."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketacare.patients.models import BodyMeasurement
from ketacare.plans.models import TreatmentPlan
from tests.conftest import World
from tests.plans.plan_helpers import eligible

pytestmark = pytest.mark.browser


def test_a_prescriber_writes_personalises_and_signs_a_plan(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    eligible(world.prescriber_a, world.patient_a)
    BodyMeasurement.objects.create(patient=world.patient_a, weight_kg=Decimal("80.0"))
    sign_in(page, world.prescriber_a)
    page.goto(f"/patients/{world.patient_a.pk}/")
    page.get_by_test_id("start-plan").click()
    page.get_by_label("IV racemic ketamine for depression (off-label)").check()
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("Draft")
    page.get_by_label("Dose (mg/kg)").select_option("0.5")
    page.get_by_label("Concentration (mg/mL)").fill("10")
    page.get_by_label("Frequency in induction").select_option("2/7")
    page.get_by_label("MADRS below").fill("10")
    page.get_by_label("Goals").fill("Return to work; sleep through the night")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_test_id("formula")).to_contain_text(
        "0.5 mg/kg × 80.0 kg (actual body weight) = 40.0 mg"
    )
    expect(page.get_by_test_id("formula")).to_contain_text("4.00 mL over 40 min = 6.0 mL/h")
    page.get_by_role("button", name="Sign plan").click()
    expect(page.get_by_test_id("plan-status")).to_have_text("Active")
    screenshot(page, "plans/plan-active")
    assert TreatmentPlan.objects.get().revision == 1
    page.goto("/protocols/esketamine_trd_us/")
    expect(page.get_by_test_id("required-checks")).to_contain_text("No food for at least 2 hours")
    screenshot(page, "plans/protocol-esketamine")
