"""Small things a nurse or a patient sees, in a real browser: a refused dose is brought into view
on the long session page; the sedation scores' labels stay on one line on a tablet; the
portal's unusable-link page shows the crisis lines on a phone."""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from ketacare.measures.models import Assessment, AssessmentStatus
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import World
from tests.treatments.session_helpers import checks_ok, dosed, ready_session

pytestmark = pytest.mark.browser

QUICK_LABELS = ("SBP", "DBP", "HR", "SpO₂ %", "RR", "Temp °C", "MOAA/S (0–5)", "CADSS-6 (0–24)")


@pytest.fixture(autouse=True)
def _warm_server(live_server: Any) -> None:
    """The first request imports the whole URL map: pay for it before the browser starts."""
    url = f"{live_server.url}/accounts/login/"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310  (http, local)
        assert response.status == 200


def test_a_dose_refused_for_a_reason_not_tied_to_a_field_is_focused_in_view(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    session = checks_ok(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/sessions/{session.pk}/")
    dose = page.get_by_test_id("calculated-dose").inner_text().replace("mg", "").strip()
    page.get_by_label("Lot number").fill("LOT-TAB-7")
    page.get_by_label("Expiry").fill("2099-06-30")
    page.get_by_label("Dose given (mg)").fill(dose)
    # Meanwhile the day's PHQ-9 is marked entered in error: the dose gate refuses.
    Assessment.objects.filter(patient=world.patient_a, scale_code="phq9").update(
        status=AssessmentStatus.ENTERED_IN_ERROR
    )
    page.get_by_role("button", name="Start dose").click()
    refused = page.locator("#dose .error-box[role=alert]")
    expect(refused).to_contain_text("No PHQ-9 recorded today")
    expect(refused).to_be_focused()
    expect(refused).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0  # the dose form is well below the top
    screenshot(page, "chair-dose-refused")
    page.screenshot(path=SCREENSHOTS / "chair-dose-refused-in-view.png")  # what the nurse sees


def _quick_entry(page: Any) -> list[dict[str, Any]]:
    form = page.get_by_test_id("vitals-form")
    boxes = []
    for label in QUICK_LABELS:
        field = form.locator(".ts-vitals > .field").filter(has=page.get_by_text(label, exact=True))
        boxes.append(
            {
                "label": field.locator("label").bounding_box(),
                "input": field.locator("input").bounding_box(),
            }
        )
    return boxes


def test_the_sedation_score_labels_stay_on_one_line_on_a_tablet(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/sessions/{session.pk}/#vitals")
    for width, height in ((1024, 768), (900, 1200), (768, 1024)):
        page.set_viewport_size({"width": width, "height": height})
        boxes = _quick_entry(page)
        one_line = boxes[0]["label"]["height"]  # "SBP"
        for label, box in zip(QUICK_LABELS, boxes, strict=True):
            assert box["label"]["height"] == pytest.approx(one_line, abs=1), (width, label)
            assert box["label"]["width"] <= box["input"]["width"] + 1, (width, label)
        moaas, cadss = boxes[-2], boxes[-1]
        if width == 1024:  # all eight in one row
            assert {round(b["input"]["y"]) for b in boxes} == {round(moaas["input"]["y"])}
        else:  # the row that holds MOAA/S: its boxes line up
            row = [b for b in boxes if abs(b["label"]["y"] - moaas["label"]["y"]) < 1]
            assert {round(b["input"]["y"]) for b in row} == {round(moaas["input"]["y"])}
            assert cadss["input"]["y"] >= moaas["input"]["y"]
        screenshot(page, f"chair-quick-entry-{width}")


def test_an_unusable_portal_link_shows_the_crisis_lines_on_a_phone(
    phone_page: Any, world: World, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    phone_page.goto("/portal/sign-in/link/no-such-token-0000/")
    expect(phone_page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    panel = phone_page.get_by_test_id("crisis-panel")
    expect(panel.get_by_role("link", name="Call 988", exact=True)).to_be_visible()
    expect(panel.get_by_role("link", name="Text 741741", exact=True)).to_be_visible()
    screenshot(phone_page, "portal-link-unusable-phone")
