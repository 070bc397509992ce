"""The chair board, the session's vitals chart and the clinic limits page on a tablet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession, VitalReading
from tests.conftest import World
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

pytestmark = pytest.mark.browser


def _session_with_history(world: World) -> TreatmentSession:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    values = [(128, 80, 76, 98), (150, 92, 84, 97), (172, 104, 96, 95), (186, 108, 101, 94)]
    for sbp, dbp, hr, spo2 in values:
        actions.do_record_vitals(
            actor(world.nurse_a),
            session,
            {"systolic_mmhg": sbp, "diastolic_mmhg": dbp, "heart_rate_bpm": hr, "spo2_pct": spo2},
        )
    # Spread the readings over the first hour (the chart draws minutes from the first dose).
    start = timezone.now() - timedelta(minutes=70)
    TreatmentSession.objects.filter(pk=session.pk).update(
        dosing_started_at=start, observation_started_at=start + timedelta(minutes=40)
    )
    readings = VitalReading.objects.filter(session=session).order_by("pk")
    for n, r in enumerate(readings):
        VitalReading.objects.filter(pk=r.pk).update(taken_at=start + timedelta(minutes=15 * n))
    return session


def test_board_and_session_chart(page: Any, world: World, sign_in: Any, screenshot: Any) -> None:
    from playwright.sync_api import expect

    session = _session_with_history(world)
    page.set_default_timeout(30_000)  # a loaded shared machine: room, not a timing check
    sign_in(page, world.nurse_a)
    page.goto("/chairs/")
    tile = page.get_by_test_id(f"tile-{session.pk}")
    expect(tile).to_contain_text("BP 186")
    expect(tile).to_contain_text("↑")
    expect(page.get_by_test_id("board-alert").first).to_be_visible()
    screenshot(page, "chair-board")
    page.goto(f"/patients/{world.patient_a.pk}/sessions/{session.pk}/#vitals")
    expect(page.get_by_test_id("vitals-chart")).to_be_visible()
    expect(page.get_by_test_id("timepoint-peak")).to_be_visible()
    page.get_by_test_id("vitals-chart").scroll_into_view_if_needed()
    screenshot(page, "session-vitals-chart")


def test_limits_page_refuses_a_bad_value_naming_the_field(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    page.set_default_timeout(30_000)
    sign_in(page, world.director_a)
    page.goto("/chairs/limits/")
    expect(page.get_by_test_id("limit-spo2_min")).to_contain_text("practice variation")
    page.locator("#id_heart_rate_min").fill("5")
    page.locator("#id_spo2_min").fill("94")
    page.get_by_role("button", name="Save limits").click()
    expect(page.locator('[data-field="heart_rate_min"]')).to_contain_text("25–80")
    expect(page.locator("#id_spo2_min")).to_have_value("94")
    screenshot(page, "limits-error")
    page.locator("#id_heart_rate_min").fill("45")
    page.get_by_role("button", name="Save limits").click()
    expect(page.get_by_test_id("limits-saved")).to_contain_text("Dora Director")
