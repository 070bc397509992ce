"""The REMS form's auto-filled fields say what the record says (clinical.md §6d): the pre-dose
vitals judged on the vitals alone, the end-of-session vitals on the picture discharge judged,
the monitoring provider from the readings staff typed, and the sex only when the chart has it."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.patients.models import SexAtBirth
from ketacare.treatments import actions, rems_actions
from ketacare.treatments.models import SessionAlert, TreatmentSession
from ketacare.treatments.rems_form import build_form
from tests.fhir.device_helpers import observation
from tests.treatments.session_helpers import NORMAL, actor, answers_for, dosed, ready_session

pytestmark = pytest.mark.django_db

PROCEED_NOTE = "Low dose lorazepam started: proceed, watch the sedation closely."


def esketamine_session(world: Any) -> TreatmentSession:
    return ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )


def held_and_cleared(world: Any, vitals: dict[str, Any], changes: bool) -> TreatmentSession:
    """Pre-dose checks that put the session on hold, the prescriber's decision to proceed, the
    dose started."""
    session = esketamine_session(world)
    answers = answers_for(session)
    classes: list[str] = []
    if changes:
        answers |= {"medication_changes": ("yes", "lorazepam started")}
        classes = ["benzodiazepines"]
    session = actions.do_record_checks(
        actor(world.nurse_a), session, answers, {**NORMAL, **vitals}, classes
    )
    assert session.on_hold
    session = actions.do_clear_hold(actor(world.prescriber_a), session, True, PROCEED_NOTE)
    calc = actions.session_dose(session)
    return actions.do_start_dose(
        actor(world.nurse_a),
        session,
        {"lot_number": "L1", "expiry": date(2099, 1, 1), "given_mg": calc.dose_mg},
    )


def devices_taken(world: Any, session: TreatmentSession) -> Any:
    """Both devices, 5 minutes apart; returns the time of the first."""
    nurse = actor(world.nurse_a)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        actions.do_record_device(nurse, session)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        actions.do_record_device(nurse, session)
    return start


def discharged_at_125(world: Any, session: TreatmentSession, start: Any) -> TreatmentSession:
    with time_machine.travel(start + timedelta(minutes=125), tick=False):
        nurse = actor(world.nurse_a)
        actions.do_record_vitals(nurse, session, NORMAL)
        actions.do_discharge(nurse, session, escort_confirmed=True)
    session.refresh_from_db()
    return session


# --- vital signs acceptable before administration --------------------------------------------


def test_a_hold_for_a_medication_change_does_not_make_the_pre_dose_vitals_unacceptable(
    world: Any,
) -> None:
    session = held_and_cleared(world, {}, changes=True)
    session = discharged_at_125(world, session, devices_taken(world, session))
    field = build_form(session).by_code()["vitals_ok_pre"]
    assert field.value == "Yes", field.source
    assert "within the clinic's limits" in field.source
    assert "other reasons" in field.source
    assert not field.editable


def test_a_pre_dose_bp_hold_answers_no_with_its_reason_and_the_decision_to_proceed(
    world: Any,
) -> None:
    session = held_and_cleared(world, {"systolic_mmhg": 152, "diastolic_mmhg": 88}, changes=True)
    session = discharged_at_125(world, session, devices_taken(world, session))
    field = build_form(session).by_code()["vitals_ok_pre"]
    assert field.value == "No"
    assert "Pre-dose BP 152/88" in field.source
    assert PROCEED_NOTE in field.source
    assert world.prescriber_a.full_name in field.source
    # Only the vital signs are cited: the medication change is not a vitals problem.
    assert any(r.startswith("Medication changed") for r in session.hold_reasons)
    assert "Medication changed" not in field.source


# --- vital signs acceptable before completing the session ------------------------------------


def test_a_heart_rate_rechecked_after_the_last_bp_supersedes_the_older_one(world: Any) -> None:
    session = dosed(world.nurse_a, esketamine_session(world))
    start = devices_taken(world, session)
    nurse = actor(world.nurse_a)
    with time_machine.travel(start + timedelta(minutes=41), tick=False):
        actions.do_record_vitals(nurse, session, NORMAL)
    with time_machine.travel(start + timedelta(minutes=110), tick=False):
        actions.do_record_vitals(nurse, session, {**NORMAL, "heart_rate_bpm": 125})
    with time_machine.travel(start + timedelta(minutes=112), tick=False):
        for alert in SessionAlert.objects.filter(session=session, acknowledged_at__isnull=True):
            actions.do_acknowledge_alert(nurse, session, alert.pk, "repeat_5min")
    with time_machine.travel(start + timedelta(minutes=118), tick=False):
        actions.do_record_vitals(nurse, session, {"heart_rate_bpm": 78, "moaas": 5, "cadss6": 0})
    with time_machine.travel(start + timedelta(minutes=125), tick=False):
        actions.do_discharge(nurse, session, escort_confirmed=True)
    session.refresh_from_db()
    assert session.discharged_at is not None and not session.discharge_override_reason
    field = build_form(session).by_code()["vitals_ok_end"]
    assert field.value == "Yes", field.source
    assert "HR 78/min" in field.source


def test_a_low_spo2_after_the_last_bp_makes_the_end_vitals_unacceptable(world: Any) -> None:
    session = dosed(world.nurse_a, esketamine_session(world))
    start = devices_taken(world, session)
    nurse = actor(world.nurse_a)
    with time_machine.travel(start + timedelta(minutes=41), tick=False):
        actions.do_record_vitals(nurse, session, NORMAL)
    with time_machine.travel(start + timedelta(minutes=100), tick=False):
        actions.do_record_vitals(nurse, session, NORMAL)
    with time_machine.travel(start + timedelta(minutes=105), tick=False):
        actions.do_record_vitals(nurse, session, {"spo2_pct": 86})
    with time_machine.travel(start + timedelta(minutes=110), tick=False):
        actions.do_transfer_out(nurse, session, "Desaturation, to the ED by ambulance.")
    session.refresh_from_db()
    fields = build_form(session).by_code()
    assert fields["vitals_ok_end"].value == "No"
    assert "86" in fields["vitals_ok_end"].source
    # The BP before discharge is still the newest reading that has one.
    assert fields["bp_discharge"].value.startswith("122/78")


def test_a_bp_recheck_with_no_spo2_since_dosing_is_left_for_staff_to_answer(world: Any) -> None:
    session = dosed(world.nurse_a, esketamine_session(world))
    start = devices_taken(world, session)
    nurse = actor(world.nurse_a)
    with time_machine.travel(start + timedelta(minutes=41), tick=False):
        actions.do_record_vitals(
            nurse, session, {"systolic_mmhg": 124, "diastolic_mmhg": 80, "moaas": 5}
        )
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        actions.do_transfer_out(nurse, session, "Chest pain, to the ED by ambulance.")
    session.refresh_from_db()
    field = build_form(session).by_code()["vitals_ok_end"]
    assert field.value is None and field.editable
    assert "SpO₂" in field.source


# --- healthcare provider who monitored the patient -------------------------------------------


def monitor_posts(
    session: TreatmentSession, gateway: Any, start: Any, minutes: tuple[int, ...]
) -> None:
    for m in minutes:
        with time_machine.travel(start + timedelta(minutes=m), tick=False):
            obs = observation(
                session, "59408-5", 97, unit="%", at=timezone.now() - timedelta(seconds=2)
            )
            r = gateway.post(
                "/fhir/Observation", data=json.dumps(obs), content_type="application/fhir+json"
            )
            assert r.status_code == 201, r.content


def test_monitor_readings_do_not_make_the_gateway_owner_the_monitoring_provider(
    world: Any, token_for: Any, api_client: Any
) -> None:
    session = dosed(world.nurse_a, esketamine_session(world))
    start = devices_taken(world, session)
    with time_machine.travel(start + timedelta(minutes=41), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    # The gateway's token belongs to the prescriber: three monitor readings under their name.
    monitor_posts(session, api_client(token_for(world.prescriber_a)), start, (50, 60, 70))
    session = discharged_at_125(world, session, start)
    field = build_form(session).by_code()["monitoring_hcp"]
    assert field.value is not None and world.nurse_a.full_name in field.value
    assert world.prescriber_a.full_name not in field.value
    assert "2 of the 2 readings typed by staff" in field.source


def test_with_only_monitor_readings_staff_name_the_monitoring_provider(
    world: Any, token_for: Any, api_client: Any
) -> None:
    session = dosed(world.nurse_a, esketamine_session(world))
    start = devices_taken(world, session)
    monitor_posts(session, api_client(token_for(world.prescriber_a)), start, (20, 40))
    field = build_form(session).by_code()["monitoring_hcp"]
    assert field.value is None and field.editable
    assert "typed by staff" in field.source
    rems_actions.do_save_rems_entries(
        actor(world.nurse_a), session, {"monitoring_hcp": "Nina Nurse, RN"}
    )
    field = build_form(session).by_code()["monitoring_hcp"]
    assert field.value == "Nina Nurse, RN" and field.entered


# --- sex ----------------------------------------------------------------------------------


def test_a_sex_the_chart_has_as_unknown_is_not_recorded_and_staff_type_it(world: Any) -> None:
    world.patient_a.sex_at_birth = SexAtBirth.UNKNOWN
    world.patient_a.save()
    session = dosed(world.nurse_a, esketamine_session(world))
    devices_taken(world, session)
    field = build_form(session).by_code()["sex"]
    assert field.value is None and field.editable
    rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"sex": "Female"})
    field = build_form(session).by_code()["sex"]
    assert field.value == "Female" and field.entered


def test_a_recorded_sex_is_taken_from_the_chart(world: Any) -> None:
    world.patient_a.sex_at_birth = SexAtBirth.MALE
    world.patient_a.save()
    session = dosed(world.nurse_a, esketamine_session(world))
    devices_taken(world, session)
    field = build_form(session).by_code()["sex"]
    assert field.value == "Male" and not field.editable
