"""Vital-signs Observations: evaluation baseline vitals (BP panel, heart rate, SpO2) and body
measurements (weight, height, BMI), read by id and found by the existing Observation search
next to the score Observations, within one clinic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.evaluations.actions import do_start_evaluation, do_update_evaluation
from ketacare.evaluations.models import Evaluation, EvaluationStatus
from ketacare.measures.actions import do_record_assessment
from ketacare.patients.actions import do_record_measurement
from ketacare.patients.models import BodyMeasurement, Patient

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACTOR = Actor(label="test")
DAY = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _new_york(settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def evaluation(patient: Patient, when: datetime = DAY, **vitals: Any) -> Evaluation:
    found = do_start_evaluation(ACTOR, patient, "iv_racemic", "trd")
    if vitals:
        do_update_evaluation(ACTOR, found, vitals)
    Evaluation.objects.filter(pk=found.pk).update(created_at=when)
    found.refresh_from_db()
    return found


def measure(patient: Patient, when: datetime, weight: str, height: str | None) -> BodyMeasurement:
    return do_record_measurement(
        ACTOR,
        patient,
        BodyMeasurement(
            measured_at=when,
            weight_kg=Decimal(weight),
            height_cm=Decimal(height) if height else None,
        ),
    )


def read(client: Client, resource_id: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(f"/fhir/Observation/{resource_id}")
    assert response.status_code == expect, response.content
    (Observation if expect == 200 else OperationOutcome).model_validate(response.json())
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


def codes(resource: dict[str, Any]) -> list[str]:
    return [c["code"] for c in resource["code"]["coding"]]


def test_blood_pressure_is_one_panel_with_two_components(world: Any, nurse: Client) -> None:
    found = evaluation(world.patient_a, systolic_mmhg=128, diastolic_mmhg=82)
    bp = read(nurse, f"vitals-bp-{found.pk}")
    assert bp["status"] == "preliminary"  # a draft evaluation
    assert bp["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "vital-signs",
        "display": "Vital Signs",
    }
    assert codes(bp) == ["85354-9"]
    assert bp["subject"] == {"reference": f"Patient/{world.patient_a.pk}"}
    assert bp["effectiveDateTime"] == "2026-01-05T15:00:00.000Z"
    assert [(c["code"]["coding"][0]["code"], c["valueQuantity"]) for c in bp["component"]] == [
        ("8480-6", {"value": 128, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}),
        ("8462-4", {"value": 82, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"}),
    ]
    assert "valueQuantity" not in bp
    # no heart rate or SpO2 recorded: no such Observations
    read(nurse, f"vitals-hr-{found.pk}", expect=404)
    read(nurse, f"vitals-spo2-{found.pk}", expect=404)
    entry = AuditEntry.objects.get(action="fhir.observation.read")
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.detail == {"id": f"vitals-bp-{found.pk}"}


def test_heart_rate_spo2_and_a_signed_evaluation(world: Any, nurse: Client) -> None:
    found = evaluation(world.patient_a, heart_rate_bpm=72, spo2_pct=98, systolic_mmhg=120)
    Evaluation.objects.filter(pk=found.pk).update(
        status=EvaluationStatus.SIGNED, signed_at=timezone.now()
    )
    hr = read(nurse, f"vitals-hr-{found.pk}")
    assert hr["status"] == "final"
    assert codes(hr) == ["8867-4"]
    assert hr["valueQuantity"] == {
        "value": 72,
        "unit": "beats/minute",
        "system": UCUM,
        "code": "/min",
    }
    spo2 = read(nurse, f"vitals-spo2-{found.pk}")
    assert codes(spo2) == ["59408-5", "2708-6"]
    assert spo2["valueQuantity"] == {"value": 98, "unit": "%", "system": UCUM, "code": "%"}
    bp = read(nurse, f"vitals-bp-{found.pk}")
    assert bp["component"][1]["dataAbsentReason"]["coding"][0]["code"] == "unknown"


def test_body_measurements_give_weight_height_and_bmi(world: Any, nurse: Client) -> None:
    m = measure(world.patient_a, DAY, "80.0", "180.0")
    weight = read(nurse, f"weight-{m.pk}")
    assert codes(weight) == ["29463-7"]
    assert weight["valueQuantity"] == {"value": 80.0, "unit": "kg", "system": UCUM, "code": "kg"}
    assert weight["status"] == "final"
    height = read(nurse, f"height-{m.pk}")
    assert codes(height) == ["8302-2"]
    assert height["valueQuantity"]["code"] == "cm" and height["valueQuantity"]["value"] == 180.0
    bmi = read(nurse, f"bmi-{m.pk}")
    assert codes(bmi) == ["39156-5"]
    assert bmi["valueQuantity"] == {"value": 24.7, "unit": "kg/m2", "system": UCUM, "code": "kg/m2"}
    assert bmi["derivedFrom"] == [
        {"reference": f"Observation/weight-{m.pk}"},
        {"reference": f"Observation/height-{m.pk}"},
    ]
    no_height = measure(world.patient_a, DAY, "81.0", None)
    read(nurse, f"weight-{no_height.pk}")
    read(nurse, f"height-{no_height.pk}", expect=404)
    read(nurse, f"bmi-{no_height.pk}", expect=404)


def test_another_clinic_gets_the_same_404_as_an_unknown_id(
    world: Any, nurse: Client, clinician_b: Client
) -> None:
    found = evaluation(world.patient_a, heart_rate_bpm=70)
    m = measure(world.patient_a, DAY, "80.0", "180.0")
    unknown = read(nurse, "weight-999999", expect=404)
    for resource_id in (f"vitals-hr-{found.pk}", f"weight-{m.pk}", f"bmi-{m.pk}"):
        assert read(clinician_b, resource_id, expect=404) == unknown
    assert read(nurse, "vitals-temp-1", expect=404) == unknown
    assert not AuditEntry.objects.filter(action="fhir.observation.read").exists()
    assert AuditEntry.objects.filter(action="patients.access.refused").count() == 5


@pytest.fixture
def chart(world: Any) -> dict[str, Any]:
    """Patient A (besides the fixture's measurement, which is 'now'): a PHQ-9 on Jan 5, an
    evaluation on Jan 6 with BP and HR, a measurement on Jan 7 with height."""
    BodyMeasurement.objects.filter(patient=world.patient_a).update(
        measured_at=DAY - timedelta(days=400)
    )
    phq9 = do_record_assessment(
        ACTOR, world.patient_a, "phq9", {f"phq9-{n}": 1 for n in range(1, 10)}, administered_at=DAY
    )
    ev = evaluation(
        world.patient_a,
        DAY + timedelta(days=1),
        systolic_mmhg=130,
        diastolic_mmhg=85,
        heart_rate_bpm=70,
    )
    m = measure(world.patient_a, DAY + timedelta(days=2), "80.0", "180.0")
    return {"phq9": phq9, "evaluation": ev, "measurement": m}


def test_vitals_join_the_observation_search_by_category_and_code(
    world: Any, nurse: Client, chart: dict[str, Any]
) -> None:
    pk, ev, m = world.patient_a.pk, chart["evaluation"].pk, chart["measurement"].pk
    old = BodyMeasurement.objects.filter(patient=world.patient_a).order_by("measured_at")[0].pk
    vitals = search(nurse, f"patient={pk}&category=vital-signs")
    assert ids(vitals) == [
        f"weight-{m}", f"height-{m}", f"bmi-{m}", f"vitals-bp-{ev}", f"vitals-hr-{ev}",
        f"weight-{old}", f"height-{old}", f"bmi-{old}",
    ]  # fmt: skip
    assert vitals["total"] == 8
    both = search(nurse, f"patient={pk}&category=survey,vital-signs&date=ge2026-01-01")
    assert ids(both) == [
        f"weight-{m}", f"height-{m}", f"bmi-{m}", f"vitals-bp-{ev}", f"vitals-hr-{ev}",
        f"assessment-{chart['phq9'].pk}-total",
    ]  # fmt: skip
    assert ids(search(nurse, f"patient={pk}&code=8867-4")) == [f"vitals-hr-{ev}"]
    assert ids(search(nurse, f"patient={pk}&code=http://loinc.org|85354-9,44261-6")) == [
        f"vitals-bp-{ev}",
        f"assessment-{chart['phq9'].pk}-total",
    ]
    assert ids(search(nurse, f"patient={pk}&code=29463-7&date=2026-01-07")) == [f"weight-{m}"]
    assert search(nurse, f"patient={pk}&code=29463-7&date=2026-01-06")["total"] == 0
    assert search(nurse, f"patient={pk}&code=8480-6")["total"] == 0  # a component, not a code
    assert search(nurse, f"patient={pk}&category=survey")["total"] == 1
    # a search naming neither code nor category returns every Observation, as FHIR defines
    everything = search(nurse, f"patient={pk}")
    assert f"assessment-{chart['phq9'].pk}-total" in ids(everything)
    assert f"vitals-hr-{ev}" in ids(everything) and f"weight-{m}" in ids(everything)


def test_paging_over_scores_and_vitals_is_exact(
    world: Any, nurse: Client, chart: dict[str, Any]
) -> None:
    query = f"patient={world.patient_a.pk}&category=survey,vital-signs"
    everything = ids(search(nurse, f"{query}&_count=100"))
    assert len(everything) == 9
    seen: list[str] = []
    page = search(nurse, f"{query}&_count=2")
    while True:
        assert page["total"] == 9
        seen += ids(page)
        following = next((lk["url"] for lk in page["link"] if lk["relation"] == "next"), None)
        if following is None:
            break
        page = search(nurse, urlsplit(following).query)
    assert seen == everything
    assert search(nurse, f"{query}&_count=0")["total"] == 9
    assert ids(search(nurse, f"{query}&_count=3&_offset=4")) == everything[4:7]
    entry = AuditEntry.objects.filter(action="fhir.observation.searched").first()
    assert entry is not None and entry.patient_id == str(world.patient_a.pk)
    assert entry.detail["params"] == ["category", "patient"]


def test_another_clinic_searching_gets_an_empty_bundle(
    world: Any, clinician_b: Client, chart: dict[str, Any]
) -> None:
    for query in (
        f"patient={world.patient_a.pk}&category=vital-signs",
        "code=29463-7",
        "category=vital-signs",
    ):
        bundle = search(clinician_b, query)
        assert bundle["total"] == 0 and "entry" not in bundle, query


def test_bad_category_list_entries_match_nothing(
    world: Any, nurse: Client, chart: dict[str, Any]
) -> None:
    assert search(nurse, f"patient={world.patient_a.pk}&category=laboratory")["total"] == 0
    assert search(nurse, f"patient={world.patient_a.pk}&category=|vital-signs")["total"] == 0
