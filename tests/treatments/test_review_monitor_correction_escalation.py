"""Correcting a reading whose value still alerts closes the original alert as superseded and
raises a new one, which keeps the original's clock: the escalation to the prescriber is not
pushed back by a correction, and an alert already escalated is not escalated again."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from ketacare.treatments import actions
from ketacare.treatments.corrections import do_correct_reading
from ketacare.treatments.escalation import escalate_unacknowledged
from ketacare.treatments.models import SessionAlert, StaffNotice
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def test_correcting_a_still_alerting_reading_keeps_the_escalation_clock(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    start = session.dosing_started_at
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        reading = actions.do_record_vitals(actor(nurse), session, {"heart_rate_bpm": 131})
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        do_correct_reading(actor(nurse), session, reading.pk, {"heart_rate_bpm": 133}, "typo")
    open_alert = SessionAlert.objects.get(session=session, acknowledged_at__isnull=True)
    assert open_alert.code == "hr_out_of_range"
    # The HR has been out of range since minute 1: the prescriber is called at minute 6.
    assert escalate_unacknowledged(start + timedelta(minutes=7)) == 1
    assert StaffNotice.objects.count() == 1


def test_correcting_an_escalated_alert_does_not_call_the_prescriber_again(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    start = session.dosing_started_at
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        reading = actions.do_record_vitals(actor(nurse), session, {"heart_rate_bpm": 131})
    assert escalate_unacknowledged(start + timedelta(minutes=7)) == 1
    with time_machine.travel(start + timedelta(minutes=8), tick=False):
        do_correct_reading(actor(nurse), session, reading.pk, {"heart_rate_bpm": 133}, "typo")
    alert = SessionAlert.objects.get(session=session, acknowledged_at__isnull=True)
    assert alert.escalated_at is not None and alert.escalated_to_id == world.prescriber_a.pk
    assert escalate_unacknowledged(start + timedelta(minutes=20)) == 0
    assert StaffNotice.objects.count() == 1
