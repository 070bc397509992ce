"""From a website visitor's request to a signed eligibility decision, in a real browser.

A visitor asks for a consultation on their phone and is shown crisis resources; the intake
coordinator finds the request in the queue, records the first call and converts it to a patient
(the registration form is prefilled from the request); the prescriber completes the evaluation,
sees a relative contraindication, is refused when signing without a justification, writes one
and signs. The chart then says "Eligible with conditions".
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from ketacare.evaluations.models import EligibilityDecision, EvaluationStatus
from ketacare.intake.models import ConsultationRequest, RequestStatus
from tests.browser.conftest import SCREENSHOTS
from tests.conftest import World

pytestmark = pytest.mark.browser

FLOW = "intake-flow"
JUSTIFICATION = (
    "One brief psychotic episode in 2015 during a manic-like reaction to a steroid course; "
    "no psychotic symptoms since. Screen for psychotic symptoms before every session."
)


def test_visitor_request_becomes_a_patient_with_a_signed_justified_eligibility(
    page: Any, phone_page: Any, world: World, sign_in: Any, screenshot: Any
) -> None:
    (SCREENSHOTS / FLOW).mkdir(parents=True, exist_ok=True)

    def shot(target: Any, name: str) -> None:
        screenshot(target, f"{FLOW}/{name}")

    # 1. The visitor, on a phone, asks for a consultation.
    visitor = phone_page
    visitor.goto(f"/c/{world.clinic_a.slug}/consultation/")
    expect(visitor.get_by_role("heading", name="Request a free consultation")).to_be_visible()
    visitor.get_by_label("First name").fill("Rosalind")
    visitor.get_by_label("Last name").fill("Franklin")
    how = visitor.get_by_role("group", name=re.compile(r"How should we contact you"))
    how.get_by_label("Phone", exact=True).check()
    visitor.get_by_role("textbox", name="Phone").fill("555-010-0142")
    visitor.get_by_role("textbox", name="Email").fill("rosalind.franklin@example.com")
    visitor.get_by_label("Morning (8 am – 12 pm)").check()
    visitor.get_by_label("Treatment-resistant depression").check()
    visitor.get_by_label(re.compile(r"^Anything else")).fill(
        "Three antidepressants have not helped. My psychiatrist mentioned ketamine."
    )
    visitor.locator("#id_consent_to_contact").check()
    shot(visitor, "01-visitor-form")
    visitor.get_by_role("button", name="Send my request").click()
    expect(visitor.get_by_test_id("thanks")).to_have_text("Thank you — we received your request")
    crisis = visitor.get_by_test_id("crisis")
    expect(crisis).to_be_visible()
    expect(crisis.get_by_role("link", name=re.compile(r"988"))).not_to_have_count(0)
    shot(visitor, "02-visitor-thanks-crisis")
    request = ConsultationRequest.objects.get(family_name="Franklin")
    assert request.clinic_id == world.clinic_a.pk and request.status == RequestStatus.NEW

    # 2. The intake coordinator finds it in the queue, records the call and converts it.
    sign_in(page, world.intake_a)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Intake").click()
    expect(page.get_by_role("heading", name="Consultation requests")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Rosalind Franklin")
    expect(row).to_contain_text("Treatment-resistant depression")
    expect(row).to_contain_text("New")
    shot(page, "03-intake-queue")
    row.get_by_role("link", name="Rosalind Franklin").click()
    expect(page.get_by_test_id("request-name")).to_have_text("Rosalind Franklin")
    expect(page.get_by_test_id("message")).to_contain_text("Three antidepressants")
    expect(page.get_by_test_id("conversion-problem")).to_contain_text("Record your first contact")
    page.get_by_label("How").select_option(label="Phone call")
    page.get_by_label("Outcome").select_option(label="Spoke with them")
    page.get_by_label("Note").fill("Wants an evaluation; mornings are best.")
    page.get_by_role("button", name="Record contact attempt").click()
    convert = page.get_by_test_id("convert")
    expect(convert).to_be_visible()
    shot(page, "04-intake-request-contacted")
    convert.click()
    expect(page.get_by_test_id("prefilled")).to_be_visible()
    expect(page.get_by_label("Legal given name")).to_have_value("Rosalind")
    expect(page.get_by_label("Legal family name")).to_have_value("Franklin")
    expect(page.get_by_label("Phone", exact=True)).to_have_value(re.compile(r"555.?010.?0142"))
    expect(page.get_by_label("Email")).to_have_value("rosalind.franklin@example.com")
    expect(page.get_by_test_id("matches")).to_have_count(0)
    page.locator("#id_birth_date").fill("1980-07-25")
    page.get_by_label("Sex at birth").select_option("female")
    shot(page, "05-intake-convert-prefilled")
    page.get_by_role("button", name="Register and mark converted").click()
    expect(page.get_by_test_id("patient-name")).to_have_text("Franklin, Rosalind")
    expect(page.get_by_role("status")).to_contain_text("consultation request is marked converted")
    banner = page.get_by_test_id("eligibility-banner")
    expect(banner).to_contain_text("No eligibility evaluation")
    shot(page, "06-chart-new-patient")
    request.refresh_from_db()
    assert request.status == RequestStatus.CONVERTED and request.converted_patient is not None
    patient = request.converted_patient
    page.get_by_role("button", name="Sign out").click()

    # 3. The prescriber completes the evaluation for IV racemic ketamine.
    sign_in(page, world.prescriber_a)
    page.goto(f"/patients/{patient.pk}/")
    page.get_by_test_id("eligibility-banner").get_by_role("link", name="Start evaluation").click()
    page.get_by_label("Intended route").select_option("iv_racemic")
    page.get_by_label("Indication").select_option("ptsd")
    page.get_by_role("button", name="Start evaluation").click()
    expect(page.get_by_test_id("evaluation-status")).to_have_text("Draft")
    page.get_by_label("Psychiatric history", exact=True).fill(
        "Depression since 2012; PTSD after a car crash in 2019. Steroid-induced psychotic "
        "episode in 2015."
    )
    page.get_by_label("Pregnant").select_option("no")
    page.get_by_label("Breastfeeding").select_option("no")
    page.get_by_label("Planning pregnancy").select_option("no")
    page.get_by_label("Systolic (mmHg)").fill("124")
    page.get_by_label("Diastolic (mmHg)").fill("78")
    page.get_by_label("Heart rate (/min)").fill("72")
    page.get_by_label("SpO2 (%)").fill("98")
    page.get_by_label("Goals, in the patient's words").fill(
        "Sleep without nightmares and drive over the bridge again."
    )
    page.get_by_label("History of psychosis", exact=True).check()
    page.get_by_role("button", name="Save evaluation").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    expect(page.get_by_label("History of psychosis", exact=True)).to_be_checked()
    shot(page, "07-evaluation-draft-saved")

    # 4. The decision: a relative finding; signing without a justification is refused.
    page.get_by_role("link", name="Review findings and decide").click()
    expect(page.get_by_test_id("outcome")).to_contain_text("Not eligible")
    relative = page.get_by_test_id("group-relative")
    expect(
        relative.get_by_role("heading", name=re.compile(r"^History of psychosis"))
    ).to_be_visible()
    expect(page.get_by_test_id("group-hard_stop")).to_have_count(0)
    shot(page, "08-decision-relative-finding")
    page.get_by_role("button", name="Sign decision").click()
    expect(page.get_by_test_id("sign-error")).to_contain_text("Not signed.")
    expect(page.get_by_test_id("sign-error")).to_contain_text("History of psychosis")
    field = page.locator(".field.has-error")
    expect(field).to_have_count(1)
    expect(field.locator("label")).to_have_text("Justification for treating despite this finding")
    expect(field.locator("[data-field=justification_psychosis_history]")).to_be_visible()
    shot(page, "09-decision-sign-refused")
    assert not EligibilityDecision.objects.filter(evaluation__patient=patient).exists()

    field.get_by_label("Justification for treating despite this finding").fill(JUSTIFICATION)
    page.get_by_role("button", name="Sign decision").click()
    expect(page.get_by_role("status")).to_contain_text("Decision signed")
    expect(page.get_by_test_id("outcome")).to_have_text("Eligible with conditions")
    expect(page.get_by_test_id("signed-by")).to_contain_text("Paula Prescriber")
    expect(page.get_by_test_id("group-relative")).to_contain_text(JUSTIFICATION)
    shot(page, "10-decision-signed")

    # 5. The chart's banner: eligible with conditions, the relative finding named.
    page.get_by_role("link", name="Franklin, Rosalind").first.click()
    banner = page.get_by_test_id("eligibility-banner")
    expect(banner).to_contain_text("Eligible with conditions for IV racemic ketamine")
    expect(banner).to_contain_text("History of psychosis")
    expect(banner).to_contain_text("Paula Prescriber")
    shot(page, "11-chart-eligible-with-conditions")

    decision = EligibilityDecision.objects.get(evaluation__patient=patient)
    assert decision.outcome == "eligible_with_conditions"
    assert decision.overrides == {"psychosis_history": JUSTIFICATION}
    assert decision.signed_by_id == world.prescriber_a.pk
    assert decision.evaluation.status == EvaluationStatus.SIGNED
