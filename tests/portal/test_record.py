"""My record: who has looked at it, the FHIR download of my own data, the printable summary."""

from __future__ import annotations

import json
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from ketacare.measures.actions import do_mark_entered_in_error, do_record_assessment
from ketacare.patients.models import Diagnosis
from ketacare.portal.access_log import describe
from ketacare.portal.messaging import do_patient_send
from ketacare.portal.signin import patient_actor
from tests.conftest import SYSTEM
from tests.fhir._plans import plan_row

PHQ = {f"phq9-{i}": 1 for i in range(1, 10)} | {"phq9-9": 0}


def test_describe_in_plain_words() -> None:
    assert describe("patients.chart.viewed") == "Looked at your chart"
    assert describe("fhir.observation.read") == "Looked at your questionnaire scores"
    assert describe("plans.plan.created") == "Updated your treatment plan"
    assert describe("safety.plan.saved") == "Updated your safety plan"
    assert describe("safety.plan.printed") == "Looked at your safety plan"


def test_who_viewed_lists_staff_only_for_this_patient(
    portal: Any, world: Any, as_user: Any
) -> None:
    as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/")
    as_user(world.prescriber_a).get(f"/patients/{portal.a2.patient.pk}/")  # another patient
    as_user(world.clinician_b).get(f"/patients/{world.patient_a.pk}/")  # refused: not shown
    c = portal.client(portal.a)
    c.get("/portal/progress/")  # the patient's own action: not shown
    body = c.get("/portal/record/who-viewed/").content.decode()
    assert body.count('data-testid="access-row"') == 1
    assert "Nina Nurse" in body and "Infusion nurse" in body and "Looked at your chart" in body
    assert "Paula" not in body and "Bob B" not in body
    assert "patient-self-report" not in body and "ada@patient.test" not in body


def test_download_is_a_valid_bundle_of_my_own_data_only(portal: Any, world: Any) -> None:
    Diagnosis.objects.create(
        patient=world.patient_a, icd10_code="F33.2", display="MDD", note="staff-only remark"
    )
    do_record_assessment(SYSTEM, world.patient_a, "phq9", PHQ)
    wrong = do_record_assessment(SYSTEM, world.patient_a, "phq9", PHQ | {"phq9-1": 3})
    do_mark_entered_in_error(SYSTEM, wrong, "wrong patient")
    do_record_assessment(SYSTEM, portal.a2.patient, "phq9", PHQ)
    plan_row(world.prescriber_a, world.patient_a, status="draft")
    do_patient_send(patient_actor(portal.a), world.patient_a, "Hello", subject="Hi")
    do_patient_send(patient_actor(portal.a2), portal.a2.patient, "Mine", subject="Mary")
    response = portal.client(portal.a).get("/portal/record/download/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    bundle = json.loads(response.content)
    Bundle.model_validate(bundle)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert kinds.count("Patient") == 1 and kinds.count("Observation") == 1
    assert "CarePlan" not in kinds  # the draft plan is not shown
    assert kinds.count("Communication") == 1 and kinds.count("Condition") == 1
    text = response.content.decode()
    assert str(portal.a2.patient.pk) not in text and "Mine" not in text
    assert "staff-only remark" not in text


def test_summary_is_printable_and_own(portal: Any, world: Any) -> None:
    do_record_assessment(SYSTEM, world.patient_a, "phq9", PHQ)
    body = portal.client(portal.a).get("/portal/record/summary/").content.decode()
    assert "Lovelace" in body and world.patient_a.mrn in body
    assert "Your first PHQ-9 score is 8." in body
    assert "Shelley" not in body
