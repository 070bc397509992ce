"""GET /fhir/QuestionnaireResponse[/{id}]: every assessment, posted or entered by staff, reads
as a valid R4 QuestionnaireResponse, within the token's clinic only."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.clinical.scales import SCALES
from ketacare.measures.actions import do_mark_entered_in_error, do_record_assessment
from ketacare.measures.models import Assessment
from ketacare.patients.models import BodyMeasurement, Patient
from tests.conftest import make_patient

LOINC = "http://loinc.org"
CSSRS = "cssrs_recent"
WHEN = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)
# PHQ-9 items 1-9 (instruments.md §1)
PHQ9_CODES = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]


@pytest.fixture(autouse=True)
def _scores_only(request: pytest.FixtureRequest) -> None:
    """These tests are about score Observations: drop the fixture patient's weight and height,
    which would otherwise also appear (as vital-signs Observations) in patient searches."""
    if "world" in request.fixturenames:
        world = request.getfixturevalue("world")
        BodyMeasurement.objects.filter(patient__in=[world.patient_a, world.patient_b]).delete()


def phq9(*values: int) -> dict[str, int]:
    return {f"phq9-{n}": v for n, v in enumerate(values, start=1)}


def staff_entry(
    world: Any, patient: Patient, scale: str, answers: dict[str, int], **kw: Any
) -> Any:
    actor = Actor(user_id=world.nurse_a.pk, label="nurse@a.test", role="nurse")
    kw.setdefault("administered_at", WHEN)
    return do_record_assessment(actor, patient, scale, answers, **kw)


def posted_entry(client: Client, patient: Patient, values: tuple[int, ...]) -> Assessment:
    body = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://ketacare.org/fhir/Questionnaire/phq9",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient.pk}"},
        "authored": "2026-01-04T09:30:00Z",
        "item": [
            {"linkId": f"/{code}", "answer": [{"valueInteger": value}]}
            for code, value in zip(PHQ9_CODES, values, strict=True)
        ],
    }
    response = client.post(
        "/fhir/QuestionnaireResponse", data=json.dumps(body), content_type="application/fhir+json"
    )
    assert response.status_code == 201, response.content
    return Assessment.objects.get(pk=int(response.json()["id"].removeprefix("qr-")))


@pytest.fixture(autouse=True)
def _new_york(settings: Any) -> None:
    # Date-only search values are days in the clinic's time zone (the test clinics are in New
    # York, Clinic.time_zone's default); pin the server's to the same for the expectations.
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def read(client: Client, resource_id: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/QuestionnaireResponse/{resource_id}")
    assert response.status_code == expect, response.content
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    if expect == 200:
        assert response["Cache-Control"] == "no-store"
        QuestionnaireResponse.model_validate(response.json())
    else:
        OperationOutcome.model_validate(response.json())
    return response.json()


def search(client: Client, query: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/QuestionnaireResponse?{query}")
    assert response.status_code == expect, response.content
    body = response.json()
    if expect == 200:
        Bundle.model_validate(body)
        for entry in body.get("entry", []):
            QuestionnaireResponse.model_validate(entry["resource"])
    return body


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def test_a_posted_response_reads_back_as_posted_with_our_id(world: Any, nurse: Client) -> None:
    assessment = posted_entry(nurse, world.patient_a, (1, 1, 1, 1, 1, 1, 1, 1, 0))
    body = read(nurse, f"qr-{assessment.pk}")
    assert body["id"] == f"qr-{assessment.pk}"
    assert body["status"] == "completed"
    assert body["authored"] == "2026-01-04T09:30:00Z"
    assert body["item"] == assessment.fhir_response["item"]
    assert body["meta"]["lastUpdated"].endswith("Z")


def test_a_staff_entered_assessment_is_synthesised_with_loinc_codings(
    world: Any, nurse: Client
) -> None:
    answers = {**phq9(2, 2, 2, 2, 1, 1, 2, 0, 0), "phq9-10": 2}
    assessment = staff_entry(world, world.patient_a, "phq9", answers)
    body = read(nurse, f"qr-{assessment.pk}")
    assert body["questionnaire"] == "http://ketacare.org/fhir/Questionnaire/phq9|1"
    assert body["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert body["authored"] == "2026-01-05T15:00:00.000Z"
    assert body["author"] == {"display": world.nurse_a.display_name}
    items = {item["linkId"]: item for item in body["item"]}
    assert items["phq9-1"]["answer"] == [
        {"valueCoding": {"system": LOINC, "code": "LA6570-1", "display": "More than half the days"}}
    ]
    assert items["phq9-10"]["answer"][0]["valueCoding"]["code"] == "LA6575-0"  # Very difficult
    assert items["phq9-total"]["answer"] == [{"valueInteger": 12}]


def test_a_scale_without_loinc_answers_uses_local_codes(world: Any, nurse: Client) -> None:
    assessment = staff_entry(
        world, world.patient_a, "madrs", {f"madrs-{n}": 3 for n in range(1, 11)}
    )
    body = read(nurse, f"qr-{assessment.pk}")
    coding = body["item"][0]["answer"][0]["valueCoding"]
    assert coding["system"] == "http://ketacare.org/fhir/CodeSystem/madrs-answers"
    assert coding["code"] == "3"
    assert body["item"][-1] == {
        "linkId": "madrs-total",
        "text": "Total score",
        "answer": [{"valueInteger": 30}],
    }


@pytest.mark.parametrize(
    "code",
    sorted(SCALES),
)
def test_every_scale_reads_as_a_valid_response_and_observation(
    world: Any, nurse: Client, code: str
) -> None:
    scale = SCALES[code]
    # Every item at its lowest answer; C-SSRS follow-up questions are skipped when Q2/Q6 = No.
    answers = {i.link_id: i.options[0].value for i in scale.items if i.required or code != CSSRS}
    assessment = staff_entry(world, world.patient_a, code, answers)
    body = read(nurse, f"qr-{assessment.pk}")
    assert [item["linkId"] for item in body["item"]][: len(answers)] == list(answers)
    observations = nurse.get(f"/fhir/Observation?patient={world.patient_a.pk}").json()
    for entry in observations.get("entry", []):
        Observation.model_validate(entry["resource"])
        assert entry["resource"]["derivedFrom"] == [
            {"reference": f"QuestionnaireResponse/qr-{assessment.pk}"}
        ]
    assert observations["total"] == (0 if code == "bpi_sf" else 1)


def test_an_entered_in_error_assessment_reads_as_entered_in_error(
    world: Any, nurse: Client
) -> None:
    assessment = posted_entry(nurse, world.patient_a, (0,) * 9)
    do_mark_entered_in_error(Actor(label="test"), assessment, "wrong patient")
    assert read(nurse, f"qr-{assessment.pk}")["status"] == "entered-in-error"


def test_a_read_is_audited(world: Any, nurse: Client) -> None:
    assessment = staff_entry(world, world.patient_a, "phq9", phq9(*(0,) * 9))
    read(nurse, f"qr-{assessment.pk}")
    entry = AuditEntry.objects.get(action="fhir.questionnaire_response.read")
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.object_id == str(assessment.pk)
    assert entry.actor_id == world.nurse_a.pk


@pytest.mark.parametrize("resource_id", ["qr-999999", "999", "qr-x", "qr-0"])
def test_unknown_or_malformed_ids_are_404(world: Any, nurse: Client, resource_id: str) -> None:
    assert read(nurse, resource_id, expect=404)["issue"][0]["code"] == "not-found"


def test_clinic_b_gets_404_for_a_clinic_a_response(
    world: Any, nurse: Client, clinician_b: Client
) -> None:
    assessment = staff_entry(world, world.patient_a, "phq9", phq9(*(1,) * 9))
    body = read(clinician_b, f"qr-{assessment.pk}", expect=404)
    assert body == read(clinician_b, "qr-999999", expect=404)  # the same answer as "missing"
    refusal = AuditEntry.objects.filter(action="patients.access.refused").order_by("-seq")[1]
    assert refusal.actor_id == world.clinician_b.pk
    assert refusal.object_id == f"qr-{assessment.pk}"
    assert not AuditEntry.objects.filter(action="fhir.questionnaire_response.read").exists()


def test_search_by_patient_returns_that_patients_responses_newest_first(
    world: Any, nurse: Client
) -> None:
    older = staff_entry(world, world.patient_a, "phq9", phq9(*(0,) * 9))
    newer = staff_entry(
        world,
        world.patient_a,
        "gad7",
        {f"gad7-{n}": 1 for n in range(1, 8)},
        administered_at=WHEN + timedelta(days=1),
    )
    other = make_patient(world.clinic_a, "Sam", "Lee")
    staff_entry(world, other, "phq9", phq9(*(0,) * 9))
    bundle = search(nurse, f"patient={world.patient_a.pk}")
    assert bundle["total"] == 2
    assert ids(bundle) == [f"qr-{newer.pk}", f"qr-{older.pk}"]
    assert bundle["entry"][0]["fullUrl"] == (
        f"http://testserver/fhir/QuestionnaireResponse/qr-{newer.pk}"
    )
    assert ids(search(nurse, f"patient=Patient/{world.patient_a.pk}")) == ids(bundle)


def test_search_by_questionnaire_and_authored(world: Any, nurse: Client) -> None:
    phq = staff_entry(world, world.patient_a, "phq9", phq9(*(0,) * 9))
    gad = staff_entry(
        world,
        world.patient_a,
        "gad7",
        {f"gad7-{n}": 1 for n in range(1, 8)},
        administered_at=WHEN + timedelta(days=3),
    )
    patient = f"patient={world.patient_a.pk}"
    url = "http://ketacare.org/fhir/Questionnaire/gad7"
    assert ids(search(nurse, f"{patient}&questionnaire={url}")) == [f"qr-{gad.pk}"]
    assert ids(search(nurse, f"{patient}&questionnaire=Questionnaire/phq9")) == [f"qr-{phq.pk}"]
    assert ids(search(nurse, f"{patient}&questionnaire={url}|2")) == []
    assert ids(search(nurse, f"{patient}&authored=ge2026-01-07")) == [f"qr-{gad.pk}"]
    assert ids(search(nurse, f"{patient}&authored=2026-01-05")) == [f"qr-{phq.pk}"]


def test_search_is_audited_with_the_patient(world: Any, nurse: Client) -> None:
    staff_entry(world, world.patient_a, "phq9", phq9(*(0,) * 9))
    search(nurse, f"patient={world.patient_a.pk}")
    entry = AuditEntry.objects.get(action="fhir.questionnaire_response.searched")
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.detail["params"] == ["patient"] and entry.detail["results"] == 1


def test_clinic_b_searching_for_a_clinic_a_patient_gets_an_empty_bundle(
    world: Any, clinician_b: Client
) -> None:
    staff_entry(world, world.patient_a, "phq9", phq9(*(1,) * 9))
    bundle = search(clinician_b, f"patient={world.patient_a.pk}")
    assert bundle["total"] == 0 and "entry" not in bundle
    entry = AuditEntry.objects.get(action="fhir.questionnaire_response.searched")
    assert entry.patient_id == ""
    assert search(clinician_b, "")["total"] == 0


def test_search_query_count_does_not_grow_with_results(world: Any, nurse: Client) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            search(nurse, f"patient={world.patient_a.pk}")
        return len(captured)

    staff_entry(world, world.patient_a, "phq9", phq9(*(0,) * 9))
    queries()  # a fresh token's first use also records last_used_at
    one = queries()
    for _ in range(4):
        staff_entry(world, world.patient_a, "phq9", phq9(*(0,) * 9))
    assert queries() == one


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("subject=Patient/1", "subject"),
        ("patient=Group/1", "patient"),
        ("authored=yesterday", "authored"),
        ("authored=sa2026-01-01", "prefix"),
    ],
)
def test_bad_search_parameters_are_400(world: Any, nurse: Client, query: str, words: str) -> None:
    body = search(nurse, query, expect=400)
    assert words in body["issue"][0]["diagnostics"]
