"""Stopping at the chair. Before any drug: the session is aborted. Once a drug has been given,
"stop" stops the dosing only: the amount given is recorded and the session goes on in
monitoring (vitals, alerts, the normal discharge gates, the esketamine 2-hour floor). The only
end without discharge after a drug is an emergency transfer out, with a reason."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.scheduling.models import AppointmentStatus
from ketacare.treatments import actions, infusion
from ketacare.treatments.discharge_sheet import sheet_available
from ketacare.treatments.models import SessionAlert, SessionStatus, TreatmentSession
from ketacare.treatments.rems_form import build_form, owed_sessions
from tests.treatments.session_helpers import NORMAL, actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db

HIGH_BP = "BP 200/120 at 20 minutes: infusion stopped"
TO_ED = "BP 220/130 with chest pain: to the ED by ambulance"


def _iv_dosing(world: Any) -> TreatmentSession:
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def _esk_dosing(world: Any) -> TreatmentSession:
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    return dosed(world.nurse_a, session)


def _age(session: TreatmentSession, minutes: int) -> None:
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=minutes)
    )
    session.refresh_from_db()


# --- stopping the dosing ------------------------------------------------------------------


def test_stopping_an_infusion_for_high_bp_keeps_monitoring_and_accepts_the_next_bps(
    world: Any,
) -> None:
    session = _iv_dosing(world)
    nurse = actor(world.nurse_a)
    actions.do_record_vitals(nurse, session, {"systolic_mmhg": 200, "diastolic_mmhg": 120})
    session = actions.do_stop_session(nurse, session, HIGH_BP, given_mg="20")
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING
    assert session.ended_at is None and session.end_reason == ""
    assert session.dosing_stop_reason == HIGH_BP
    assert session.dosing_ended_by_id == world.nurse_a.pk and session.dosing_ended_at
    # IV: the observation clock starts when the infusion stops.
    assert session.observation_started_at == session.dosing_ended_at
    dose = session.dose
    assert (dose.given_mg, dose.intended_mg) == (Decimal(20), Decimal(35))
    assert dose.stopped_at == session.dosing_ended_at
    entry = AuditEntry.objects.get(action="treatments.session.dosing_stopped")
    assert entry.detail == {"reason": HIGH_BP, "given_mg": "20.00", "intended_mg": "35.00"}
    # The BPs that follow are recorded and still raise alerts.
    later = actions.do_record_vitals(nurse, session, {"systolic_mmhg": 190, "diastolic_mmhg": 112})
    assert SessionAlert.objects.filter(reading=later, code="bp_high").exists()
    # Discharge is judged by the usual gates: refused, listing what is missing.
    with pytest.raises(actions.DischargeRefused) as err:
        actions.do_discharge(nurse, session, escort_confirmed=True)
    text = " ".join(err.value.reasons)
    assert "Observed 0 min" in text and "alert" in text.lower()
    # The infusion is off: no more rate changes or pauses.
    with pytest.raises(ActionError, match="Only while the infusion is running"):
        infusion.do_infusion_event(nurse, session, "pause", reason="BP still high")
    assert not sheet_available(session)


def test_after_a_stop_the_patient_is_discharged_through_the_normal_gates(world: Any) -> None:
    session = actions.do_stop_session(
        actor(world.nurse_a), _iv_dosing(world), HIGH_BP, given_mg="20"
    )
    _age(session, 125)
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    assert session.status == SessionStatus.READY
    session = actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
    assert session.status == SessionStatus.DISCHARGED and sheet_available(session)
    session.appointment.refresh_from_db()
    assert session.appointment.status == AppointmentStatus.COMPLETED


def test_esketamine_stopped_after_one_device_keeps_the_two_hour_floor(world: Any) -> None:
    session = _esk_dosing(world)
    nurse = actor(world.nurse_a)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        actions.do_record_device(nurse, session)
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        session = actions.do_stop_session(nurse, session, "Vomiting after the first device")
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING
    assert session.observation_started_at == start  # from the first device, as ever
    dose = session.dose
    assert (dose.given_mg, dose.intended_mg, dose.devices.count()) == (28, 56, 1)
    with pytest.raises(ActionError) as err:
        actions.do_record_device(nurse, session)
    assert err.value.field == "device"
    with time_machine.travel(start + timedelta(minutes=100), tick=False):
        actions.do_record_vitals(nurse, session, NORMAL)
        with pytest.raises(actions.DischargeRefused) as refused:
            actions.do_discharge(nurse, session, escort_confirmed=True)
        assert "esketamine" in " ".join(refused.value.reasons)
        with pytest.raises(actions.DischargeRefused) as refused:
            actions.do_discharge(
                actor(world.prescriber_a),
                session,
                escort_confirmed=True,
                override_reason="Only one device was given",
                may_override=True,
            )
        assert refused.value.field == "override_reason"
    with time_machine.travel(start + timedelta(minutes=121), tick=False):
        session = actions.do_discharge(nurse, session, escort_confirmed=True)
    assert session.status == SessionStatus.DISCHARGED
    # The REMS form reports what was given.
    assert build_form(session).by_code()["dose"].value == "Other: 28 mg"


def test_a_stop_needs_a_real_reason_and_for_an_infusion_the_amount_given(world: Any) -> None:
    session = _iv_dosing(world)
    nurse = actor(world.nurse_a)
    for reason, given, field in (
        ("", "20", "reason"),
        ("x", "20", "reason"),
        (HIGH_BP, None, "given_mg"),
        (HIGH_BP, "36", "given_mg"),
        (HIGH_BP, "-1", "given_mg"),
        (HIGH_BP, "a lot", "given_mg"),
    ):
        with pytest.raises(ActionError) as err:
            actions.do_stop_session(nurse, session, reason, given_mg=given)
        assert err.value.field == field, (reason, given)
    assert "at least 2 words and 10 characters" in _message(nurse, session, "x", "20")
    assert "between 0 and the 35 mg set to run" in _message(nurse, session, HIGH_BP, "36")
    session.refresh_from_db()
    assert session.status == SessionStatus.DOSING and session.dosing_stop_reason == ""
    assert not AuditEntry.objects.filter(action="treatments.session.dosing_stopped").exists()


def _message(who: Any, session: TreatmentSession, reason: str, given: str) -> str:
    with pytest.raises(ActionError) as err:
        actions.do_stop_session(who, session, reason, given_mg=given)
    return err.value.message


def test_there_is_nothing_to_stop_once_dosing_has_ended(world: Any) -> None:
    session = actions.do_end_infusion(actor(world.nurse_a), infused(_iv_dosing(world)))
    with pytest.raises(ActionError) as err:
        actions.do_stop_session(actor(world.nurse_a), session, HIGH_BP)
    assert err.value.field == "reason" and "transfer out" in err.value.message
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING


# --- before any drug: abort ---------------------------------------------------------------


def test_esketamine_stopped_before_the_first_device_is_aborted_with_nothing_given(
    world: Any,
) -> None:
    session = _esk_dosing(world)
    assert not actions.drug_given(session)
    session = actions.do_stop_session(actor(world.nurse_a), session, "Patient declined")
    session.refresh_from_db()
    assert session.status == SessionStatus.ABORTED and session.end_reason == "Patient declined"
    assert session.observation_started_at is None
    assert (session.dose.given_mg, session.dose.intended_mg) == (0, 56)
    assert AuditEntry.objects.filter(action="treatments.session.aborted").exists()
    assert not owed_sessions(world.clinic_a).filter(pk=session.pk).exists()


def test_a_transfer_before_any_drug_is_refused(world: Any) -> None:
    checked_in = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    with pytest.raises(ActionError) as err:
        actions.do_transfer_out(actor(world.nurse_a), checked_in, TO_ED)
    assert err.value.field == "reason"
    checked_in.refresh_from_db()
    assert checked_in.status == SessionStatus.CHECKED_IN


# --- transfer out -------------------------------------------------------------------------


def test_a_transfer_out_ends_the_session_without_discharge(world: Any) -> None:
    session = actions.do_end_infusion(actor(world.nurse_a), infused(_iv_dosing(world)))
    with pytest.raises(ActionError) as err:
        actions.do_transfer_out(actor(world.nurse_a), session, "ED")
    assert err.value.field == "reason" and "10 characters" in err.value.message
    with pytest.raises(ActionError, match="Only a nurse or a prescriber"):
        actions.do_transfer_out(actor(world.therapist_a), session, TO_ED)
    session = actions.do_transfer_out(actor(world.nurse_a), session, TO_ED)
    session.refresh_from_db()
    assert session.status == SessionStatus.TRANSFERRED and not session.is_active
    assert session.end_reason == TO_ED and session.ended_by_id == world.nurse_a.pk
    assert session.discharged_at is None and not sheet_available(session)
    assert session.dosing_stop_reason == ""  # the infusion had ended normally
    session.appointment.refresh_from_db()
    assert session.appointment.status == AppointmentStatus.COMPLETED
    entry = AuditEntry.objects.get(action="treatments.session.transferred_out")
    assert entry.detail == {"reason": TO_ED} and entry.actor_id == world.nurse_a.pk
    with pytest.raises(ActionError):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    with pytest.raises(ActionError):
        actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
    with pytest.raises(ActionError):
        actions.do_transfer_out(actor(world.prescriber_a), session, TO_ED)


def test_a_transfer_while_infusing_stops_the_dosing_with_the_amount_given(world: Any) -> None:
    session = _iv_dosing(world)
    with pytest.raises(ActionError) as err:
        actions.do_transfer_out(actor(world.prescriber_a), session, TO_ED)
    assert err.value.field == "given_mg"
    session = actions.do_transfer_out(actor(world.prescriber_a), session, TO_ED, given_mg="15")
    session.refresh_from_db()
    assert session.status == SessionStatus.TRANSFERRED
    assert session.dosing_stop_reason == f"Transferred out: {TO_ED}"
    assert session.dose.given_mg == 15 and session.dose.stopped_at is not None
    entry = AuditEntry.objects.get(action="treatments.session.transferred_out")
    assert entry.detail["given_mg"] == "15.00"


def test_a_transferred_esketamine_session_still_owes_its_rems_form(world: Any) -> None:
    session = _esk_dosing(world)
    actions.do_record_device(actor(world.nurse_a), session)
    session = actions.do_transfer_out(actor(world.nurse_a), session, TO_ED)
    session.refresh_from_db()
    assert session.dose.given_mg == 28
    assert owed_sessions(world.clinic_a).filter(pk=session.pk).exists()
    assert build_form(session).by_code()["dose"].value == "Other: 28 mg"


# --- the pages ------------------------------------------------------------------------------


def _url(session: TreatmentSession, step: str = "") -> str:
    return f"/patients/{session.patient_id}/sessions/{session.pk}/{step}"


def test_the_page_offers_abort_before_a_drug_then_stop_dosing_and_transfer(
    world: Any, as_user: Any
) -> None:
    nurse = as_user(world.nurse_a)
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    page = nurse.get(_url(session)).content.decode()
    assert 'data-testid="abort-form"' in page and 'data-testid="transfer-form"' not in page
    session = dosed(world.nurse_a, session)
    page = nurse.get(_url(session)).content.decode()
    assert 'data-testid="stop-dosing-form"' in page and 'data-testid="transfer-form"' in page
    assert 'name="given_mg"' in page and 'data-testid="abort-form"' not in page
    # Refused: the amount given is missing, named on the form; nothing changes.
    response = nurse.post(_url(session, "stop/"), {"reason": HIGH_BP})
    assert response.status_code == 400
    assert 'data-field="given_mg"' in response.content.decode()
    response = nurse.post(_url(session, "stop/"), {"reason": HIGH_BP, "given_mg": "20"})
    assert response.status_code == 302
    page = nurse.get(_url(session)).content.decode()
    assert 'data-testid="dosing-stopped"' in page and "Given 20 mg of 35 mg" in page
    assert 'data-testid="vitals-form"' in page and 'data-testid="transfer-form"' in page
    assert 'data-testid="stop-dosing-form"' not in page
    assert nurse.post(_url(session, "vitals/"), {"systolic_mmhg": "188", "diastolic_mmhg": "112"})[
        "Location"
    ].endswith("#vitals")
    # The transfer: a real reason, named on the form when missing.
    response = nurse.post(_url(session, "transfer/"), {"reason": "ED"})
    assert response.status_code == 400 and 'data-field="reason"' in response.content.decode()
    assert nurse.post(_url(session, "transfer/"), {"reason": TO_ED}).status_code == 302
    page = nurse.get(_url(session)).content.decode()
    assert "Transferred out" in page and TO_ED in page
    assert 'data-testid="vitals-form"' not in page and 'data-testid="sheet-link"' not in page
    assert nurse.get(_url(session, "discharge-sheet/")).status_code == 400


def test_a_stop_after_dosing_ended_is_shown_on_the_page(world: Any, as_user: Any) -> None:
    session = actions.do_end_infusion(actor(world.nurse_a), infused(_iv_dosing(world)))
    response = as_user(world.nurse_a).post(_url(session, "stop/"), {"reason": HIGH_BP})
    assert response.status_code == 400
    assert 'data-testid="error"' in response.content.decode()
    assert "transfer out" in response.content.decode()


@pytest.mark.parametrize("who", ["therapist_a", "intake_a", "director_a"])
def test_staff_outside_the_chair_cannot_transfer(world: Any, as_user: Any, who: str) -> None:
    session = _iv_dosing(world)
    client = as_user(getattr(world, who))
    response = client.post(_url(session, "transfer/"), {"reason": TO_ED, "given_mg": "10"})
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == SessionStatus.DOSING


def test_the_board_keeps_a_stopped_session_and_marks_it(world: Any, as_user: Any) -> None:
    session = actions.do_stop_session(
        actor(world.nurse_a), _iv_dosing(world), HIGH_BP, given_mg="20"
    )
    nurse = as_user(world.nurse_a)
    board = nurse.get("/chairs/live/").content.decode()
    assert f'data-testid="tile-{session.pk}"' in board
    assert f'data-testid="dosing-stopped-{session.pk}"' in board
    actions.do_transfer_out(actor(world.nurse_a), session, TO_ED)
    board = nurse.get("/chairs/live/").content.decode()
    assert f'data-testid="tile-{session.pk}"' not in board
