"""Risk answers posted in a QuestionnaireResponse are never lost (issue 7 §1 and §7).

A response refused with 422 (an item missing, status in-progress or amended…) stores nothing
but its risk answer: the flag the answer calls for is raised at once, with the level, source
and reason of the self-report path for a questionnaire not yet sent, and the 422 names it in an
`information` issue. A resend of the same response joins that flag; the corrected response,
once accepted, links its assessment to it. Explicit "No" answers to C-SSRS questions the skip
logic did not ask are dropped, and the screen is stored with its flag and RiskAssessment.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.riskassessment import RiskAssessment

from ketacare.accounts.audit import AuditEntry
from ketacare.measures.actions import risk_rules_for
from ketacare.measures.models import Assessment
from ketacare.measures.selfreport_actions import risk_decision
from ketacare.safety.models import FlagStatus, RiskFlag
from tests.fhir._clinical import read, search
from tests.fhir.test_fhir_questionnaire_response_create import coded_response, post, yes_no

pytestmark = pytest.mark.django_db

AUTHORED = "2026-01-05T10:00:00-05:00"


def phq9(patient: Any, item9: int, *, skip: tuple[int, ...] = (), **change: Any) -> dict[str, Any]:
    """A PHQ-9 with every item 1 but item 9, without the items in `skip`."""
    answers = {f"phq9-{n}": 1 for n in range(1, 9) if n not in skip}
    body = coded_response(patient, "phq9", {**answers, "phq9-9": item9})
    body.update(change)
    return body


def cssrs(patient: Any, answers: dict[str, int]) -> dict[str, Any]:
    coded = {f"cssrs_recent-{k}": yes_no(v) for k, v in answers.items()}
    return coded_response(patient, "cssrs-recent", coded)


def refused_with_flag(client: Client, body: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    """Post `body`: 422, nothing stored but the flag named by its last, information issue."""
    assessments = Assessment.objects.count()
    response = post(client, body)
    assert response.status_code == 422, response.content
    OperationOutcome.model_validate(response.json())
    issues = list(response.json()["issue"])
    assert Assessment.objects.count() == assessments
    *errors, note = issues
    assert errors and all(i["severity"] == "error" for i in errors)
    assert (note["severity"], note["code"]) == ("information", "informational")
    flag = RiskFlag.objects.order_by("-pk").first()
    assert flag is not None
    assert f"Flag/flag-{flag.pk}" in note["diagnostics"]
    assert "risk answer was recorded" in note["diagnostics"]
    return issues, flag


def test_a_phq9_missing_an_item_with_item9_of_3_is_refused_but_flags_high(
    world: Any, nurse: Client
) -> None:
    body = phq9(world.patient_a, 3, skip=(3,))
    [missing, note], flag = refused_with_flag(nurse, body)
    assert missing["code"] == "required" and "phq9-3" in missing["diagnostics"]
    assert note["expression"] == ["QuestionnaireResponse.item[7]"]  # item 9, the eighth sent
    assert (flag.source, flag.level, flag.requires_cssrs) == ("phq9_item9", "high", True)
    assert flag.patient == world.patient_a and flag.assessment is None
    assert flag.raised_by == world.nurse_a and flag.status == FlagStatus.OPEN
    # The self-report path's reason for the same partial answers, then why nothing was stored.
    answers = {f"phq9-{n}": 1 for n in (1, 2, 4, 5, 6, 7, 8)} | {"phq9-9": 3}
    decision = risk_decision("phq9", answers, risk_rules_for(world.patient_a))
    assert decision is not None and decision.level == "high"
    assert flag.reason.startswith(decision.reason)
    assert f"authored {AUTHORED}" in flag.reason and "not stored" in flag.reason
    assert "phq9-3" in flag.reason
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"safety.flag.raised", "fhir.questionnaire_response.risk_answer_recorded"} <= actions
    assert "measures.assessment.recorded" not in actions
    # The flag is served at once, active, to the same token.
    bundle = search(nurse, Flag, f"Flag?patient={world.patient_a.pk}&status=active")
    assert [e["resource"]["id"] for e in bundle["entry"]] == [f"flag-{flag.pk}"]


@pytest.mark.parametrize("status", ["in-progress", "amended"])
def test_a_complete_phq9_not_marked_completed_is_refused_but_flags(
    world: Any, nurse: Client, status: str
) -> None:
    [problem, _], flag = refused_with_flag(nurse, phq9(world.patient_a, 3, status=status))
    assert problem["expression"] == ["QuestionnaireResponse.status"]
    assert status in problem["diagnostics"]
    assert (flag.source, flag.level) == ("phq9_item9", "high")
    assert RiskFlag.objects.count() == 1


def test_the_clinics_level_for_item9_of_1_is_kept(world: Any, nurse: Client) -> None:
    _, flag = refused_with_flag(nurse, phq9(world.patient_a, 1, skip=(2,)))
    assert flag.level == "moderate"


def test_a_resend_of_the_refused_response_raises_no_second_flag(world: Any, nurse: Client) -> None:
    body = phq9(world.patient_a, 3, status="in-progress")
    _, first = refused_with_flag(nurse, body)
    [_, note], again = refused_with_flag(nurse, body)
    assert again == first and RiskFlag.objects.count() == 1
    assert "sent before" in note["diagnostics"] and "no second flag" in note["diagnostics"]
    entries = AuditEntry.objects.filter(action="fhir.questionnaire_response.risk_answer_recorded")
    assert [e.detail["raised"] for e in entries.order_by("pk")] == [True, False]
    # Acknowledged, the flag still stands for this response: a resend does not raise another.
    RiskFlag.objects.filter(pk=first.pk).update(status=FlagStatus.ACKNOWLEDGED)
    refused_with_flag(nurse, body)
    assert RiskFlag.objects.count() == 1


def test_the_corrected_response_links_its_assessment_to_that_flag(
    world: Any, nurse: Client
) -> None:
    _, flag = refused_with_flag(nurse, phq9(world.patient_a, 3, status="amended"))
    response = post(nurse, phq9(world.patient_a, 3))
    assert response.status_code == 201, response.content
    flag.refresh_from_db()
    assert flag.assessment == Assessment.objects.get()
    assert RiskFlag.objects.count() == 1
    assert AuditEntry.objects.filter(action="safety.flag.assessment_linked").count() == 1


def test_another_administration_raises_its_own_flag(world: Any, nurse: Client) -> None:
    _, first = refused_with_flag(nurse, phq9(world.patient_a, 3, skip=(3,)))
    later = phq9(world.patient_a, 3, skip=(3,), authored="2026-01-12T10:00:00-05:00")
    _, second = refused_with_flag(nurse, later)
    assert second != first and RiskFlag.objects.count() == 2


def test_a_high_answer_after_a_moderate_one_raises_the_higher_flag(
    world: Any, nurse: Client
) -> None:
    _, moderate = refused_with_flag(nurse, phq9(world.patient_a, 1, status="in-progress"))
    _, high = refused_with_flag(nurse, phq9(world.patient_a, 3, status="in-progress"))
    assert (moderate.level, high.level) == ("moderate", "high")


def test_an_answer_refused_elsewhere_still_flags_but_a_refused_item9_does_not(
    world: Any, nurse: Client
) -> None:
    body = phq9(world.patient_a, 2)
    body["item"][3]["answer"] = [{"valueInteger": 7}]  # item 4: not one of its answers
    [problem, _], flag = refused_with_flag(nurse, body)
    assert "phq9-4" in problem["diagnostics"] and flag.level == "high"
    RiskFlag.objects.all().delete()
    body = phq9(world.patient_a, 2)
    body["item"].append({"linkId": "phq9-9", "answer": [{"valueInteger": 0}]})  # twice
    response = post(nurse, body)
    assert response.status_code == 422
    assert [i["severity"] for i in response.json()["issue"]] == ["error"]
    assert not RiskFlag.objects.exists()


@pytest.mark.parametrize(
    "change",
    [{"status": "entered-in-error"}, {"status": "in-progress", "item9": 0}, {"skip": (3,)}],
)
def test_no_flag_without_a_risk_answer_or_for_a_withdrawn_response(
    world: Any, nurse: Client, change: dict[str, Any]
) -> None:
    change = dict(change)
    item9 = change.pop("item9", 3 if "status" in change else 0)
    body = phq9(world.patient_a, item9, skip=change.pop("skip", ()), **change)
    response = post(nurse, body)
    assert response.status_code == 422, response.content
    assert {i["severity"] for i in response.json()["issue"]} == {"error"}
    assert not RiskFlag.objects.exists() and not Assessment.objects.exists()


def test_qids_item12_in_an_incomplete_response_flags(world: Any, nurse: Client) -> None:
    body = coded_response(world.patient_a, "qids-sr16", {"qids_sr16-12": 2})
    [*missing, note], flag = refused_with_flag(nurse, body)
    assert all(i["code"] == "required" for i in missing)
    assert (flag.source, flag.level, flag.requires_cssrs) == ("qids_item12", "high", True)
    assert note["expression"] == ["QuestionnaireResponse.item[0]"]


def test_a_clinic_b_token_stores_and_flags_nothing(
    world: Any, token_for: Any, api_client: Any
) -> None:
    client = api_client(token_for(world.clinician_b))
    response = post(client, phq9(world.patient_a, 3, skip=(3,)))
    assert response.status_code == 404
    assert not RiskFlag.objects.exists()
    assert AuditEntry.objects.filter(action="patients.access.refused").count() == 1


# --- C-SSRS ------------------------------------------------------------------------------


def test_a_high_screen_with_no_to_unasked_questions_is_stored_and_flagged(
    world: Any, nurse: Client
) -> None:
    answers = {"1": 1, "2": 0, "3": 0, "4": 0, "5": 0, "6": 1, "6b": 1}
    response = post(nurse, cssrs(world.patient_a, answers))
    assert response.status_code == 201, response.content
    assessment = Assessment.objects.get()
    assert assessment.risk_level == "high" and assessment.complete
    assert set(assessment.answers) == {f"cssrs_recent-{k}" for k in ("1", "2", "6", "6b")}
    flag = RiskFlag.objects.get()
    assert (flag.source, flag.level, flag.assessment) == ("cssrs", "high", assessment)
    bundle = search(nurse, RiskAssessment, f"RiskAssessment?patient={world.patient_a.pk}")
    [entry] = bundle["entry"]
    assert entry["resource"]["id"] == f"risk-{assessment.pk}"
    risk = read(nurse, RiskAssessment, f"RiskAssessment/risk-{assessment.pk}")
    assert risk["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == "high"


def test_a_no_to_q6b_after_q6_no_is_dropped(world: Any, nurse: Client) -> None:
    response = post(nurse, cssrs(world.patient_a, {"1": 0, "2": 0, "6": 0, "6b": 0}))
    assert response.status_code == 201, response.content
    assert "cssrs_recent-6b" not in Assessment.objects.get().answers
    assert not RiskFlag.objects.exists()


def test_a_yes_to_an_unasked_question_is_refused_yet_recent_behaviour_flags(
    world: Any, nurse: Client
) -> None:
    body = cssrs(world.patient_a, {"1": 1, "2": 0, "3": 1, "6": 1, "6b": 1})
    [problem, note], flag = refused_with_flag(nurse, body)
    assert problem["expression"] == ["QuestionnaireResponse.item[2]"]
    assert "cssrs_recent-3" in problem["diagnostics"]
    assert note["expression"] == ["QuestionnaireResponse"]
    assert (flag.source, flag.level, flag.requires_cssrs) == ("cssrs", "high", False)


def test_an_unfinished_screen_already_high_flags(world: Any, nurse: Client) -> None:
    body = cssrs(world.patient_a, {"1": 1, "2": 1, "3": 1, "4": 1})  # Q5, Q6 unanswered
    [*missing, _], flag = refused_with_flag(nurse, body)
    assert {i["code"] for i in missing} == {"required"}
    assert (flag.source, flag.level) == ("cssrs", "high")
