"""GET /fhir/Observation[/{id}]: score Observations derived from assessments (category
survey, LOINC total codes, derivedFrom the QuestionnaireResponse), searched within one clinic."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.clinical.scales import SCALES
from ketacare.measures.actions import do_mark_entered_in_error, do_record_assessment
from ketacare.measures.models import Assessment
from ketacare.patients.models import BodyMeasurement, Patient
from tests.conftest import make_patient

LOINC = "http://loinc.org"
SURVEY = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "survey",
            "display": "Survey",
        }
    ]
}
DAY = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)  # 10:00 in the server's New York time zone
ACTOR = Actor(label="test")


@pytest.fixture(autouse=True)
def _scores_only(request: pytest.FixtureRequest) -> None:
    """These tests are about score Observations: drop the fixture patient's weight and height,
    which would otherwise also appear (as vital-signs Observations) in patient searches."""
    if "world" in request.fixturenames:
        world = request.getfixturevalue("world")
        BodyMeasurement.objects.filter(patient__in=[world.patient_a, world.patient_b]).delete()


def phq9(*values: int) -> dict[str, int]:
    return {f"phq9-{n}": v for n, v in enumerate(values, start=1)}


def record(patient: Patient, scale: str, answers: dict[str, int], when: datetime = DAY) -> Any:
    return do_record_assessment(ACTOR, patient, scale, answers, administered_at=when)


def cssrs(*yes: str) -> dict[str, int]:
    asked = (
        ["1", "2", "6"] + (["3", "4", "5"] if "2" in yes else []) + (["6b"] if "6" in yes else [])
    )
    return {f"cssrs_recent-{n}": int(n in yes) for n in asked}


@pytest.fixture(autouse=True)
def _new_york(settings: Any) -> None:
    # Date-only search values are days in the clinic's time zone (the test clinics are in New
    # York, Clinic.time_zone's default); pin the server's to the same for the expectations.
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def read(client: Client, resource_id: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/Observation/{resource_id}")
    assert response.status_code == expect, response.content
    if expect == 200:
        Observation.model_validate(response.json())
    else:
        OperationOutcome.model_validate(response.json())
    return response.json()


def search(client: Client, query: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/Observation?{query}")
    assert response.status_code == expect, response.content
    body = response.json()
    if expect == 200:
        Bundle.model_validate(body)
        for entry in body.get("entry", []):
            Observation.model_validate(entry["resource"])
    else:
        OperationOutcome.model_validate(body)
    return body


def ids(bundle: dict[str, Any]) -> list[str]:
    return [entry["resource"]["id"] for entry in bundle.get("entry", [])]


def link(bundle: dict[str, Any], relation: str) -> str | None:
    return next((lk["url"] for lk in bundle["link"] if lk["relation"] == relation), None)


def test_a_posted_phq9_yields_a_total_observation(world: Any, nurse: Client) -> None:
    body = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "http://ketacare.org/fhir/Questionnaire/phq9",
        "status": "completed",
        "subject": {"reference": f"Patient/{world.patient_a.pk}"},
        "authored": "2026-01-04T09:30:00Z",
        "item": [
            {"linkId": f"phq9-{n}", "answer": [{"valueInteger": v}]}
            for n, v in enumerate((2, 2, 2, 2, 1, 1, 2, 0, 0), start=1)
        ],
    }
    response = nurse.post(
        "/fhir/QuestionnaireResponse", data=json.dumps(body), content_type="application/fhir+json"
    )
    pk = Assessment.objects.get().pk
    assert response.status_code == 201
    observation = read(nurse, f"assessment-{pk}-total")
    assert observation["id"] == f"assessment-{pk}-total"
    assert observation["status"] == "final"
    assert observation["category"] == [SURVEY]
    assert observation["code"]["coding"] == [
        {
            "system": LOINC,
            "code": "44261-6",
            "display": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
        }
    ]
    assert observation["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert observation["effectiveDateTime"] == "2026-01-04T09:30:00.000Z"
    assert observation["valueInteger"] == 12
    assert observation["interpretation"] == [{"text": "moderate"}]
    assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/qr-{pk}"}]
    # and the response it points to exists
    assert nurse.get(f"/fhir/QuestionnaireResponse/qr-{pk}").status_code == 200


@pytest.mark.parametrize(
    ("yes", "level", "codes"),
    [
        (("1",), "low", [(LOINC, "LA9194-7"), ("cssrs-risk-level", "low")]),
        (("2", "4"), "high", [("cssrs-risk-level", "high")]),
        ((), "none", [("cssrs-risk-level", "none")]),
    ],
)
def test_a_cssrs_yields_a_risk_level_observation(
    world: Any, nurse: Client, yes: tuple[str, ...], level: str, codes: list[tuple[str, str]]
) -> None:
    assessment = record(world.patient_a, "cssrs_recent", cssrs(*yes))
    assert read(nurse, f"assessment-{assessment.pk}-total", expect=404)
    observation = read(nurse, f"assessment-{assessment.pk}-risk")
    assert observation["code"]["coding"] == [
        {"system": LOINC, "code": "93374-7", "display": "Suicide risk level"}
    ]
    value = observation["valueCodeableConcept"]
    assert [
        (c["system"].rsplit("/", 1)[-1] if c["system"] != LOINC else LOINC, c["code"])
        for c in value["coding"]
    ] == codes
    assert value["text"] == level.capitalize()
    assert "valueInteger" not in observation


def test_a_total_without_a_loinc_code_uses_the_local_score_code(world: Any, nurse: Client) -> None:
    assessment = record(world.patient_a, "madrs", {f"madrs-{n}": 2 for n in range(1, 11)})
    observation = read(nurse, f"assessment-{assessment.pk}-total")
    assert observation["code"] == {
        "coding": [{"system": "http://ketacare.org/fhir/CodeSystem/scores", "code": "madrs-total"}],
        "text": f"{SCALES['madrs'].name}: total score",
    }
    assert observation["valueInteger"] == 20


def test_a_scale_without_a_total_has_no_observation(world: Any, nurse: Client) -> None:
    answers = {f"bpi_sf-{n}": 3 for n in ("3", "4", "5", "6", "9a", "9b", "9c", "9d")}
    assessment = record(world.patient_a, "bpi_sf", answers)
    read(nurse, f"assessment-{assessment.pk}-total", expect=404)
    assert search(nurse, f"patient={world.patient_a.pk}")["total"] == 0


def test_no_scale_has_both_a_total_and_a_risk_level() -> None:
    # Searching and paging count assessments: each yields at most one Observation.
    assert SCALES["cssrs_recent"].max_total is None


def test_an_entered_in_error_assessment_gives_an_entered_in_error_observation(
    world: Any, nurse: Client
) -> None:
    assessment = record(world.patient_a, "phq9", phq9(*(1,) * 9))
    do_mark_entered_in_error(ACTOR, assessment, "wrong form")
    assert read(nurse, f"assessment-{assessment.pk}-total")["status"] == "entered-in-error"


def test_a_read_is_audited(world: Any, nurse: Client) -> None:
    assessment = record(world.patient_a, "phq9", phq9(*(1,) * 9))
    read(nurse, f"assessment-{assessment.pk}-total")
    entry = AuditEntry.objects.get(action="fhir.observation.read")
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.detail == {"id": f"assessment-{assessment.pk}-total"}


@pytest.mark.parametrize("resource_id", ["assessment-999999-total", "assessment-1-bmi", "x"])
def test_unknown_ids_are_404(world: Any, nurse: Client, resource_id: str) -> None:
    assert read(nurse, resource_id, expect=404)["issue"][0]["code"] == "not-found"


def test_clinic_b_gets_404_for_a_clinic_a_observation(world: Any, clinician_b: Client) -> None:
    assessment = record(world.patient_a, "phq9", phq9(*(3,) * 9))
    body = read(clinician_b, f"assessment-{assessment.pk}-total", expect=404)
    assert "Lovelace" not in json.dumps(body)
    refusal = AuditEntry.objects.filter(action="patients.access.refused").get()
    assert refusal.actor_id == world.clinician_b.pk
    assert not AuditEntry.objects.filter(action="fhir.observation.read").exists()


def test_clinic_b_searching_for_a_clinic_a_patient_gets_an_empty_bundle(
    world: Any, clinician_b: Client
) -> None:
    record(world.patient_a, "phq9", phq9(*(3,) * 9))
    for query in (f"patient={world.patient_a.pk}", "code=44261-6", ""):
        bundle = search(clinician_b, query)
        assert bundle["total"] == 0 and "entry" not in bundle, query


@pytest.fixture
def history(world: Any) -> dict[str, Assessment]:
    """Patient A: PHQ-9 on Jan 5, 12, 19; GAD-7 on Jan 12; C-SSRS on Jan 19. Another patient:
    one PHQ-9 on Jan 5."""
    week = timedelta(days=7)
    found = {
        "phq9_1": record(world.patient_a, "phq9", phq9(*(0,) * 9), DAY),
        "phq9_2": record(world.patient_a, "phq9", phq9(*(1,) * 9), DAY + week),
        "gad7": record(world.patient_a, "gad7", {f"gad7-{n}": 2 for n in range(1, 8)}, DAY + week),
        "phq9_3": record(world.patient_a, "phq9", phq9(*(2,) * 9), DAY + 2 * week),
        "cssrs": record(world.patient_a, "cssrs_recent", cssrs("1"), DAY + 2 * week),
    }
    other = make_patient(world.clinic_a, "Sam", "Lee")
    found["other"] = record(other, "phq9", phq9(*(0,) * 9), DAY)
    return found


def names(bundle: dict[str, Any], history: dict[str, Assessment]) -> list[str]:
    by_pk = {a.pk: name for name, a in history.items()}
    return [by_pk[int(i.split("-")[1])] for i in ids(bundle)]


def test_search_by_patient_returns_every_score_newest_first(
    world: Any, nurse: Client, history: dict[str, Assessment]
) -> None:
    bundle = search(nurse, f"patient={world.patient_a.pk}")
    assert bundle["total"] == 5
    assert names(bundle, history) == ["cssrs", "phq9_3", "gad7", "phq9_2", "phq9_1"]
    pk = history["cssrs"].pk
    assert bundle["entry"][0]["fullUrl"] == (
        f"http://testserver/fhir/Observation/assessment-{pk}-risk"
    )
    assert search(nurse, "")["total"] == 6  # the whole clinic


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("44261-6", ["phq9_3", "phq9_2", "phq9_1"]),
        ("http://loinc.org|44261-6", ["phq9_3", "phq9_2", "phq9_1"]),
        ("http://snomed.info/sct|44261-6", []),
        ("|44261-6", []),
        ("70274-6", ["gad7"]),
        ("93374-7", ["cssrs"]),
        ("44261-6,70274-6", ["phq9_3", "gad7", "phq9_2", "phq9_1"]),
        ("44249-1", []),  # the panel is not a score
    ],
)
def test_search_by_code(
    world: Any, nurse: Client, history: dict[str, Assessment], code: str, expected: list[str]
) -> None:
    bundle = search(nurse, f"patient={world.patient_a.pk}&code={code}")
    assert names(bundle, history) == expected


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2026-01-12", ["gad7", "phq9_2"]),
        ("eq2026-01", ["cssrs", "phq9_3", "gad7", "phq9_2", "phq9_1"]),
        ("ge2026-01-12", ["cssrs", "phq9_3", "gad7", "phq9_2"]),
        ("gt2026-01-12", ["cssrs", "phq9_3"]),
        ("lt2026-01-12", ["phq9_1"]),
        ("le2026-01-12", ["gad7", "phq9_2", "phq9_1"]),
        ("ne2026-01-12", ["cssrs", "phq9_3", "phq9_1"]),
        ("2025", []),
        ("ge2026-01-05T10:00:00-05:00", ["cssrs", "phq9_3", "gad7", "phq9_2", "phq9_1"]),
        ("gt2026-01-05T15:00:00Z", ["cssrs", "phq9_3", "gad7", "phq9_2"]),
    ],
)
def test_search_by_date(
    world: Any, nurse: Client, history: dict[str, Assessment], date: str, expected: list[str]
) -> None:
    bundle = search(nurse, f"patient={world.patient_a.pk}&date={date.replace('+', '%2B')}")
    assert names(bundle, history) == expected


def test_search_combines_code_date_and_category(
    world: Any, nurse: Client, history: dict[str, Assessment]
) -> None:
    query = f"patient={world.patient_a.pk}&code=44261-6&date=ge2026-01-12&date=lt2026-01-19"
    assert names(search(nurse, query), history) == ["phq9_2"]
    assert search(nurse, f"{query}&category=survey")["total"] == 1
    assert search(nurse, f"{query}&category=vital-signs")["total"] == 0


def test_search_pages_with_links(world: Any, nurse: Client, history: dict[str, Assessment]) -> None:
    first = search(nurse, f"patient={world.patient_a.pk}&_count=2")
    assert first["total"] == 5
    assert names(first, history) == ["cssrs", "phq9_3"]
    next_url = link(first, "next")
    assert next_url is not None
    params = parse_qs(urlsplit(next_url).query)
    assert params["patient"] == [str(world.patient_a.pk)]
    assert params["_offset"] == ["2"]
    second = search(nurse, urlsplit(next_url).query)
    assert names(second, history) == ["gad7", "phq9_2"]
    last = search(nurse, urlsplit(link(second, "last") or "").query)
    assert names(last, history) == ["phq9_1"]
    assert link(last, "next") is None
    assert search(nurse, f"patient={world.patient_a.pk}&_count=0")["total"] == 5


def test_search_is_audited(world: Any, nurse: Client, history: dict[str, Assessment]) -> None:
    search(nurse, f"patient={world.patient_a.pk}&code=44261-6")
    entry = AuditEntry.objects.get(action="fhir.observation.searched")
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.detail["params"] == ["code", "patient"]
    assert entry.detail["results"] == 3
    assert "44261-6" not in json.dumps(entry.detail)


def test_every_role_of_the_clinic_can_search(
    world: Any, token_for: Any, api_client: Any, history: dict[str, Assessment]
) -> None:
    for persona in ("admin_a", "therapist_a", "intake_a", "director_a"):
        client = api_client(token_for(getattr(world, persona)))
        assert search(client, f"patient={world.patient_a.pk}")["total"] == 5


def test_a_token_is_required(world: Any) -> None:
    assert Client().get(f"/fhir/Observation?patient={world.patient_a.pk}").status_code == 401


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("value-quantity=5", "value-quantity"),
        ("code:text=phq", "modifier"),
        ("date=2026-13-01", "not a date"),
        ("date=sa2026-01-01", "prefix"),
        ("date=soon", "date"),
        ("patient=Group/1", "patient"),
        ("patient=a,b", "OR lists"),
        ("_count=-1", "_count"),
    ],
)
def test_bad_search_parameters_are_400_naming_them(
    world: Any, nurse: Client, query: str, words: str
) -> None:
    body = search(nurse, query, expect=400)
    assert words in body["issue"][0]["diagnostics"]


def test_a_patient_id_that_is_not_a_uuid_matches_nothing(world: Any, nurse: Client) -> None:
    assert search(nurse, "patient=12345")["total"] == 0
