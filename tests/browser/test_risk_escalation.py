"""Issue #7 end to end in real browsers: a patient answers PHQ-9 item 9 = 2 on a self-report
link and sees crisis resources at once; a nurse's open page shows the banner within one
polling interval, without a reload; the prescriber acknowledges and completes the C-SSRS."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import Actor
from ketacare.measures.models import Assessment
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.safety.escalation_models import EscalationEvent
from ketacare.safety.models import RiskFlag
from tests.browser.conftest import PHONE, TABLET, TIMEOUT_MS
from tests.conftest import World
from tests.safety.helpers import make_prescriber_of, on_call_all_week

pytestmark = pytest.mark.browser

POLL_SECONDS = 2


def test_item9_answer_reaches_the_nurse_banner_and_the_prescriber_acts(
    page: Any,
    browser: Any,
    live_server: Any,
    world: World,
    sign_in: Any,
    screenshot: Any,
    settings: Any,
) -> None:
    from playwright.sync_api import expect

    settings.KETACARE_FLAG_POLL_SECONDS = POLL_SECONDS
    world.clinic_a.phone = "555-010-0999"
    world.clinic_a.save()
    make_prescriber_of(world.patient_a, world.prescriber_a)
    on_call_all_week(world.clinic_a, world.nurse_a)
    issued = do_issue_link(
        Actor(label="nurse@a.test"), world.patient_a, ["phq9"], context="follow_up", channel="sms"
    )

    # The nurse is working on another page; nothing is flagged yet.
    sign_in(page, world.nurse_a)
    page.goto("/patients/")
    expect(page.get_by_test_id("risk-banner")).to_have_count(0)

    # The patient, on a phone, answers item 9 with "More than half the days".
    patient_ctx = browser.new_context(base_url=live_server.url, viewport=PHONE)
    patient_ctx.set_default_timeout(TIMEOUT_MS)
    patient = patient_ctx.new_page()
    patient.goto(f"/r/{issued.token}/")
    crisis = patient.get_by_test_id("crisis")
    expect(crisis).to_be_hidden()
    for item in range(1, 9):
        patient.locator(f'input[name="phq9-{item}"][value="1"]').check()
    patient.locator('input[name="phq9-9"][value="2"]').check()
    expect(crisis).to_be_visible()  # at once, before the form is sent
    expect(crisis.locator('a[href="tel:988"]')).to_be_visible()
    expect(crisis.locator('a[href="sms:988"]')).to_be_visible()
    expect(crisis.locator('a[href="tel:911"]')).to_be_visible()
    expect(crisis.locator('a[href="tel:5550100999"]')).to_be_visible()
    screenshot(patient, "safety/patient-item9-crisis-resources")
    patient.get_by_role("button", name="Send my answers").click()
    expect(patient.get_by_test_id("crisis")).to_be_visible()  # still there after sending
    flag = RiskFlag.objects.get()
    assert (flag.level, flag.source, flag.requires_cssrs) == ("high", "phq9_item9", True)
    patient_ctx.close()

    # The nurse's page shows the banner within one polling interval, without a reload.
    banner = page.get_by_test_id("risk-banner")
    expect(banner).to_be_visible(timeout=POLL_SECONDS * 1000 + TIMEOUT_MS)
    expect(banner).to_contain_text("Lovelace, Ada")
    expect(banner).to_contain_text("High")
    assert page.url.endswith("/patients/")
    screenshot(page, "safety/nurse-banner-after-poll")
    # Park the nurse's page while the prescriber works: the test server's in-memory SQLite
    # cannot take a poll and a write at the same moment (PostgreSQL can).
    page.goto("about:blank")

    # The prescriber opens the flag from the banner, acknowledges, then does the C-SSRS.
    doctor_ctx = browser.new_context(base_url=live_server.url, viewport=TABLET)
    doctor_ctx.set_default_timeout(TIMEOUT_MS)
    doctor = doctor_ctx.new_page()
    sign_in(doctor, world.prescriber_a)
    doctor.get_by_test_id("risk-banner").get_by_role("link", name="Acknowledge").click()
    expect(doctor.get_by_test_id("escalation-events")).to_contain_text("Paula Prescriber")
    doctor.get_by_test_id("acknowledge").click()  # nothing chosen: refused, naming the fields
    expect(doctor.locator('[data-field="action"]')).to_be_visible()
    expect(doctor.locator('[data-field="note"]')).to_be_visible()
    doctor.get_by_label("Called the patient").check()
    doctor.get_by_label("What you did").fill("Called her at once; safe at home with her sister.")
    screenshot(doctor, "safety/prescriber-flag-page")
    doctor.get_by_test_id("acknowledge").click()
    expect(doctor.get_by_test_id("flag-status")).to_have_text("Acknowledged")
    expect(doctor.get_by_test_id("risk-banner")).to_have_count(0)
    doctor.get_by_test_id("start-cssrs").click()
    expect(doctor).to_have_url(
        f"{live_server.url}/patients/{world.patient_a.pk}/assessments/new/cssrs_recent/"
    )
    doctor.locator("#cssrs_recent-1-1").check()  # Q1 Yes
    doctor.locator("#cssrs_recent-2-0").check()  # Q2 No
    doctor.locator("#cssrs_recent-6-0").check()  # Q6 No
    expect(doctor.locator("#score-total")).to_have_text("low")
    doctor.get_by_role("button", name="Save C-SSRS Screener — recent").first.click()
    expect(doctor.get_by_text("Saved C-SSRS Screener — recent: risk low.")).to_be_visible()
    doctor_ctx.close()

    # The nurse's pages no longer show the banner; the chart's timeline holds every step.
    page.goto(f"/patients/{world.patient_a.pk}/#risk-timeline")
    expect(page.get_by_test_id("risk-banner")).to_have_count(0)
    timeline = page.get_by_test_id("risk-timeline")
    expect(timeline).to_contain_text("C-SSRS screen: low")
    expect(timeline).to_contain_text("Acknowledged by Paula Prescriber")
    expect(timeline).to_contain_text("High risk flag raised")
    page.get_by_test_id("risk-timeline").scroll_into_view_if_needed()
    screenshot(page, "safety/chart-risk-timeline")
    assert Assessment.objects.filter(scale_code="cssrs_recent", risk_level="low").exists()
    assert EscalationEvent.objects.filter(flag=flag, kind="acknowledged").exists()
