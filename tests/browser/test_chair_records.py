"""At the chair on a tablet: the drug used with a witnessed waste, a side effect, a pause;
the clinic's controlled-substance page; the printable discharge sheet."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.models_substances import SubstanceEntry
from tests.conftest import PASSWORD, World
from tests.treatments.session_helpers import NORMAL, actor, dosed, infused, ready_session
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.browser


def test_a_nurse_records_drug_waste_side_effect_and_prints_the_sheet(
    page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    from playwright.sync_api import expect

    lot = vial_lot(world.nurse_a, world.clinic_a)
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    sign_in(page, world.nurse_a)
    page.goto(f"/patients/{world.patient_a.pk}/sessions/{session.pk}/")
    form = page.get_by_test_id("use-form")
    form.get_by_label("Lot").select_option(str(lot.pk))
    form.get_by_label("Vials / devices opened").fill("1")
    form.get_by_label("Drawn (mg)").fill("40")
    form.get_by_label("Given (mg)").fill("35")
    form.get_by_label("Wasted (mg)").fill("5")
    form.get_by_label("Witness (email)").fill(world.prescriber_a.email)
    form.get_by_label("Witness password").fill(PASSWORD)
    form.get_by_role("button", name="Record drug used").click()
    expect(page.get_by_test_id("session-substances")).to_contain_text("Paula Prescriber")
    infusion = page.get_by_test_id("infusion-form")
    infusion.get_by_label("Paused").check()
    infusion.get_by_label("Reason").fill("Nausea")
    infusion.get_by_role("button", name="Record").click()
    expect(page.get_by_test_id("paused")).to_be_visible()
    page.get_by_text("Record a side effect").click()
    effect = page.get_by_test_id("side-effect-form")
    effect.get_by_label("Nausea").check()
    effect.get_by_label("Moderate").check()
    effect.get_by_label("Drug given").fill("Ondansetron")
    effect.get_by_label("Dose").fill("4 mg IV")
    effect.get_by_role("button", name="Save side effect").click()
    expect(page.get_by_test_id("side-effects")).to_contain_text("Ondansetron 4 mg IV")
    screenshot(page, "treatments/chair-records")
    assert SubstanceEntry.objects.get().witness == world.prescriber_a

    page.get_by_role("link", name="Controlled substances").click()
    expect(page.get_by_test_id("lots")).to_contain_text("KV-100")
    expect(page.get_by_test_id("balance-KV-100")).to_have_text("2460 mg")
    screenshot(page, "treatments/controlled-substances")

    session.refresh_from_db()
    from ketacare.treatments import infusion as infusion_actions

    infusion_actions.do_infusion_event(actor(world.nurse_a), session, "resume", "8", "")
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=125)
    )
    session.refresh_from_db()
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    page.goto(f"/patients/{world.patient_a.pk}/sessions/{session.pk}/")
    page.get_by_label("Escort present / safe transport home confirmed").check()
    page.get_by_label("Escort's name").fill("Charles Babbage")
    page.get_by_role("button", name="Discharge").click()
    page.get_by_test_id("sheet-link").click()
    expect(page.get_by_test_id("escort")).to_have_text("Charles Babbage")
    screenshot(page, "treatments/discharge-sheet")
    page.emulate_media(media="print")
    expect(page.locator(".mainnav")).to_be_hidden()
    screenshot(page, "treatments/discharge-sheet-print")
