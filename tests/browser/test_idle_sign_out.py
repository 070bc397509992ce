"""A workstation left alone signs itself out, hides the patient data, and says why.

The page's own timer (app.js) reloads once the clinic's idle time has passed; the server,
seeing no request for that long, ends the session. Playwright's clock moves the page's time
forward and the session's last-seen time is moved back by the same amount, so nothing waits.
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings as django_settings
from playwright.sync_api import expect

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.middleware import SESSION_LAST_SEEN_KEY
from tests.conftest import World

pytestmark = pytest.mark.browser


def _age_session(page: Any, seconds: int) -> None:
    """Pretend the server last heard from this browser `seconds` earlier than it did."""
    (session_key,) = [
        c["value"]
        for c in page.context.cookies()
        if c["name"] == django_settings.SESSION_COOKIE_NAME
    ]
    store = import_module(django_settings.SESSION_ENGINE).SessionStore(session_key)
    store[SESSION_LAST_SEEN_KEY] = float(store[SESSION_LAST_SEEN_KEY]) - seconds
    store.save()


def test_idle_nurse_is_signed_out_with_a_message_and_the_chart_is_hidden(
    page: Any, world: World, sign_in: Any, settings: Any, screenshot: Any
) -> None:
    settings.IDLE_TIMEOUT_MINUTES = 2
    page.clock.install()
    sign_in(page, world.nurse_a)
    page.get_by_role("link", name="Lovelace, Ada").click()
    expect(page.get_by_test_id("patient-name")).to_have_text("Lovelace, Ada")
    expect(page.locator("body")).to_have_attribute("data-idle-seconds", "120")

    _age_session(page, 3 * 60)
    page.clock.fast_forward("03:00")

    expect(page).to_have_url(re.compile(r"/accounts/login/\?timeout=1&next=/patients/"))
    expect(page.get_by_role("status")).to_have_text(
        "You were signed out after a period of inactivity. Please sign in again."
    )
    expect(page.get_by_text("Lovelace")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    screenshot(page, "idle-signed-out")
    assert AuditEntry.objects.filter(
        action="accounts.session.timed_out", actor_id=world.nurse_a.pk
    ).exists()


def test_typing_in_a_long_form_keeps_the_session_alive_and_nothing_is_lost(
    page: Any, world: World, sign_in: Any, settings: Any
) -> None:
    settings.IDLE_TIMEOUT_MINUTES = 2
    page.clock.install()
    sign_in(page, world.nurse_a)
    page.get_by_role("link", name="Register patient").click()
    page.get_by_label("Legal given name").fill("Katherine")

    # 90 s of thinking: not yet idle. Typing again tells the server the nurse is still here.
    _age_session(page, 90)
    page.clock.fast_forward("01:30")
    with page.expect_response("**/accounts/keepalive/") as keepalive:
        page.get_by_label("Legal family name").fill("Johnson")
    assert keepalive.value.ok  # the body is never read by the page, so neither do we

    # Another 90 s: three minutes since the page loaded, but only 90 s since the last key.
    _age_session(page, 90)
    page.clock.fast_forward("01:30")
    page.locator("#id_birth_date").fill("1918-08-26")
    page.get_by_label("Sex at birth").select_option("female")
    page.get_by_label("Phone", exact=True).fill("555-010-0199")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_test_id("patient-name")).to_have_text("Johnson, Katherine")
