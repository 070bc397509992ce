"""Real-browser fixtures: one Debian chromium per test session, a fresh tablet page per test.

The browser is the system's `/usr/bin/chromium` (never a Playwright download). Without it the
browser tests are skipped with a reason, except on CI (`CI=true`), where a missing browser is a
failure: a green CI run must mean the pages were really clicked through.

Pages talk to pytest-django's `live_server`; `world` is overridden here to sit on
`transactional_db`, so the personas are committed and the server thread can see them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from ketacare.accounts.models import User
from tests.conftest import PASSWORD, World

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking switches chromium keeps calling home, which floods a
# closed network and slows every test down.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000  # a wait limit, not a timing assertion: a loaded CI machine is slow
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
FAILURES = SCREENSHOTS / "failures"


def _browser_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run on CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _playwright() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_unavailable("the playwright package is not installed (pip install -e .[dev])")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _browser_unavailable(f"{CHROMIUM} is missing: apt-get install chromium to run these tests")
    # Playwright's sync API keeps an asyncio loop running in this thread, which makes Django
    # refuse ORM calls from the test body ("SynchronousOnlyOperation"). The calls are in fact
    # synchronous and sequential, so say so for as long as the browser is up.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            yield playwright
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(_playwright: Any) -> Iterator[Any]:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    browser = _playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture
def world(transactional_db: Any, world: World) -> World:
    """The shared personas, committed (not wrapped in a test transaction) for the live server."""
    return world


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


def _open_page(
    request: pytest.FixtureRequest, browser: Any, live_server: Any, viewport: dict[str, int]
) -> Iterator[Any]:
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        locale="en-US",
        timezone_id=django_settings.TIME_ZONE,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))
    page.on(
        "console",
        lambda msg: (
            script_errors.append(msg.text)
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    yield page
    if request.node.stash.get(_CALL_FAILED, False):
        FAILURES.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        page.screenshot(path=FAILURES / f"{name}.png", full_page=True)
    context.close()
    assert not script_errors, f"the page raised script or CSP errors: {script_errors}"


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Any, live_server: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) on a landscape tablet, pointed at the live server."""
    yield from _open_page(request, browser, live_server, TABLET)


@pytest.fixture
def phone_page(request: pytest.FixtureRequest, browser: Any, live_server: Any) -> Iterator[Any]:
    """The same on a phone-sized screen, for pages staff open away from the workstation."""
    yield from _open_page(request, browser, live_server, PHONE)


@pytest.fixture
def sign_in() -> Callable[..., None]:
    """sign_in(page, user) → fills the real sign-in form and waits until it is accepted."""

    def _sign_in(page: Any, user: User, password: str = PASSWORD) -> None:
        from playwright.sync_api import expect

        page.goto("/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    return _sign_in


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """screenshot(page, "name") → saves a full-page PNG under test-artifacts/screenshots/."""

    def _shoot(page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return _shoot
