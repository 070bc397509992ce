"""GET /fhir/Observation finds the vitals taken at the chair and from monitors, one
Observation per sign, filtered by code, category, patient and date, scoped to the clinic."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle

from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments import actions
from ketacare.treatments.corrections import do_correct_reading
from ketacare.treatments.models import TreatmentSession
from tests.fhir.device_helpers import GATEWAY, observation, post
from tests.treatments.session_helpers import actor

pytestmark = pytest.mark.django_db


def _ids(client: Client, query: str) -> list[str]:
    response = client.get(f"/fhir/Observation?{query}&_count=200")
    assert response.status_code == 200, response.content
    Bundle.model_validate(response.json())
    return [e["resource"]["id"] for e in response.json().get("entry", [])]


def test_chair_and_monitor_readings_are_found_one_observation_per_sign(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    typed = actions.do_record_vitals(
        actor(world.nurse_a), session, {"systolic_mmhg": 128, "diastolic_mmhg": 82, "spo2_pct": 97}
    )
    sent = post(nurse, observation(session, "8867-4", 74, unit="/min", identifier="hr-1"))
    patient = world.patient_a.pk
    found = _ids(nurse, f"patient={patient}&category=vital-signs")
    assert {f"reading-{typed.pk}-bp", f"reading-{typed.pk}-spo2"} <= set(found)
    assert sent.json()["id"] in found
    assert f"reading-{typed.pk}-hr" not in found  # no heart rate in that reading
    only_hr = _ids(nurse, f"patient={patient}&code=http://loinc.org|8867-4")
    assert sent.json()["id"] in only_hr and f"reading-{typed.pk}-bp" not in only_hr
    # Same body as the read by id, the monitor's identifier included.
    search = nurse.get(f"/fhir/Observation?patient={patient}&code=8867-4").json()
    entry = next(e for e in search["entry"] if e["resource"]["id"] == sent.json()["id"])
    assert entry["resource"]["identifier"] == [{"system": GATEWAY, "value": "hr-1"}]
    assert entry["resource"] == nurse.get(sent["Location"]).json()


def test_a_corrected_reading_is_found_as_corrected(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    typed = actions.do_record_vitals(actor(world.nurse_a), session, {"heart_rate_bpm": 180})
    fixed = do_correct_reading(
        actor(world.nurse_a), session, typed.pk, {"heart_rate_bpm": 80}, "Typo: 80, not 180."
    )
    found = _ids(nurse, f"patient={world.patient_a.pk}&code=8867-4")
    assert f"reading-{fixed.pk}-hr" in found and f"reading-{typed.pk}-hr" not in found
    assert nurse.get(f"/fhir/Observation/reading-{typed.pk}-hr").status_code == 200


def test_dates_narrow_the_readings(world: Any, session: TreatmentSession, nurse: Client) -> None:
    typed = actions.do_record_vitals(actor(world.nurse_a), session, {"spo2_pct": 96})
    # A bare date is a day in the clinic's time zone, not UTC (fails 00:00-05:00 UTC otherwise).
    day = typed.taken_at.astimezone(clinic_zone(world.clinic_a)).date()
    patient = world.patient_a.pk
    assert f"reading-{typed.pk}-spo2" in _ids(nurse, f"patient={patient}&date={day}")
    assert f"reading-{typed.pk}-spo2" not in _ids(nurse, f"patient={patient}&date=lt{day}")


def test_another_clinic_finds_none_of_them(
    world: Any, session: TreatmentSession, token_for: Any, api_client: Any
) -> None:
    typed = actions.do_record_vitals(actor(world.nurse_a), session, {"spo2_pct": 96})
    clinician_b = api_client(token_for(world.clinician_b))
    assert f"reading-{typed.pk}-spo2" not in _ids(clinician_b, "category=vital-signs")
    assert _ids(clinician_b, f"patient={world.patient_a.pk}") == []
