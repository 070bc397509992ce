"""POST /fhir/QuestionnaireResponse: scored on the server, stored as an Assessment, flags raised;
anything malformed or inconsistent is refused with the item named and nothing stored."""

from __future__ import annotations

import copy
import json
import random
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ketacare.accounts.audit import AuditEntry
from ketacare.measures.models import Assessment
from ketacare.patients.models import Patient
from ketacare.safety.models import RiskFlag
from tests.conftest import make_patient

LOINC = "http://loinc.org"
PHQ9_URL = "http://ketacare.org/fhir/Questionnaire/phq9"
FHIR_JSON = "application/fhir+json"


def _answer(code: str, display: str) -> list[dict[str, Any]]:
    return [{"valueCoding": {"system": LOINC, "code": code, "display": display}}]


# HL7/US-Core input/examples/QuestionnaireResponse-phq-9-example.json (copied to
# shared/reference/fhir-examples/), verbatim except `subject` and `questionnaire`, which
# `us_core_example` points at our patient and Questionnaire. Answers 2,2,2,2,1,1,2,0,0 → 12.
US_CORE_PHQ9: dict[str, Any] = {
    "resourceType": "QuestionnaireResponse",
    "id": "phq-9-example",
    "meta": {
        "profile": [
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-questionnaireresponse|9.0.0"
        ]
    },
    "questionnaire": "http://hl7.org/fhir/us/core/Questionnaire/phq-9-example",
    "status": "completed",
    "subject": {"reference": "Patient/example"},
    "authored": "2022-11-29T20:50:32.718Z",
    "author": {"reference": "Practitioner/practitioner-1"},
    "item": [
        {
            "linkId": "/44250-9",
            "text": "Little interest or pleasure in doing things?",
            "answer": _answer("LA6570-1", "More than half the days"),
        },
        {
            "linkId": "/44255-8",
            "text": "Feeling down, depressed, or hopeless?",
            "answer": _answer("LA6570-1", "More than half the days"),
        },
        {
            "linkId": "/44259-0",
            "text": "Trouble falling or staying asleep, or sleeping too much in last 2 weeks "
            "[Reported.PHQ]",
            "answer": _answer("LA6570-1", "More than half the days"),
        },
        {
            "linkId": "/44254-1",
            "text": "Feeling tired or having little energy in last 2 weeks [Reported.PHQ]",
            "answer": _answer("LA6570-1", "More than half the days"),
        },
        {
            "linkId": "/44251-7",
            "text": "Poor appetite or overeating in last 2 weeks [Reported.PHQ]",
            "answer": _answer("LA6569-3", "Several days"),
        },
        {
            "linkId": "/44258-2",
            "text": "Feeling bad about yourself - or that you are a failure or have let "
            "yourself or your family down in last 2 weeks [Reported.PHQ]",
            "answer": _answer("LA6569-3", "Several days"),
        },
        {
            "linkId": "/44252-5",
            "text": "Trouble concentrating on things, such as reading the newspaper or "
            "watching television in last 2 weeks [Reported.PHQ]",
            "answer": _answer("LA6570-1", "More than half the days"),
        },
        {
            "linkId": "/44253-3",
            "text": "Moving or speaking so slowly that other people could have noticed. Or the "
            "opposite - being so fidgety or restless that you have been moving around a lot "
            "more than usual in last 2 weeks [Reported.PHQ]",
            "answer": _answer("LA6568-5", "Not at all"),
        },
        {
            "linkId": "/44260-8",
            "text": "Thoughts that you would be better off dead, or of hurting yourself in "
            "some way in last 2 weeks [Reported.PHQ]",
            "answer": _answer("LA6568-5", "Not at all"),
        },
        {
            "linkId": "/44261-6",
            "text": "Patient health questionnaire 9 item total score",
            "answer": [{"valueDecimal": 12}],
        },
        {
            "linkId": "/69722-7",
            "text": "How difficult have these made it for you to do your work, take care of "
            "things at home, or get along with other people [Reported.PHQ]",
            "answer": _answer("LA6573-5", "Somewhat difficult"),
        },
    ],
}
EXPECTED_ANSWERS = {
    **{f"phq9-{n}": v for n, v in enumerate((2, 2, 2, 2, 1, 1, 2, 0, 0), start=1)},
    "phq9-10": 1,
}


def us_core_example(patient: Patient) -> dict[str, Any]:
    body = copy.deepcopy(US_CORE_PHQ9)
    body["subject"] = {"reference": f"Patient/{patient.pk}"}
    body["questionnaire"] = PHQ9_URL
    return body


def item_index(body: dict[str, Any], link_id: str) -> int:
    return next(i for i, item in enumerate(body["item"]) if item["linkId"] == link_id)


def coded_response(patient: Patient, scale_id: str, answers: dict[str, Any]) -> dict[str, Any]:
    """A response with our own linkIds; an int answer is sent as valueInteger."""
    items = []
    for link_id, value in answers.items():
        answer = {"valueInteger": value} if isinstance(value, int) else value
        items.append({"linkId": link_id, "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"http://ketacare.org/fhir/Questionnaire/{scale_id}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient.pk}"},
        "authored": "2026-01-05T10:00:00-05:00",
        "item": items,
    }


def yes_no(value: int) -> dict[str, Any]:
    return {"valueCoding": {"system": LOINC, "code": "LA33-6" if value else "LA32-8"}}


def post(client: Client, body: Any) -> Any:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.post("/fhir/QuestionnaireResponse", data=data, content_type=FHIR_JSON)


def counts() -> tuple[int, int, int]:
    return Patient.objects.count(), Assessment.objects.count(), RiskFlag.objects.count()


def refused(client: Client, body: Any, status: int = 422) -> list[dict[str, Any]]:
    before = counts()
    response = post(client, body)
    assert response.status_code == status, response.content
    OperationOutcome.model_validate(response.json())
    assert counts() == before
    return list(response.json()["issue"])


# --- accepted ----------------------------------------------------------------------------


def test_the_us_core_phq9_example_is_scored_12_moderate(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    response = post(nurse, body)
    assert response.status_code == 201, response.content
    assessment = Assessment.objects.get()
    assert (assessment.scale_code, assessment.total, assessment.band) == ("phq9", 12, "moderate")
    assert assessment.answers == EXPECTED_ANSWERS
    assert assessment.source == "fhir"
    assert assessment.patient == world.patient_a
    assert assessment.administered_at.isoformat() == "2022-11-29T20:50:32.718000+00:00"
    assert assessment.fhir_response == body  # kept verbatim
    assert response["Location"] == f"/fhir/QuestionnaireResponse/qr-{assessment.pk}"
    returned = response.json()
    QuestionnaireResponse.model_validate(returned)
    assert returned["id"] == f"qr-{assessment.pk}"
    assert returned["questionnaire"] == f"{PHQ9_URL}|1"
    assert returned["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert returned["item"] == body["item"]
    assert not RiskFlag.objects.exists()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_items_are_matched_by_code_not_by_position(world: Any, nurse: Client, seed: int) -> None:
    body = us_core_example(world.patient_a)
    random.Random(seed).shuffle(body["item"])
    assert post(nurse, body).status_code == 201
    assessment = Assessment.objects.get()
    assert (assessment.total, assessment.answers) == (12, EXPECTED_ANSWERS)


def test_our_link_ids_with_codes_or_integers_are_accepted(world: Any, nurse: Client) -> None:
    answers: dict[str, Any] = {f"phq9-{n}": 1 for n in range(1, 9)}
    answers["phq9-9"] = {"valueCoding": {"code": "LA6568-5"}}  # a LOINC code without system
    answers["phq9-total"] = 8
    response = post(nurse, coded_response(world.patient_a, "phq9", answers))
    assert response.status_code == 201, response.content
    assert Assessment.objects.get().total == 8


def test_local_answer_codes_and_ordinal_values_are_accepted(world: Any, nurse: Client) -> None:
    local = "http://ketacare.org/fhir/CodeSystem/pcl5-answers"
    answers: dict[str, Any] = {
        f"pcl5-{n}": {"valueCoding": {"system": local, "code": "2"}} for n in range(1, 11)
    }
    for n in range(11, 21):
        answers[f"pcl5-{n}"] = {
            "valueCoding": {
                "system": "http://example.org/our-pcl5",
                "code": "moderately",
                "extension": [
                    {
                        "url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
                        "valueDecimal": 1,
                    }
                ],
            }
        }
    response = post(nurse, coded_response(world.patient_a, "pcl5", answers))
    assert response.status_code == 201, response.content
    assert Assessment.objects.get().total == 30


def test_the_version_and_a_relative_questionnaire_reference_are_accepted(
    world: Any, nurse: Client
) -> None:
    for questionnaire in (f"{PHQ9_URL}|1", "Questionnaire/phq9"):
        body = us_core_example(world.patient_a)
        body["questionnaire"] = questionnaire
        assert post(nurse, body).status_code == 201, questionnaire
    assert Assessment.objects.count() == 2


def test_the_subject_may_be_our_absolute_patient_url(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    body["subject"] = {"reference": f"http://testserver/fhir/Patient/{world.patient_a.pk}"}
    assert post(nurse, body).status_code == 201
    body["subject"] = {"reference": f"http://elsewhere.example/fhir/Patient/{world.patient_a.pk}"}
    refused(nurse, body)


def test_the_create_is_audited_by_the_action(world: Any, nurse: Client) -> None:
    post(nurse, us_core_example(world.patient_a))
    entry = AuditEntry.objects.get(action="measures.assessment.recorded")
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.actor_id == world.nurse_a.pk
    assert entry.detail["source"] == "fhir"


def test_phq9_item9_above_zero_raises_the_flag_immediately(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    item9 = body["item"][item_index(body, "/44260-8")]
    item9["answer"] = _answer("LA6569-3", "Several days")
    body["item"][item_index(body, "/44261-6")]["answer"] = [{"valueDecimal": 13}]
    response = post(nurse, body)
    assert response.status_code == 201, response.content
    flag = RiskFlag.objects.get()
    assert flag.patient == world.patient_a
    assert flag.assessment == Assessment.objects.get()
    assert (flag.source, flag.level, flag.requires_cssrs) == ("phq9_item9", "moderate", True)


def test_a_high_risk_cssrs_raises_a_flag(world: Any, nurse: Client) -> None:
    answers = {
        "cssrs_recent-1": yes_no(1),
        "cssrs_recent-2": yes_no(1),
        "cssrs_recent-3": yes_no(1),
        "cssrs_recent-4": yes_no(1),
        "cssrs_recent-5": yes_no(0),
        "cssrs_recent-6": yes_no(0),
    }
    response = post(nurse, coded_response(world.patient_a, "cssrs-recent", answers))
    assert response.status_code == 201, response.content
    assert Assessment.objects.get().risk_level == "high"
    assert RiskFlag.objects.get().level == "high"


# --- refused -----------------------------------------------------------------------------


def test_an_unknown_link_id_is_422_naming_it(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    body["item"].append({"linkId": "/99999-9", "answer": [{"valueInteger": 1}]})
    [issue] = refused(nurse, body)
    assert issue["expression"] == ["QuestionnaireResponse.item[11].linkId"]
    assert "/99999-9" in issue["diagnostics"]


def test_an_answer_outside_the_items_value_set_is_422_naming_the_item(
    world: Any, nurse: Client
) -> None:
    body = us_core_example(world.patient_a)
    index = item_index(body, "/44259-0")
    # A real LOINC answer code, but of the difficulty item, not of item 3.
    body["item"][index]["answer"] = _answer("LA6572-7", "Not difficult at all")
    [issue] = refused(nurse, body)
    assert issue["code"] == "code-invalid"
    assert issue["expression"] == [f"QuestionnaireResponse.item[{index}].answer[0].valueCoding"]
    assert "phq9-3" in issue["diagnostics"] and "44259-0" in issue["diagnostics"]
    assert "LA6572-7" in issue["diagnostics"]


def test_a_local_code_or_integer_outside_the_value_set_is_422(world: Any, nurse: Client) -> None:
    answers: dict[str, Any] = {f"phq9-{n}": 0 for n in range(1, 10)}
    answers["phq9-4"] = 4
    answers["phq9-5"] = {"valueCoding": {"system": "http://example.org", "code": "LA6569-3"}}
    issues = refused(nurse, coded_response(world.patient_a, "phq9", answers))
    assert [i["expression"][0] for i in issues] == [
        "QuestionnaireResponse.item[3].answer[0].valueInteger",
        "QuestionnaireResponse.item[4].answer[0].valueCoding",
    ]
    assert "phq9-4" in issues[0]["diagnostics"] and "phq9-5" in issues[1]["diagnostics"]


def test_an_ordinal_value_that_contradicts_the_code_is_422(world: Any, nurse: Client) -> None:
    answers: dict[str, Any] = {f"phq9-{n}": 0 for n in range(1, 10)}
    answers["phq9-2"] = {
        "valueCoding": {
            "system": LOINC,
            "code": "LA6571-9",
            "extension": [
                {"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 1}
            ],
        }
    }
    [issue] = refused(nurse, coded_response(world.patient_a, "phq9", answers))
    assert "phq9-2" in issue["diagnostics"] and "contradicts" in issue["diagnostics"]


def test_a_missing_required_item_is_422_naming_it(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    del body["item"][item_index(body, "/44259-0")]
    [issue] = refused(nurse, body)
    assert issue["code"] == "required"
    assert "phq9-3" in issue["diagnostics"] and "44259-0" in issue["diagnostics"]


def test_an_item_present_without_an_answer_counts_as_missing(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    del body["item"][item_index(body, "/44260-8")]["answer"]
    [issue] = refused(nurse, body)
    assert "phq9-9" in issue["diagnostics"]


def test_a_total_that_disagrees_with_the_answers_is_422(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    index = item_index(body, "/44261-6")
    body["item"][index]["answer"] = [{"valueDecimal": 13}]
    [issue] = refused(nurse, body)
    assert issue["expression"] == [f"QuestionnaireResponse.item[{index}].answer[0]"]
    assert "total disagrees" in issue["diagnostics"]
    assert "13" in issue["diagnostics"] and "12" in issue["diagnostics"]


def test_a_fractional_total_is_422(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    body["item"][item_index(body, "/44261-6")]["answer"] = [{"valueDecimal": 12.5}]
    [issue] = refused(nurse, body)
    assert "whole number" in issue["diagnostics"]


def test_an_item_answered_twice_or_with_two_answers_is_422(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    body["item"].append({"linkId": "phq9-1", "answer": _answer("LA6568-5", "Not at all")})
    [issue] = refused(nurse, body)
    assert issue["code"] == "duplicate" and "phq9-1" in issue["diagnostics"]
    body = us_core_example(world.patient_a)
    body["item"][0]["answer"] += _answer("LA6568-5", "Not at all")
    [issue] = refused(nurse, body)
    assert issue["expression"] == ["QuestionnaireResponse.item[0].answer"]


def test_cssrs_answers_against_its_skip_logic_are_422(world: Any, nurse: Client) -> None:
    answers = {
        "cssrs_recent-1": yes_no(0),
        "cssrs_recent-2": yes_no(0),
        "cssrs_recent-3": yes_no(1),
        "cssrs_recent-6": yes_no(0),
    }
    [issue] = refused(nurse, coded_response(world.patient_a, "cssrs-recent", answers))
    assert issue["expression"] == ["QuestionnaireResponse.item[2]"]
    assert "cssrs_recent-3" in issue["diagnostics"]


@pytest.mark.parametrize(
    ("change", "expression", "words"),
    [
        ({"status": "in-progress"}, "QuestionnaireResponse.status", "completed"),
        ({"status": "amended"}, "QuestionnaireResponse.status", "completed"),
        (
            {"questionnaire": "http://hl7.org/fhir/us/core/Questionnaire/phq-9-example"},
            "QuestionnaireResponse.questionnaire",
            "not one of our",
        ),
        ({"questionnaire": f"{PHQ9_URL}|2"}, "QuestionnaireResponse.questionnaire", "version"),
        ({"questionnaire": None}, "QuestionnaireResponse.questionnaire", "Questionnaire"),
        ({"authored": "2022-11-29"}, "QuestionnaireResponse.authored", "time zone"),
        ({"subject": None}, "QuestionnaireResponse.subject", "Patient/{id}"),
        ({"subject": {"reference": "Group/1"}}, "QuestionnaireResponse.subject", "Patient"),
    ],
)
def test_bad_response_elements_are_422_naming_them(
    world: Any, nurse: Client, change: dict[str, Any], expression: str, words: str
) -> None:
    body = us_core_example(world.patient_a)
    for key, value in change.items():
        if value is None:
            del body[key]
        else:
            body[key] = value
    issues = refused(nurse, body)
    assert issues[0]["expression"] == [expression]
    assert words in issues[0]["diagnostics"]


def test_a_response_authored_in_the_future_is_422(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    body["authored"] = (timezone.now() + timedelta(days=1)).isoformat()
    [issue] = refused(nurse, body)
    assert issue["expression"] == ["QuestionnaireResponse.authored"]
    assert "future" in issue["diagnostics"]


def test_auditc_for_a_patient_without_a_recorded_sex_is_422(world: Any, nurse: Client) -> None:
    patient = make_patient(world.clinic_a, "Alex", "Doe", sex_at_birth="unknown")
    answers = {"auditc-1": 1, "auditc-2": 1, "auditc-3": 1}
    [issue] = refused(nurse, coded_response(patient, "auditc", answers))
    assert "sex" in issue["diagnostics"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("{not json", "not valid JSON"),
        ([], "JSON object"),
        ({"resourceType": "Patient"}, "resourceType"),
        ({"resourceType": "QuestionnaireResponse", "status": "completed", "item": "x"}, "item"),
    ],
)
def test_bodies_that_are_not_questionnaire_responses_are_400(
    world: Any, nurse: Client, body: Any, words: str
) -> None:
    issues = refused(nurse, body, status=400)
    assert words in json.dumps(issues)


def test_other_content_types_are_415(world: Any, nurse: Client) -> None:
    body = json.dumps(us_core_example(world.patient_a))
    response = nurse.post("/fhir/QuestionnaireResponse", data=body, content_type="text/plain")
    assert response.status_code == 415
    assert not Assessment.objects.exists()


# --- who may post --------------------------------------------------------------------------


def test_a_token_is_required(world: Any) -> None:
    refused(Client(), us_core_example(world.patient_a), status=401)


@pytest.mark.parametrize("persona", ["admin_a", "director_a"])
def test_roles_that_do_not_record_assessments_are_403(
    world: Any, token_for: Any, api_client: Any, persona: str
) -> None:
    client = api_client(token_for(getattr(world, persona)))
    [issue] = refused(client, us_core_example(world.patient_a), status=403)
    assert issue["code"] == "forbidden"


@pytest.mark.parametrize("persona", ["prescriber_a", "therapist_a", "intake_a"])
def test_roles_that_record_assessments_may_post(
    world: Any, token_for: Any, api_client: Any, persona: str
) -> None:
    client = api_client(token_for(getattr(world, persona)))
    assert post(client, us_core_example(world.patient_a)).status_code == 201


def test_intake_may_not_post_a_clinician_rated_scale(
    world: Any, token_for: Any, api_client: Any
) -> None:
    client = api_client(token_for(world.intake_a))
    answers = {f"madrs-{n}": 0 for n in range(1, 11)}
    refused(client, coded_response(world.patient_a, "madrs", answers), status=403)


def test_a_clinic_b_token_gets_404_for_a_clinic_a_patient_and_nothing_is_stored(
    world: Any, token_for: Any, api_client: Any
) -> None:
    client = api_client(token_for(world.clinician_b))
    [issue] = refused(client, us_core_example(world.patient_a), status=404)
    assert issue["code"] == "not-found"
    entry = AuditEntry.objects.filter(action="patients.access.refused").get()
    assert entry.actor_id == world.clinician_b.pk
    assert entry.object_id == str(world.patient_a.pk)
    # Clinic B's own patient is fine.
    assert post(client, us_core_example(world.patient_b)).status_code == 201


def test_an_unknown_patient_is_404(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    body["subject"] = {"reference": "Patient/00000000-0000-0000-0000-000000000000"}
    refused(nurse, body, status=404)
    body["subject"] = {"reference": "Patient/not-a-uuid"}
    refused(nurse, body, status=404)
