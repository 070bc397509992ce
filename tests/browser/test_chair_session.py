"""A nurse runs sessions at the chair on a tablet, in a real browser (issue #6 quality bar).

Time at the chair is simulated by moving the session's recorded times back ("12 minutes have
passed"), not by moving the clock: the browser session, its idle timer and the server keep real
time, and every gate (5 minutes between devices, 2 hours of observation) is checked by the real
actions against those recorded times.
"""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F

from ketacare.treatments.models import (
    DeviceAdministration,
    DoseRecord,
    SessionAlert,
    SessionStatus,
    TreatmentSession,
    VitalReading,
)
from tests.conftest import World
from tests.scheduling.sched_helpers import esketamine_plan, iv_plan
from tests.treatments.session_helpers import (
    actor,
    appointment,
    consent,
    dosed,
    infused,
    phq9_today,
    ready_session,
)

pytestmark = pytest.mark.browser

POLL_MS = 15_000  # the board polls every 10 s


@pytest.fixture(autouse=True)
def _warm_server(live_server: Any) -> None:
    """The first request imports the whole URL map (FHIR models included), which can take
    longer than a page timeout on a busy machine: pay for it before the browser starts."""
    url = f"{live_server.url}/accounts/login/"
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310  (http, local)
        assert response.status == 200


def _time_passes(session_id: int, minutes: int) -> None:
    """Move every recorded time of the session `minutes` into the past."""
    delta = timedelta(minutes=minutes)
    TreatmentSession.objects.filter(pk=session_id).update(
        checked_in_at=F("checked_in_at") - delta,
        checks_at=F("checks_at") - delta,
        dosing_started_at=F("dosing_started_at") - delta,
        dosing_ended_at=F("dosing_ended_at") - delta,
        observation_started_at=F("observation_started_at") - delta,
    )
    DoseRecord.objects.filter(session_id=session_id).update(
        started_at=F("started_at") - delta, stopped_at=F("stopped_at") - delta
    )
    DeviceAdministration.objects.filter(dose__session_id=session_id).update(
        given_at=F("given_at") - delta
    )
    VitalReading.objects.filter(session_id=session_id).update(
        taken_at=F("taken_at") - delta, recorded_at=F("recorded_at") - delta
    )
    SessionAlert.objects.filter(session_id=session_id).update(raised_at=F("raised_at") - delta)


def _session_id(page: Any) -> int:
    return int(page.url.rstrip("/").split("#")[0].rstrip("/").split("/")[-1])


def _fill_vitals(page: Any, form: Any, **values: Any) -> None:
    labels = {
        "sbp": "SBP",
        "dbp": "DBP",
        "hr": "HR",
        "spo2": "SpO₂ %",
        "rr": "RR",
        "moaas": "MOAA/S (0–5)",
        "cadss": "CADSS-6 (0–24)",
    }
    for key, value in values.items():
        form.get_by_label(labels[key], exact=True).fill(str(value))


NORMAL = {"sbp": 124, "dbp": 78, "hr": 72, "spo2": 98, "rr": 14, "moaas": 5, "cadss": 0}


def _check_in_and_checks(page: Any, world: World) -> int:
    from playwright.sync_api import expect

    page.goto(f"/patients/{world.patient_a.pk}/")
    page.get_by_test_id("start-session").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Checked in")
    form = page.get_by_test_id("checks-form")
    for fieldset in form.locator("fieldset.ts-check").all():
        fieldset.get_by_label("Yes", exact=True).check()
    _fill_vitals(page, form, **NORMAL)
    form.get_by_role("button", name="Record checks").click()
    expect(page.get_by_test_id("checks-passed")).to_be_visible()
    expect(page.get_by_test_id("calculated-dose")).to_be_visible()
    return _session_id(page)


def _start_dose(page: Any) -> None:
    from playwright.sync_api import expect

    dose = page.get_by_test_id("calculated-dose").inner_text().replace("mg", "").strip()
    page.get_by_label("Lot number").fill("LOT-TAB-7")
    page.get_by_label("Expiry").fill("2099-06-30")
    page.get_by_label("Dose given (mg)").fill(dose)
    page.get_by_role("button", name="Start dose").click()
    expect(page.get_by_test_id("dose-record")).to_contain_text("LOT-TAB-7")


def _save_vitals(page: Any, **values: Any) -> None:
    form = page.get_by_test_id("vitals-form")
    _fill_vitals(page, form, **values)
    form.get_by_role("button", name="Save vitals").click()


def test_nurse_runs_an_esketamine_session_and_is_refused_discharge_at_100_minutes(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    plan = esketamine_plan(world.prescriber_a, world.patient_a)
    consent(world.prescriber_a, world.patient_a, "esketamine_nasal")
    phq9_today(world.patient_a)
    appointment(world.patient_a, plan, chair_name="Chair 5")
    sign_in(page, world.nurse_a)
    session_id = _check_in_and_checks(page, world)
    _start_dose(page)
    expect(page.get_by_test_id("session-status")).to_have_text("Dosing")
    page.get_by_test_id("device-button").click()
    expect(page.get_by_test_id("dose-record")).to_be_visible()
    # Straight away, the second device is refused: at least 5 minutes apart.
    page.get_by_test_id("device-button").click()
    expect(page.get_by_test_id("error")).to_contain_text("Wait")
    expect(page.get_by_test_id("session-status")).to_have_text("Dosing")
    _time_passes(session_id, 5)
    page.get_by_test_id("device-button").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Monitoring")
    _time_passes(session_id, 40)
    _save_vitals(page, sbp=146, dbp=88, hr=84, spo2=97, rr=14, moaas=4, cadss=5)
    expect(page.get_by_test_id("readings")).to_contain_text("146/88")
    screenshot(page, "chair-esketamine-session-monitoring")
    # At 100 minutes: refused, and the page says what is missing.
    _time_passes(session_id, 55)
    _save_vitals(page, **NORMAL)
    expect(page.get_by_test_id("minutes-observed")).to_have_text("100")
    page.get_by_label("Escort present / safe transport home confirmed").check()
    page.get_by_role("button", name="Discharge").click()
    refused = page.get_by_test_id("discharge-refused")
    expect(refused).to_contain_text("Observed 100 min of the required 120 min")
    expect(refused).to_contain_text("esketamine")
    expect(page.get_by_test_id("session-status")).to_have_text("Monitoring")
    # Past two hours: discharged.
    _time_passes(session_id, 21)
    page.goto(f"/patients/{world.patient_a.pk}/sessions/{session_id}/")
    page.get_by_label("Escort present / safe transport home confirmed").check()
    page.get_by_role("button", name="Discharge").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Discharged")
    # The REMS monitoring form is now due, generated from the session.
    page.get_by_test_id("rems-link").click()
    expect(page.get_by_test_id("rems-status")).to_contain_text("Due by")
    expect(page.get_by_test_id("rems-field-lot_number")).to_contain_text("LOT-TAB-7")
    expect(page.get_by_test_id("rems-field-bp_40")).to_contain_text("146/88")
    expect(page.get_by_test_id("rems-field-serious_adverse_events")).to_contain_text("not recorded")
    screenshot(page, "chair-rems-form")
    entries = page.get_by_test_id("rems-entries")
    entries.get_by_label("Serious adverse events", exact=False).fill("None")
    entries.get_by_role("button", name="Save fields").click()
    submit = page.get_by_test_id("rems-submit")
    submit.get_by_label("Online at SPRAVATOrems.com").check()
    submit.get_by_role("button", name="Mark as submitted").click()
    expect(page.get_by_test_id("rems-status")).to_contain_text("Submitted")
    session = TreatmentSession.objects.get(pk=session_id)
    assert session.status == SessionStatus.DISCHARGED
    assert session.dose.devices.count() == 2


def test_nurse_runs_an_iv_session_from_check_in_to_discharge(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    plan = iv_plan(world.prescriber_a, world.patient_a)
    consent(world.prescriber_a, world.patient_a)
    phq9_today(world.patient_a)
    appointment(world.patient_a, plan, chair_name="Chair 2")
    sign_in(page, world.nurse_a)
    session_id = _check_in_and_checks(page, world)
    _start_dose(page)
    expect(page.get_by_test_id("session-status")).to_have_text("Dosing")
    _save_vitals(page, sbp=132, dbp=84, hr=80, spo2=98, rr=14)
    expect(page.get_by_test_id("readings")).to_contain_text("132/84")
    _time_passes(session_id, 40)
    page.get_by_role("button", name="Infusion stopped now").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Monitoring")
    _time_passes(session_id, 121)
    _save_vitals(page, **NORMAL)
    expect(page.get_by_test_id("session-status")).to_have_text("Ready for discharge")
    expect(page.get_by_test_id("discharge-missing")).to_contain_text("Escort")
    screenshot(page, "chair-iv-session-ready")
    page.get_by_label("Escort present / safe transport home confirmed").check()
    page.get_by_role("button", name="Discharge").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Discharged")
    assert TreatmentSession.objects.get(pk=session_id).discharged_by == world.nurse_a


def test_board_shows_an_alert_entered_in_another_browser_and_nurse_acknowledges_it(
    page: Any, browser: Any, live_server: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    from ketacare.treatments import actions

    actions.do_end_infusion(actor(world.nurse_a), infused(session))
    sign_in(page, world.nurse_a)
    page.goto("/chairs/")
    tile = page.get_by_test_id(f"tile-{session.pk}")
    expect(tile).to_be_visible()
    expect(tile.get_by_test_id("board-alert")).to_have_count(0)
    # The prescriber, on another tablet, enters a high BP.
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1024, "height": 768})
    try:
        second = other.new_page()
        sign_in(second, world.prescriber_a)
        second.goto(f"/patients/{world.patient_a.pk}/sessions/{session.pk}/")
        _save_vitals(second, sbp=192, dbp=104, hr=96, spo2=97, rr=16)
        expect(second.get_by_test_id("readings")).to_contain_text("192/104")
    finally:
        other.close()
    # The nurse's board shows it without a reload (it polls).
    expect(tile.get_by_test_id("board-alert").first).to_be_visible(timeout=POLL_MS)
    expect(tile).to_have_class("ts-tile ts-tile-alert")
    screenshot(page, "chair-board-alert")
    tile.click()
    opened = SessionAlert.objects.filter(session=session).count()
    assert opened >= 1  # SBP >= 180, and the rise from the pre-dose reading
    expect(page.locator("#alerts")).to_contain_text("192")
    screenshot(page, "chair-session-alert")
    for done in range(1, opened + 1):
        alert = page.locator("#alerts .ts-alert:not(.ts-alert-done)").first
        alert.get_by_label("Action taken").select_option(label="Repeat the reading in 5 minutes")
        alert.get_by_role("button", name="Acknowledge").click()
        expect(page.locator("#alerts .ts-alert-done")).to_have_count(done)
    assert not SessionAlert.objects.filter(session=session, acknowledged_at__isnull=True)
    page.goto("/chairs/")
    expect(page.get_by_test_id(f"tile-{session.pk}").get_by_test_id("board-alert")).to_have_count(0)


def test_nurse_stops_an_infusion_for_high_bp_and_records_the_bps_that_follow(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    plan = iv_plan(world.prescriber_a, world.patient_a)
    consent(world.prescriber_a, world.patient_a)
    phq9_today(world.patient_a)
    appointment(world.patient_a, plan, chair_name="Chair 3")
    sign_in(page, world.nurse_a)
    session_id = _check_in_and_checks(page, world)
    _start_dose(page)
    _save_vitals(page, sbp=200, dbp=120, hr=96, spo2=97, rr=16)
    expect(page.locator("#alerts")).to_contain_text("200")
    # Stop the dosing: the amount given is asked for, then monitoring goes on.
    page.get_by_text("Stop dosing early", exact=True).click()
    stop = page.get_by_test_id("stop-dosing-form")
    stop.get_by_label("Reason").fill("BP 200/120: infusion stopped")
    stop.get_by_role("button", name="Stop dosing").click()
    expect(page.get_by_test_id("stop-dosing-form")).to_contain_text("Amount given before the stop")
    expect(page.locator("p.error[data-field='given_mg']")).to_be_visible()
    stop = page.get_by_test_id("stop-dosing-form")
    stop.get_by_label("Amount given before the stop (mg)").fill("20")
    stop.get_by_role("button", name="Stop dosing").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Monitoring")
    expect(page.get_by_test_id("dosing-stopped")).to_contain_text("Given 20 mg of 35 mg")
    _save_vitals(page, sbp=190, dbp=112, hr=92, spo2=97, rr=16)
    expect(page.get_by_test_id("readings")).to_contain_text("190/112")
    screenshot(page, "chair-iv-dosing-stopped")
    # Discharge is refused: the same gates as any session.
    page.get_by_label("Escort present / safe transport home confirmed").check()
    page.get_by_role("button", name="Discharge").click()
    expect(page.get_by_test_id("discharge-refused")).to_contain_text("Observed")
    # Worse: to the ED. The session ends without discharge, with the reason.
    transfer = page.get_by_test_id("transfer-form")
    transfer.get_by_label("Reason and where to").fill(
        "BP 220/130 with chest pain: to the ED by ambulance"
    )
    transfer.get_by_role("button", name="Record the transfer out").click()
    expect(page.get_by_test_id("session-status")).to_have_text("Transferred out")
    expect(page.get_by_test_id("vitals-form")).to_have_count(0)
    session = TreatmentSession.objects.get(pk=session_id)
    assert session.status == SessionStatus.TRANSFERRED
    assert session.dose.given_mg == 20 and session.dosing_stop_reason
