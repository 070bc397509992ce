"""Giving a scale in a real browser: keyboard only, live score, item-9 warning, skip logic."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.measures.models import Assessment
from tests.conftest import World

pytestmark = pytest.mark.browser


def test_a_phq9_is_answered_and_saved_with_the_keyboard_alone(
    page: Any,
    world: World,
    sign_in: Any,
    screenshot: Any,
) -> None:
    from playwright.sync_api import expect

    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/assessments/new/phq9/")
    expect(page.locator("#phq9-1-0")).to_be_focused()
    for key in "11111111":
        page.keyboard.press(key)
    expect(page.locator("#phq9-9-0")).to_be_focused()  # each digit moved to the next item
    expect(page.locator("#score-progress")).to_contain_text("unanswered: Item 9")
    page.keyboard.press("2")
    expect(page.locator("#score-total")).to_have_text("10")
    expect(page.locator("#score-band")).to_have_text("moderate")
    warning = page.get_by_test_id("risk-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("Saving will raise a high risk flag.")
    expect(page.locator("#phq9-9-2")).to_be_checked()
    screenshot(page, "measures/administer-phq9-item9-live")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Saved PHQ-9: 10 (moderate).")).to_be_visible()
    a = Assessment.objects.get()
    assert (a.total, a.answers["phq9-9"], a.administered_by_id) == (10, 2, world.nurse_a.pk)


def test_cssrs_questions_appear_only_when_asked(
    page: Any,
    world: World,
    sign_in: Any,
) -> None:
    from playwright.sync_api import expect

    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/assessments/new/cssrs_recent/")
    q3 = page.locator("#item-cssrs_recent-3")
    expect(q3).to_be_hidden()
    page.keyboard.press("y")  # Q1 Yes
    page.keyboard.press("y")  # Q2 Yes: Q3-Q5 are now asked, and the focus moves to Q3
    expect(q3).to_be_visible()
    expect(page.locator("#cssrs_recent-3-0")).to_be_focused()
    for key in "nnn":  # Q3, Q4, Q5 No; then Q6 No
        page.keyboard.press(key)
    page.keyboard.press("n")
    expect(page.locator("#item-cssrs_recent-6b")).to_be_hidden()
    expect(page.locator("#score-total")).to_have_text("low")
    page.locator("#cssrs_recent-2-0").check()  # Q2 changed to No: Q3-Q5 are dropped
    expect(q3).to_be_hidden()
    page.get_by_role("button", name="Save C-SSRS Screener — recent").first.click()
    expect(page.get_by_text("Saved C-SSRS Screener — recent: risk low.")).to_be_visible()
    assert set(Assessment.objects.get().answers) == {
        "cssrs_recent-1",
        "cssrs_recent-2",
        "cssrs_recent-6",
    }


def test_an_unfinished_cssrs_at_a_risk_level_says_it_is_a_floor(
    page: Any,
    world: World,
    sign_in: Any,
) -> None:
    """Q2 and Q3 Yes make the screen at least moderate whatever Q4-Q6 will say (instruments.md
    §5): the live panel says so instead of "Not scored yet" beside "moderate"."""
    from playwright.sync_api import expect

    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/assessments/new/cssrs_recent/")
    for key in "yyy":  # Q1, Q2, Q3 Yes
        page.keyboard.press(key)
    expect(page.locator("#score-total")).to_have_text("moderate")
    progress = page.locator("#score-progress")
    expect(progress).to_contain_text("Risk at least moderate so far")
    expect(progress).not_to_contain_text("Not scored yet")
