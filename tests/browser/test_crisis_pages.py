"""The crisis record and the safety plan in a real browser: a nurse records the first step
from the chart, a safety plan is written and the patient opens it on a phone."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from ketacare.safety.crisis_models import CrisisStep
from ketacare.safety.plan_actions import do_issue_plan_link, do_save_plan
from tests.conftest import World
from tests.safety.crisis_helpers import actor, high_flag
from tests.safety.test_safety_plan import PLAN

pytestmark = pytest.mark.browser
SLOW = 60_000  # a loaded shared machine: nothing here is timed


def test_nurse_opens_the_crisis_record_from_the_chart(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    high_flag(world.patient_a, world.nurse_a)
    page.set_default_timeout(60_000)  # a loaded shared machine; nothing here is timed
    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/")
    page.get_by_test_id("crisis-link").click()
    expect(page.get_by_test_id("block-active")).to_be_visible(timeout=SLOW)
    page.get_by_role("link", name="Crisis record of").first.click()
    expect(page.get_by_test_id("crisis-status")).to_have_text("Open", timeout=SLOW)
    page.locator("#id_stay-who").fill("Sam at the chair")
    page.locator("#stay").get_by_role("button", name="Record").click()
    expect(page.locator("#stay")).to_contain_text("Sam at the chair", timeout=SLOW)
    screenshot(page, "safety/crisis-record")
    assert CrisisStep.objects.get().author == world.nurse_a


def test_patient_opens_the_safety_plan_on_a_phone(
    phone_page: Any, page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    issued = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    phone_page.set_default_timeout(60_000)
    page.set_default_timeout(60_000)
    phone_page.goto(urlparse(issued.url).path)
    expect(phone_page.get_by_test_id("safety-plan")).to_contain_text("Walk the dog", timeout=SLOW)
    expect(phone_page.get_by_test_id("crisis-resources")).to_contain_text("988", timeout=SLOW)
    screenshot(phone_page, "safety/public-plan-phone")
    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/crisis/plan/print/")
    page.emulate_media(media="print")
    screenshot(page, "safety/plan-print")
