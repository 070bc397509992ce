"""FHIR Flag (risk flags, category safety) and RiskAssessment (C-SSRS): searches and reads in
the token's clinic, validated against R4B; a QuestionnaireResponse with PHQ-9 item 9 > 0
produces an active Flag at once (and a high one opens the crisis record)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.riskassessment import RiskAssessment

from ketacare.accounts.audit import AuditEntry
from ketacare.safety.crisis_actions import do_close_crisis
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.models import RiskFlag
from tests.fhir._clinical import ids, read, search
from tests.fhir.test_fhir_questionnaire_response_create import (
    _answer,
    coded_response,
    item_index,
    post,
    us_core_example,
    yes_no,
)
from tests.safety.crisis_helpers import actor, high_flag, record_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def prescriber(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.prescriber_a))


def test_posted_phq9_item9_of_2_is_an_active_flag_at_once(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    body["item"][item_index(body, "/44260-8")]["answer"] = _answer("LA6570-1", "More than half")
    body["item"][item_index(body, "/44261-6")]["answer"] = [{"valueDecimal": 14}]
    assert post(nurse, body).status_code == 201
    pid = world.patient_a.pk
    bundle = search(nurse, Flag, f"Flag?patient={pid}&status=active")
    assert bundle["total"] == 1
    flag = bundle["entry"][0]["resource"]
    assert flag["status"] == "active"
    assert flag["category"][0]["coding"][0]["code"] == "safety"
    assert flag["code"]["coding"][0]["code"] == "phq9_item9"
    assert flag["code"]["text"].startswith("High suicide risk")
    assert flag["subject"]["reference"] == f"Patient/{pid}"
    assert "start" in flag["period"] and "end" not in flag["period"]
    assert CrisisRecord.objects.filter(patient=world.patient_a, status="open").count() == 1
    assert search(nurse, Flag, f"Flag?patient={pid}&status=inactive")["total"] == 0
    assert AuditEntry.objects.filter(action="fhir.flag.searched").exists()


def test_a_flag_resolved_through_the_workflow_is_inactive_with_an_end(
    world: Any, nurse: Client
) -> None:
    flag = high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=flag)
    record_all(world.nurse_a, crisis)
    do_close_crisis(actor(world.prescriber_a), crisis, "Outpatient with plan.")
    resource = read(nurse, Flag, f"Flag/flag-{flag.pk}")
    assert resource["status"] == "inactive" and "end" in resource["period"]
    pid = world.patient_a.pk
    assert ids(search(nurse, Flag, f"Flag?patient={pid}&status=inactive")) == [f"flag-{flag.pk}"]
    assert search(nurse, Flag, f"Flag?patient={pid}&status=active")["total"] == 0
    assert AuditEntry.objects.filter(action="fhir.flag.read").exists()


def test_bad_status_is_refused_and_other_clinics_see_nothing(
    world: Any, nurse: Client, token_for: Any, api_client: Any
) -> None:
    flag = high_flag(world.patient_a, world.nurse_a)
    search(nurse, Flag, "Flag?status=gone", expect=400)
    b = api_client(token_for(world.clinician_b))
    assert search(b, Flag, f"Flag?patient={world.patient_a.pk}")["total"] == 0
    assert search(b, Flag, "Flag")["total"] == 0
    read(b, Flag, f"Flag/flag-{flag.pk}", expect=404)
    read(b, Flag, "Flag/nonsense", expect=404)
    refused = AuditEntry.objects.filter(
        action="patients.access.refused", actor_id=world.clinician_b.pk
    )
    assert refused.count() == 2


def test_cssrs_screen_is_a_risk_assessment(world: Any, prescriber: Client) -> None:
    answers = {
        "cssrs_recent-1": yes_no(1),
        "cssrs_recent-2": yes_no(1),
        "cssrs_recent-3": yes_no(1),
        "cssrs_recent-4": yes_no(0),
        "cssrs_recent-5": yes_no(0),
        "cssrs_recent-6": yes_no(0),
    }
    response = post(prescriber, coded_response(world.patient_a, "cssrs_recent", answers))
    assert response.status_code == 201, response.content
    pid = world.patient_a.pk
    bundle = search(prescriber, RiskAssessment, f"RiskAssessment?patient={pid}")
    assert bundle["total"] == 1
    risk = bundle["entry"][0]["resource"]
    assert risk["code"]["coding"][0]["code"] == "93373-9"
    assert risk["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "moderate"
    assert risk["basis"][0]["reference"].startswith("QuestionnaireResponse/")
    again = read(prescriber, RiskAssessment, f"RiskAssessment/{risk['id']}")
    assert again["id"] == risk["id"]
    # The moderate screen raised a Flag too (category safety, source cssrs), no crisis record.
    flags = search(prescriber, Flag, f"Flag?patient={pid}&status=active")
    assert [e["resource"]["code"]["coding"][0]["code"] for e in flags["entry"]] == ["cssrs"]
    assert not CrisisRecord.objects.exists()
    assert RiskFlag.objects.get().level == "moderate"


def test_risk_assessments_stay_in_their_clinic(
    world: Any, prescriber: Client, token_for: Any, api_client: Any
) -> None:
    answers = {
        "cssrs_recent-1": yes_no(1),
        "cssrs_recent-2": yes_no(0),
        "cssrs_recent-6": yes_no(0),
    }
    assert (
        post(prescriber, coded_response(world.patient_a, "cssrs_recent", answers)).status_code
        == 201
    )
    risk_id = search(prescriber, RiskAssessment, "RiskAssessment")["entry"][0]["resource"]["id"]
    b = api_client(token_for(world.clinician_b))
    assert search(b, RiskAssessment, "RiskAssessment")["total"] == 0
    read(b, RiskAssessment, f"RiskAssessment/{risk_id}", expect=404)
    search(b, RiskAssessment, "RiskAssessment?code=x", expect=400)


def test_an_incomplete_screen_is_preliminary_and_never_negligible(
    world: Any, prescriber: Client
) -> None:
    from ketacare.accounts.audit import Actor
    from ketacare.measures.actions import do_record_assessment

    staff = Actor(label="t", user_id=world.prescriber_a.pk)
    pid = world.patient_a.pk
    partial = {"cssrs_recent-1": 1, "cssrs_recent-2": 1}  # Q3-Q6 not asked yet: no level
    unknown = do_record_assessment(
        staff, world.patient_a, "cssrs_recent", partial, allow_incomplete=True
    )
    risk = read(prescriber, RiskAssessment, f"RiskAssessment/risk-{unknown.pk}")
    assert risk["status"] == "preliminary"
    assert "qualitativeRisk" not in risk["prediction"][0]

    floor = {**partial, "cssrs_recent-3": 1}  # at least moderate, whatever Q4-Q6b say
    moderate = do_record_assessment(
        staff, world.patient_a, "cssrs_recent", floor, allow_incomplete=True
    )
    risk = read(prescriber, RiskAssessment, f"RiskAssessment/risk-{moderate.pk}")
    assert risk["status"] == "preliminary"
    assert risk["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "moderate"
    assert RiskFlag.objects.filter(patient_id=pid, level="moderate").exists()

    no = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}
    negative = do_record_assessment(staff, world.patient_a, "cssrs_recent", no)
    risk = read(prescriber, RiskAssessment, f"RiskAssessment/risk-{negative.pk}")
    assert risk["status"] == "final"
    assert risk["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "negligible"
