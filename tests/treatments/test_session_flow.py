"""The session's order is enforced by the actions: checks before dose, observation before
discharge, a BP hold cleared only by a prescriber, vitals refused when impossible."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.safety.models import RiskFlag
from ketacare.scheduling.models import AppointmentStatus
from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, SessionStatus, VitalReading
from tests.treatments.session_helpers import (
    NORMAL,
    actor,
    answers_for,
    checks_ok,
    dosed,
    infused,
    ready_session,
)

pytestmark = pytest.mark.django_db


def _age(session: Any, minutes: int) -> None:
    """Move the observation clock back `minutes`."""
    type(session).objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=minutes)
    )
    session.refresh_from_db()


def test_dose_is_refused_before_the_checks(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    assert session.status == SessionStatus.CHECKED_IN
    assert session.appointment.status == AppointmentStatus.CHECKED_IN
    with pytest.raises(ActionError) as err:
        actions.do_start_dose(actor(world.nurse_a), session, {"lot_number": "L"})
    assert err.value.field == "checks"
    assert not hasattr(type(session).objects.get(pk=session.pk), "dose_record")


def test_a_check_answered_no_blocks_the_dose(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    answers = answers_for(session) | {"ride_home": ("no", "no one available")}
    session = actions.do_record_checks(actor(world.nurse_a), session, answers, NORMAL)
    assert not session.checks_passed
    assert any("Ride home" in p for p in session.check_problems)
    with pytest.raises(ActionError, match="Ride home"):
        actions.do_start_dose(
            actor(world.nurse_a), session, {"lot_number": "L", "expiry": date(2099, 1, 1)}
        )


def test_an_open_high_risk_flag_blocks_the_dose(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    RiskFlag.objects.create(patient=world.patient_a, level="high", source="manual", reason="x")
    session = checks_ok(world.nurse_a, session)
    assert not session.checks_passed
    assert any("high-risk" in p for p in session.check_problems)


def test_pre_dose_bp_above_limit_holds_until_a_prescriber_decides(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = checks_ok(world.nurse_a, session, systolic_mmhg=152, diastolic_mmhg=88)
    assert session.checks_passed and session.on_hold
    assert actions.dosing_blockers(session)
    with pytest.raises(ActionError, match="prescriber"):
        actions.do_start_dose(actor(world.nurse_a), session, {})
    with pytest.raises(ActionError) as err:
        actions.do_clear_hold(actor(world.prescriber_a), session, True, "  ")
    assert err.value.field == "note"
    session = actions.do_clear_hold(
        actor(world.prescriber_a), session, True, "Anxious; repeat 138/86 after rest."
    )
    assert session.hold_cleared_by_id == world.prescriber_a.pk
    assert actions.dosing_blockers(session) == []
    assert AuditEntry.objects.filter(action="treatments.session.hold_cleared").exists()


def test_prescriber_may_decide_not_to_dose(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = checks_ok(world.nurse_a, session, systolic_mmhg=170, diastolic_mmhg=100)
    session = actions.do_clear_hold(actor(world.prescriber_a), session, False, "BP too high")
    assert session.status == SessionStatus.ABORTED


def test_iv_dose_records_formula_and_observation_starts_at_end_of_infusion(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = dosed(world.nurse_a, session)
    assert session.status == SessionStatus.DOSING
    assert session.observation_started_at is None
    dose = session.dose
    assert dose.calculated_mg == 35  # 0.5 mg/kg x 70 kg
    assert any("70" in line for line in dose.formula)
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    assert session.status == SessionStatus.MONITORING
    assert session.observation_started_at is not None


def test_a_different_dose_needs_a_reason_and_expired_lot_is_refused(world: Any) -> None:
    session = checks_ok(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    base = {"lot_number": "L1", "expiry": date(2099, 1, 1)}
    with pytest.raises(ActionError) as err:
        actions.do_start_dose(actor(world.nurse_a), session, base | {"given_mg": "30"})
    assert err.value.field == "deviation_reason"
    with pytest.raises(ActionError) as err:
        actions.do_start_dose(
            actor(world.nurse_a), session, base | {"given_mg": "35", "expiry": date(2020, 1, 1)}
        )
    assert err.value.field == "expiry"


def test_implausible_vitals_are_refused_naming_the_field_and_nothing_is_stored(
    world: Any,
) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    before = VitalReading.objects.count()
    for values, field in (
        ({"spo2_pct": 140}, "spo2_pct"),
        ({"systolic_mmhg": 20, "diastolic_mmhg": 200}, "systolic_mmhg"),
        ({"moaas": 7}, "moaas"),
        ({"heart_rate_bpm": "fast"}, "heart_rate_bpm"),
    ):
        with pytest.raises(ActionError) as err:
            actions.do_record_vitals(actor(world.nurse_a), session, values)
        assert err.value.field == field
    assert VitalReading.objects.count() == before


def test_high_bp_raises_an_alert_that_is_acknowledged_with_an_action(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    actions.do_record_vitals(
        actor(world.nurse_a), session, {"systolic_mmhg": 186, "diastolic_mmhg": 104}
    )
    codes = set(SessionAlert.objects.filter(session=session).values_list("code", flat=True))
    assert {"bp_high", "bp_rise"} <= codes
    alert = SessionAlert.objects.get(session=session, code="bp_high")
    with pytest.raises(ActionError) as err:
        actions.do_acknowledge_alert(actor(world.nurse_a), session, alert.pk, "dance")
    assert err.value.field == "action"
    actions.do_acknowledge_alert(actor(world.nurse_a), session, alert.pk, "repeat_5min", "ok")
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == world.nurse_a.pk and alert.action == "repeat_5min"
    with pytest.raises(ActionError, match="already"):
        actions.do_acknowledge_alert(actor(world.nurse_a), session, alert.pk, "repeat_5min")


def test_discharge_is_refused_listing_what_is_missing(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    with pytest.raises(actions.DischargeRefused) as err:
        actions.do_discharge(actor(world.nurse_a), session)
    text = " ".join(err.value.reasons)
    assert "Observed 0 min of the required 120" in text
    assert "MOAA/S" in text and "CADSS-6" in text and "Escort" in text


def test_iv_session_from_check_in_to_discharge(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    _age(session, 125)
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    assert session.status == SessionStatus.READY and session.ready_at is not None
    session = actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
    assert session.status == SessionStatus.DISCHARGED
    session.appointment.refresh_from_db()
    assert session.appointment.status == AppointmentStatus.COMPLETED
    assert AuditEntry.objects.filter(
        action="treatments.session.discharged", patient_id=str(world.patient_a.pk)
    ).exists()


def test_esketamine_devices_five_minutes_apart_and_no_override_at_100_minutes(world: Any) -> None:
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    session = dosed(world.nurse_a, session)
    assert session.status == SessionStatus.DOSING and session.dose.devices_planned == 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
    session.refresh_from_db()
    assert session.observation_started_at == start
    with time_machine.travel(start + timedelta(minutes=3), tick=False):
        with pytest.raises(ActionError, match="Wait") as err:
            actions.do_record_device(actor(world.nurse_a), session)
        assert err.value.field == "device"
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING
    with time_machine.travel(start + timedelta(minutes=100), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
        with pytest.raises(actions.DischargeRefused) as err:
            actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
        assert "esketamine" in " ".join(err.value.reasons)
        with pytest.raises(actions.DischargeRefused) as err:
            actions.do_discharge(
                actor(world.prescriber_a),
                session,
                override_reason="feels fine",
                may_override=True,
            )
        assert err.value.field == "override_reason"
    session.refresh_from_db()
    assert session.status != SessionStatus.DISCHARGED
    with time_machine.travel(start + timedelta(minutes=121), tick=False):
        actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
    session.refresh_from_db()
    assert session.status == SessionStatus.DISCHARGED


def test_prescriber_override_is_recorded_with_what_it_waived(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    _age(session, 130)
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL | {"cadss6": 3})
    with pytest.raises(ActionError) as err:
        actions.do_discharge(
            actor(world.nurse_a), session, escort_confirmed=True, override_reason="x"
        )
    assert err.value.field == "override_reason"
    session = actions.do_discharge(
        actor(world.prescriber_a),
        session,
        escort_confirmed=True,
        override_reason="Residual CADSS 3, baseline-like; escort present.",
        may_override=True,
    )
    assert session.status == SessionStatus.DISCHARGED
    assert any("Dissociation" in m for m in session.discharge_missing)


def test_an_override_needs_a_real_reason(world: Any) -> None:
    """ "ok" is not a documented decision: the override reason needs a few words."""
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    for reason in ("ok", "fine"):
        with pytest.raises(ActionError) as err:
            actions.do_discharge(
                actor(world.prescriber_a), session, override_reason=reason, may_override=True
            )
        assert err.value.field == "override_reason" and "at least 2 words" in err.value.message
    session.refresh_from_db()
    assert session.status != SessionStatus.DISCHARGED


def test_racemic_escort_may_be_overridden_with_a_reason(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    _age(session, 130)
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session = actions.do_discharge(
        actor(world.prescriber_a),
        session,
        override_reason="Medical transport booked by the clinic, driver waiting at reception",
        may_override=True,
    )
    assert session.status == SessionStatus.DISCHARGED
    assert any("Escort" in m for m in session.discharge_missing)


def test_esketamine_escort_is_never_overridden(world: Any) -> None:
    """The label's 'leaves with arranged transport' (clinical.md §6c): no override waives it."""
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    session = dosed(world.nurse_a, session)
    start = timezone.now()
    for minutes in (0, 5):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            actions.do_record_device(actor(world.nurse_a), session)
    with time_machine.travel(start + timedelta(minutes=125), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
        with pytest.raises(actions.DischargeRefused) as err:
            actions.do_discharge(
                actor(world.prescriber_a),
                session,
                override_reason="Patient insists on taking the bus home alone",
                may_override=True,
            )
        assert err.value.field == "override_reason"
        assert err.value.reasons[0] == "No override is possible:"
        assert any("Escort" in r for r in err.value.reasons)
        session = actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
    assert session.status == SessionStatus.DISCHARGED


def test_stop_before_dose_aborts_and_needs_a_reason(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    with pytest.raises(ActionError):
        actions.do_stop_session(actor(world.nurse_a), session, "")
    session = actions.do_stop_session(actor(world.nurse_a), session, "patient unwell")
    assert session.status == SessionStatus.ABORTED
