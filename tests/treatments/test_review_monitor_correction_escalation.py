"""Review finding outside this reviewer's files (`treatments/corrections.py`), shown here and
reported: correcting a reading whose value still alerts closes the original alert as "no action
needed" and raises a new one with a fresh clock, so the escalation to the prescriber is pushed
back by the full escalation time on every correction (and an alert already escalated is
escalated a second time). Marked xfail (strict) until corrections.py carries the superseded
alert's raised/escalated times over."""

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


@pytest.mark.xfail(strict=True, reason="corrections.py re-raises with a fresh clock (reported)")
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
