"""Discharge judges every vital sign's newest value, not only the newest reading with a BP.

A monitor sends one sign per reading and a nurse may recheck only the SpO2, so a low SpO2 or
respiratory rate recorded after the last BP must still hold discharge (clinical.md §6c, §10).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.clinical.discharge import DischargeInputs, discharge_readiness
from ketacare.clinical.vitals import VitalSigns
from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, SessionStatus
from ketacare.treatments.readings import standing_readings
from ketacare.treatments.state import current_readings, picture
from tests.treatments.session_helpers import NORMAL, actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def _observed_for(session: Any, minutes: int) -> Any:
    type(session).objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=minutes)
    )
    session.refresh_from_db()
    return session


def _acknowledge_all(nurse: Any, session: Any) -> None:
    for alert in SessionAlert.objects.filter(session=session, acknowledged_at__isnull=True):
        actions.do_acknowledge_alert(actor(nurse), session, alert.pk, "repeat_5min")
    session.refresh_from_db()


def test_a_low_spo2_after_the_last_bp_holds_discharge(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    session = _observed_for(actions.do_end_infusion(actor(nurse), infused(session)), 125)
    actions.do_record_vitals(actor(nurse), session, NORMAL)
    actions.do_record_vitals(actor(nurse), session, {"spo2_pct": 86, "resp_rate_per_min": 7})
    _acknowledge_all(nurse, session)  # acknowledged, but the values still stand

    assert session.status == SessionStatus.MONITORING
    with pytest.raises(ActionError) as refused:
        actions.do_discharge(actor(nurse), session, escort_confirmed=True)
    assert "SpO2 86" in refused.value.message

    # A normal SpO2 and RR afterwards, again without a BP: ready.
    actions.do_record_vitals(actor(nurse), session, {"spo2_pct": 97, "resp_rate_per_min": 14})
    session.refresh_from_db()
    assert session.status == SessionStatus.READY
    assert actions.do_discharge(actor(nurse), session, escort_confirmed=True).status == (
        SessionStatus.DISCHARGED
    )


def test_the_picture_takes_each_sign_from_its_newest_reading(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    actions.do_record_vitals(actor(nurse), session, NORMAL)
    actions.do_record_vitals(actor(nurse), session, {"heart_rate_bpm": 131})
    actions.do_record_vitals(actor(nurse), session, {"spo2_pct": 90})
    pic = picture(current_readings(session))
    assert pic.latest_vitals is not None
    assert (pic.latest_vitals.systolic_mmhg, pic.latest_vitals.diastolic_mmhg) == (
        NORMAL["systolic_mmhg"],
        NORMAL["diastolic_mmhg"],
    )
    assert pic.latest_vitals.heart_rate_bpm == 131
    assert pic.latest_vitals.spo2_pct == 90
    # The one-query selection used when a reading is stored makes the same picture.
    assert picture(standing_readings(session)) == pic


def test_the_rule_lists_a_sign_out_of_range_even_without_a_bp() -> None:
    now = timezone.now()
    decision = discharge_readiness(
        DischargeInputs(
            now=now,
            observation_started_at=now - timedelta(minutes=200),
            min_observation_min=60,
            esketamine=False,
            latest_vitals=VitalSigns(spo2_pct=85),
            baseline_vitals=None,
            latest_moaas=5,
            baseline_moaas=5,
            latest_cadss6=0,
            open_alerts=0,
            escort_confirmed=True,
        )
    )
    assert not decision.allowed
    assert "No blood pressure recorded before discharge." in decision.missing
    assert any("SpO2 85" in reason for reason in decision.missing)
