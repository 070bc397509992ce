"""The plan pages: start from the chart, choose a protocol, personalise with the dose
calculation beside it, sign, revise, change status and phase, read the history."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry
from ketacare.patients.models import BodyMeasurement
from ketacare.plans.models import PlanRevision, TreatmentPlan
from tests.plans.plan_helpers import active, draft, eligible, personal_form

pytestmark = pytest.mark.django_db


def _base(patient: Any) -> str:
    return f"/patients/{patient.pk}/plan/"


def _url(plan: TreatmentPlan, tail: str = "") -> str:
    return f"/patients/{plan.patient_id}/plan/{plan.pk}/{tail}"


def test_chart_says_when_no_signed_eligibility_allows_a_plan(world, as_user):
    page = as_user(world.prescriber_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'id="plan"' in page and 'data-testid="no-eligibility"' in page
    assert 'data-testid="start-plan"' not in page


def test_chart_offers_a_prescriber_to_start_a_plan_once_eligible(world, as_user):
    eligible(world.prescriber_a, world.patient_a)
    page = as_user(world.prescriber_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="start-plan"' in page
    nurse = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="start-plan"' not in nurse


def test_choose_page_shows_eligible_routes_and_refuses_others(world, as_user):
    eligible(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    page = client.get(_base(world.patient_a) + "new/")
    assert page.status_code == 200
    assert "IV racemic ketamine (off-label)" in page.content.decode()
    refused = client.post(_base(world.patient_a) + "new/", {"protocol": "esketamine_trd_us"})
    assert refused.status_code == 400
    assert "protocol" in refused.context["form"].errors
    assert "signed eligibility" in refused.context["form"].errors["protocol"][0]
    assert TreatmentPlan.objects.count() == 0


def test_prescriber_creates_personalises_and_signs_a_plan(world, as_user):
    eligible(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    response = client.post(_base(world.patient_a) + "new/", {"protocol": "iv_ketamine_depression"})
    assert response.status_code == 302
    plan = TreatmentPlan.objects.get()
    saved = client.post(_url(plan, "edit/"), personal_form())
    assert saved.status_code == 302, saved.content.decode()[:2000]
    plan.refresh_from_db()
    assert plan.dose_value == Decimal("0.5") and plan.frequency_count == 2
    assert plan.targets == [{"scale": "madrs", "target": 10, "comparison": "lt"}]
    assert client.post(_url(plan, "sign/"), {"note": ""}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "active" and plan.revision == 1
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert "IV racemic ketamine for depression" in chart and "Active" in chart
    assert "MADRS &lt; 10" in chart and "Return to work" in chart
    assert client.get(_base(world.patient_a)).url == _url(plan)


def test_dose_panel_shows_inputs_and_hand_checkable_formula(world, as_user):
    BodyMeasurement.objects.create(patient=world.patient_a, weight_kg=Decimal("80.0"))
    plan = active(world.prescriber_a, world.patient_a, dose_value="0.5")
    plan.concentration_mg_per_ml = Decimal(10)
    plan.save()
    page = as_user(world.nurse_a).get(_url(plan))
    assert page.status_code == 200
    text = page.content.decode()
    assert "80.0 kg, measured" in text
    assert "0.5 mg/kg × 80.0 kg (actual body weight) = 40.0 mg" in text
    assert "40.0 mg ÷ 10 mg/mL = 4.00 mL" in text
    assert "4.00 mL over 40 min = 6.0 mL/h" in text
    assert AuditEntry.objects.filter(action="plans.plan.viewed").exists()


def test_dose_panel_asks_for_a_weight_when_none_is_on_file(world, as_user):
    BodyMeasurement.objects.all().delete()
    plan = active(world.prescriber_a, world.patient_a)
    page = as_user(world.prescriber_a).get(_url(plan))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="needs-weight"' in text and "#measurements" in text


def test_bad_personalisation_names_the_field_and_keeps_what_was_typed(world, as_user):
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    response = client.post(
        _url(plan, "edit/"),
        personal_form(
            frequency="custom",
            frequency_count="4",
            frequency_per_days="7",
            goals="Sleep better",
        ),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert "frequency_count" in form.errors and "48 h" in form.errors["frequency_count"][0]
    assert form["goals"].value() == "Sleep better"
    out_of_range = client.post(_url(plan, "edit/"), personal_form(target_phq9="40"))
    assert "target_phq9" in out_of_range.context["form"].errors
    plan.refresh_from_db()
    assert plan.goals == "" and plan.frequency_count is None


def test_revision_requires_a_reason_and_appears_in_the_history(world, as_user):
    plan = active(world.prescriber_a, world.patient_a, dose_value="0.5")
    client = as_user(world.prescriber_a)
    no_reason = client.post(_url(plan, "edit/"), personal_form(dose_value="0.75"))
    assert no_reason.status_code == 400 and "reason" in no_reason.context["form"].errors
    assert PlanRevision.objects.count() == 1
    ok = client.post(
        _url(plan, "edit/"), personal_form(dose_value="0.75", reason="Partial response")
    )
    assert ok.status_code == 302
    same = client.post(_url(plan, "edit/"), personal_form(dose_value="0.75", reason="again"))
    assert same.status_code == 400 and "Nothing was changed" in same.content.decode()
    history = client.get(_url(plan, "history/")).content.decode()
    assert "Partial response" in history and "0.5 → <strong>0.75</strong>" in history
    assert history.count('data-testid="revision"') == 2


def test_status_and_phase_changes_from_the_page(world, as_user):
    plan = active(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    refused = client.post(_url(plan, "status/"), {"status": "stopped", "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.context["status_form"].errors
    phase = client.post(_url(plan, "phase/"), {"phase": "maintenance", "reason": "Responder"})
    assert phase.status_code == 302
    hold = client.post(_url(plan, "status/"), {"status": "on_hold", "reason": "Travel"})
    assert hold.status_code == 302
    bad = client.post(_url(plan, "status/"), {"status": "on_hold", "reason": "again"})
    assert bad.status_code == 400 and "status" in bad.context["status_form"].errors
    plan.refresh_from_db()
    assert (plan.status, plan.phase, plan.revision) == ("on_hold", "maintenance", 3)


@pytest.mark.parametrize("who", ["nurse_a", "therapist_a", "intake_a", "admin_a", "director_a"])
def test_only_prescribers_write_or_sign_plans(world, as_user, who):
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    client = as_user(getattr(world, who))
    assert client.get(_base(world.patient_a) + "new/").status_code == 403
    assert client.post(_url(plan, "edit/"), personal_form()).status_code == 403
    assert client.post(_url(plan, "sign/"), {}).status_code == 403
    assert (
        client.post(_url(plan, "status/"), {"status": "on_hold", "reason": "x"}).status_code == 403
    )
    assert (
        client.post(_url(plan, "phase/"), {"phase": "maintenance", "reason": "x"}).status_code
        == 403
    )
    plan.refresh_from_db()
    assert plan.status == "draft" and plan.goals == ""


@pytest.mark.parametrize("who", ["nurse_a", "therapist_a"])
def test_care_team_reads_the_plan_without_write_forms(world, as_user, who):
    plan = active(world.prescriber_a, world.patient_a)
    page = as_user(getattr(world, who)).get(_url(plan))
    assert page.status_code == 200
    assert 'data-testid="personalise-form"' not in page.content.decode()


def test_clinic_b_cannot_see_or_change_clinic_a_plan(world, as_user):
    plan = active(world.prescriber_a, world.patient_a)
    client = as_user(world.clinician_b)
    for tail in ("", "history/"):
        assert client.get(_url(plan, tail)).status_code == 404
    assert (
        client.post(_url(plan, "status/"), {"status": "stopped", "reason": "x"}).status_code == 404
    )
    # Clinic B's own patient with clinic A's plan id: still not found.
    other = f"/patients/{world.patient_b.pk}/plan/{plan.pk}/"
    assert client.get(other).status_code == 404
    plan.refresh_from_db()
    assert plan.status == "active"
