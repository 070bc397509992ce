"""Review: discharge judges a blood pressure taken before discharge (clinical.md §6b-c: BP
"until values are consistently at a safe level"; the REMS form asks for the BP before
discharge, §6d), not the ~40-minute one 80 minutes earlier."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, SessionStatus
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def test_esketamine_discharge_needs_a_bp_from_the_pre_discharge_window(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(
        nurse, ready_session(world.prescriber_a, nurse, world.patient_a, "esketamine_nasal")
    )
    actions.do_record_device(actor(nurse), session)
    session.refresh_from_db()
    start = session.observation_started_at
    while session.status == SessionStatus.DOSING:  # the plan's other devices, 5 min apart
        with time_machine.travel(start + timedelta(minutes=6), tick=False):
            actions.do_record_device(actor(nurse), session)
        session.refresh_from_db()
    bp = {"systolic_mmhg": 150, "diastolic_mmhg": 92, "heart_rate_bpm": 80, "spo2_pct": 97}
    scores = {"moaas": 5, "cadss6": 0, "spo2_pct": 98, "heart_rate_bpm": 76}
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        actions.do_record_vitals(actor(nurse), session, bp | {"moaas": 4, "cadss6": 6})
    with time_machine.travel(start + timedelta(minutes=100), tick=False):
        actions.do_record_vitals(actor(nurse), session, scores)  # no BP
    assert not SessionAlert.objects.filter(session=session, acknowledged_at__isnull=True).exists()
    with time_machine.travel(start + timedelta(minutes=121), tick=False):
        session.refresh_from_db()
        with pytest.raises(ActionError) as refused:
            actions.do_discharge(actor(nurse), session, escort_confirmed=True)
        assert "blood pressure" in refused.value.message.lower()
        actions.do_record_vitals(
            actor(nurse), session, {"systolic_mmhg": 128, "diastolic_mmhg": 80}
        )
        session.refresh_from_db()
        assert session.status == SessionStatus.READY
        done = actions.do_discharge(actor(nurse), session, escort_confirmed=True)
    assert done.status == SessionStatus.DISCHARGED
