"""A patient on a 375-px phone, in a real browser (JavaScript on): a "Yes" to active thoughts on
a C-SSRS link shows the crisis lines at once; a double tap on "Send my answers" ends on the
thank-you page; an expired link still has "I need help now", and a press reaches the team."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures.models import Assessment
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.safety.models import RiskFlag
from tests.browser.conftest import TIMEOUT_MS

pytestmark = pytest.mark.browser

STAFF = Actor(label="nurse@a.test")
SMALL_PHONE = {"width": 375, "height": 812}


@pytest.fixture
def phone(browser: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport=SMALL_PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_a_yes_to_active_thoughts_shows_the_lines_at_once(phone: Any, world: Any) -> None:
    from playwright.sync_api import expect

    issued = do_issue_link(
        STAFF, world.patient_a, ["cssrs_recent"], context="follow_up", channel="sms"
    )
    phone.goto(f"/r/{issued.token}/")
    crisis = phone.get_by_test_id("crisis")
    expect(crisis).to_be_hidden()
    phone.locator('input[name="cssrs_recent-2"][value="1"]').check()
    expect(crisis).to_be_visible()
    expect(crisis.get_by_role("link", name="Call 988", exact=True)).to_be_visible()


def test_a_double_tap_on_send_ends_on_the_thank_you_page(phone: Any, world: Any) -> None:
    from playwright.sync_api import expect

    issued = do_issue_link(STAFF, world.patient_a, ["phq2"], context="follow_up", channel="sms")
    phone.goto(f"/r/{issued.token}/")
    phone.locator('input[name="phq2-1"][value="0"]').check()
    phone.locator('input[name="phq2-2"][value="0"]').check()
    phone.get_by_role("button", name="Send my answers").dblclick()
    expect(phone.get_by_test_id("thanks")).to_be_visible()
    assert Assessment.objects.count() == 1


def test_an_expired_link_still_has_the_help_button_and_it_reaches_the_team(
    phone: Any,
    world: Any,
) -> None:
    from playwright.sync_api import expect

    issued = do_issue_link(
        STAFF,
        world.patient_a,
        ["phq9"],
        context="follow_up",
        channel="sms",
        now=timezone.now() - timedelta(days=10),
    )
    phone.goto(f"/r/{issued.token}/")
    expect(phone.get_by_test_id("unavailable")).to_be_visible()
    button = phone.get_by_test_id("help-now-top")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb-sized target
    button.click()
    expect(phone.get_by_test_id("help-page")).to_be_visible()
    expect(phone.get_by_role("link", name="Call 911", exact=True)).to_be_visible()
    assert RiskFlag.objects.get().patient == world.patient_a
