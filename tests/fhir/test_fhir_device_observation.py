"""POST /fhir/Observation from a monitor gateway: stored as a session reading through the
chair's own path (same alerts, same transaction), idempotent by identifier, impossible values
refused with a 422 naming the element, scoped to the token's clinic and audited."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.operationoutcome import OperationOutcome

from ketacare.accounts.audit import AuditEntry
from ketacare.fhir.models import ReceivedObservation
from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, TreatmentSession, VitalReading
from tests.fhir.device_helpers import GATEWAY, expression, monitored, observation, post
from tests.treatments.session_helpers import actor, ready_session

pytestmark = pytest.mark.django_db
COMPONENT = "Observation.component"
VALUE = "Observation.valueQuantity"


def device_readings(session: TreatmentSession) -> Any:
    return VitalReading.objects.filter(session=session, source="device")


# --- storing --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "value", "unit", "field", "stored"),
    [
        ("8867-4", 88, "/min", "heart_rate_bpm", 88),
        ("59408-5", 97, "%", "spo2_pct", 97),
        ("2708-6", 96.0, "%", "spo2_pct", 96),
        ("9279-1", 14, "/min", "resp_rate_per_min", 14),
        ("8310-5", 36.8, "Cel", "temperature_c", Decimal("36.8")),
    ],
)
def test_a_single_vital_sign_is_stored_as_a_device_reading(
    session: TreatmentSession,
    nurse: Client,
    code: str,
    value: Any,
    unit: str,
    field: str,
    stored: Any,
) -> None:
    at = timezone.now() - timedelta(seconds=30)
    response = post(nurse, observation(session, code, value, unit=unit, at=at))
    assert response.status_code == 201, response.content
    body = response.json()
    Observation.model_validate(body)
    reading = device_readings(session).get()
    assert getattr(reading, field) == stored
    assert abs((reading.taken_at - at).total_seconds()) < 0.002
    assert body["id"] == response["Location"].rsplit("/", 1)[1]
    assert body["encounter"] == {"reference": f"Encounter/tx-{session.pk}"}
    assert code in [c["code"] for c in body["code"]["coding"]]
    assert body["valueQuantity"]["code"] == unit
    entry = AuditEntry.objects.filter(action="treatments.session.vitals_recorded").last()
    assert entry is not None and entry.detail["source"] == "fhir"
    assert entry.detail["reading"] == reading.pk
    assert entry.patient_id == str(session.patient_id)


def test_a_high_blood_pressure_raises_the_chairs_alert_in_the_same_request(
    session: TreatmentSession, nurse: Client
) -> None:
    response = post(nurse, observation(session, "85354-9", bp=(186, 104)))
    assert response.status_code == 201, response.content
    reading = device_readings(session).get()
    assert (reading.systolic_mmhg, reading.diastolic_mmhg) == (186, 104)
    codes = set(SessionAlert.objects.filter(reading=reading).values_list("code", flat=True))
    # The chair typing the same values raises the same alerts (repeats of the open ones).
    typed = actions.do_record_vitals(
        actor(session.checked_in_by), session, {"systolic_mmhg": 186, "diastolic_mmhg": 104}
    )
    repeated = SessionAlert.objects.filter(last_reading=typed, reading=reading, repeat_count=1)
    assert codes == set(repeated.values_list("code", flat=True))
    assert "bp_high" in codes
    body = response.json()
    Observation.model_validate(body)
    assert [c["valueQuantity"]["value"] for c in body["component"]] == [186, 104]


def test_the_stored_observation_reads_back(session: TreatmentSession, nurse: Client) -> None:
    created = post(nurse, observation(session, "8867-4", 72, unit="/min", identifier="m-1"))
    read = nurse.get(created["Location"])
    assert read.status_code == 200
    Observation.model_validate(read.json())
    assert read.json() == created.json()
    assert read.json()["identifier"] == [{"system": GATEWAY, "value": "m-1"}]
    assert AuditEntry.objects.filter(action="fhir.observation.read").exists()


def test_a_reading_typed_at_the_chair_reads_as_one_observation_per_value(
    session: TreatmentSession, nurse: Client
) -> None:
    typed = actions.do_record_vitals(
        actor(session.checked_in_by),
        session,
        {"systolic_mmhg": 130, "diastolic_mmhg": 80, "spo2_pct": 97},
    )
    bp = nurse.get(f"/fhir/Observation/reading-{typed.pk}-bp")
    spo2 = nurse.get(f"/fhir/Observation/reading-{typed.pk}-spo2")
    assert bp.status_code == spo2.status_code == 200
    assert spo2.json()["valueQuantity"]["value"] == 97
    assert nurse.get(f"/fhir/Observation/reading-{typed.pk}-hr").status_code == 404


# --- idempotency ------------------------------------------------------------------------------


def test_a_resent_identifier_returns_the_stored_observation(
    session: TreatmentSession, nurse: Client
) -> None:
    body = observation(session, "8867-4", 72, unit="/min", identifier="msg-42")
    first = post(nurse, body)
    again = post(nurse, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert device_readings(session).count() == 1
    assert ReceivedObservation.objects.get().value == "msg-42"


def test_if_none_exist_is_an_idempotency_key_too(session: TreatmentSession, nurse: Client) -> None:
    body = observation(session, "8867-4", 72, unit="/min")
    header = {"If-None-Exist": f"identifier={GATEWAY}|hdr-1"}
    first = post(nurse, body, **header)
    again = post(nurse, body, **header)
    assert (first.status_code, again.status_code) == (201, 200)
    assert device_readings(session).count() == 1
    assert first.json()["identifier"] == [{"system": GATEWAY, "value": "hdr-1"}]


def test_if_none_exist_must_name_the_same_identifier(
    session: TreatmentSession, nurse: Client
) -> None:
    body = observation(session, "8867-4", 72, unit="/min", identifier="a")
    response = post(nurse, body, **{"If-None-Exist": f"identifier={GATEWAY}|b"})
    assert response.status_code == 422
    assert expression(response) == "Observation.identifier[0]"
    bad = post(nurse, body, **{"If-None-Exist": "patient=x"})
    assert bad.status_code == 400
    assert not device_readings(session).exists()


def test_the_same_identifier_in_another_clinic_is_another_message(
    world: Any, session: TreatmentSession, nurse: Client, token_for: Any, api_client: Any
) -> None:
    post(nurse, observation(session, "8867-4", 72, unit="/min", identifier="shared"))
    session_b = monitored(world.clinician_b, world.clinician_b, world.patient_b)
    clinician_b = api_client(token_for(world.clinician_b))
    response = post(
        clinician_b, observation(session_b, "8867-4", 75, unit="/min", identifier="shared")
    )
    assert response.status_code == 201
    assert device_readings(session_b).get().heart_rate_bpm == 75


# --- refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "status", "where"),
    [
        ({"code": "59408-5", "value": 140, "unit": "%"}, 422, "Observation.valueQuantity.value"),
        ({"code": "85354-9", "bp": (20, 200)}, 422, f"{COMPONENT}[0].valueQuantity.value"),
        ({"code": "85354-9", "bp": (120, 130)}, 422, f"{COMPONENT}[1].valueQuantity.value"),
        ({"code": "8867-4", "value": 72, "unit": "mm[Hg]"}, 422, "Observation.valueQuantity.code"),
        ({"code": "8310-5", "value": 98.6, "unit": "[degF]"}, 422, f"{VALUE}.code"),
        ({"code": "8867-4", "value": 72.5, "unit": "/min"}, 422, "Observation.valueQuantity.value"),
        ({"code": "8480-6", "value": 120, "unit": "mm[Hg]"}, 422, "Observation.code"),
        ({"code": "29463-7", "value": 70, "unit": "kg"}, 422, "Observation.code"),
        ({"code": "8867-4", "value": "72", "unit": "/min"}, 400, "Observation.valueQuantity.value"),
        ({"code": "8867-4", "unit": "/min"}, 422, "Observation.valueQuantity"),
    ],
)
def test_impossible_or_unusable_values_are_refused_naming_the_element(
    session: TreatmentSession, nurse: Client, kwargs: dict[str, Any], status: int, where: str
) -> None:
    code = kwargs.pop("code")
    response = post(nurse, observation(session, code, **kwargs))
    assert response.status_code == status, response.content
    OperationOutcome.model_validate(response.json())
    assert expression(response) == where
    assert not device_readings(session).exists()
    assert not SessionAlert.objects.filter(session=session).exists()


@pytest.mark.parametrize(
    ("change", "status", "where"),
    [
        ({"status": "preliminary"}, 422, "Observation.status"),
        ({"note": [{"text": "moved"}]}, 422, "Observation.note"),
        ({"valueQuantty": {}}, 400, "Observation.valueQuantty"),
        ({"effectiveDateTime": "2026-12-02"}, 422, "Observation.effectiveDateTime"),
        ({"encounter": {"reference": "Encounter/42"}}, 422, "Observation.encounter.reference"),
        ({"subject": {"reference": "Group/1"}}, 422, "Observation.subject.reference"),
        ({"resourceType": "Patient"}, 400, "Observation.resourceType"),
    ],
)
def test_malformed_observations_are_refused(
    session: TreatmentSession, nurse: Client, change: dict[str, Any], status: int, where: str
) -> None:
    body = observation(session, "8867-4", 72, unit="/min") | change
    response = post(nurse, body)
    assert response.status_code == status, response.content
    assert expression(response) == where
    assert not device_readings(session).exists()


def test_a_time_in_the_future_or_before_check_in_is_refused(
    session: TreatmentSession, nurse: Client
) -> None:
    later = post(
        nurse,
        observation(session, "8867-4", 72, unit="/min", at=timezone.now() + timedelta(hours=1)),
    )
    before = post(
        nurse,
        observation(session, "8867-4", 72, unit="/min", at=timezone.now() - timedelta(days=1)),
    )
    assert later.status_code == before.status_code == 422
    assert expression(later) == expression(before) == "Observation.effectiveDateTime"
    assert not device_readings(session).exists()


def test_a_session_not_being_monitored_refuses_readings(world: Any, nurse: Client) -> None:
    checked_in = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    response = post(nurse, observation(checked_in, "8867-4", 72, unit="/min"))
    assert response.status_code == 422
    assert expression(response) == "Observation.encounter"
    assert not VitalReading.objects.filter(session=checked_in).exists()


def test_the_monitor_feed_goes_on_after_the_dosing_is_stopped_and_ends_at_a_transfer(
    session: TreatmentSession, nurse: Client
) -> None:
    who = actor(session.checked_in_by)
    actions.do_stop_session(who, session, "BP 200/120: infusion stopped", given_mg="20")
    response = post(nurse, observation(session, "85354-9", bp=(196, 118)))
    assert response.status_code == 201, response.content
    reading = device_readings(session).get()
    assert SessionAlert.objects.filter(reading=reading, code="bp_high").exists()
    actions.do_transfer_out(who, session, "BP 220/130 with chest pain: to the ED by ambulance")
    # The patient left two minutes ago: a reading taken since then is not theirs to keep
    # (one taken before it still joins the session: test_fhir_late_readings).
    left = timezone.now() - timedelta(minutes=2)
    TreatmentSession.objects.filter(pk=session.pk).update(ended_at=left)
    response = post(nurse, observation(session, "8867-4", 72, unit="/min"))
    assert response.status_code == 422
    assert expression(response) == "Observation.effectiveDateTime"
    assert device_readings(session).count() == 1


def test_the_patient_must_be_the_sessions(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    from tests.conftest import make_patient

    other = make_patient(session.clinic, "Ada", "Other")
    body = observation(session, "8867-4", 72, unit="/min")
    body["subject"] = {"reference": f"Patient/{other.pk}"}
    response = post(nurse, body)
    assert response.status_code == 422
    assert expression(response) == "Observation.subject.reference"
    assert not device_readings(session).exists()


def test_a_refusal_with_an_identifier_stores_no_key(
    session: TreatmentSession, nurse: Client
) -> None:
    bad = post(nurse, observation(session, "59408-5", 140, unit="%", identifier="k"))
    good = post(nurse, observation(session, "59408-5", 97, unit="%", identifier="k"))
    assert (bad.status_code, good.status_code) == (422, 201)


# --- clinic and role -----------------------------------------------------------------------------


def test_another_clinics_session_is_not_found_and_audited(
    world: Any, session: TreatmentSession, token_for: Any, api_client: Any
) -> None:
    clinician_b = api_client(token_for(world.clinician_b))
    response = post(clinician_b, observation(session, "8867-4", 72, unit="/min"))
    assert response.status_code == 404
    assert expression(response) == "Observation.encounter"
    assert not VitalReading.objects.filter(session=session, source="device").exists()
    refused = AuditEntry.objects.filter(action="patients.access.refused").last()
    assert refused is not None and refused.object_id == str(session.pk)
    assert refused.actor_id == world.clinician_b.pk


def test_another_clinics_reading_is_not_found(
    world: Any, session: TreatmentSession, nurse: Client, token_for: Any, api_client: Any
) -> None:
    created = post(nurse, observation(session, "8867-4", 72, unit="/min"))
    clinician_b = api_client(token_for(world.clinician_b))
    assert clinician_b.get(created["Location"]).status_code == 404


def test_a_role_that_does_not_run_sessions_is_refused(
    world: Any, session: TreatmentSession, token_for: Any, api_client: Any
) -> None:
    therapist = api_client(token_for(world.therapist_a))
    response = post(therapist, observation(session, "8867-4", 72, unit="/min"))
    assert response.status_code == 403
    assert not device_readings(session).exists()


def test_no_token_is_refused(session: TreatmentSession, client: Client) -> None:
    assert post(client, observation(session, "8867-4", 72, unit="/min")).status_code == 401
