"""Review: the protocol interval times the blood pressure (IV: "BP every 10 min during the
infusion and every 15 min after", clinical.md §7e [EVIDENCE] S37). A monitor streaming SpO2
alone, or a score typed alone, must not keep "vitals overdue" from ever firing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert
from ketacare.treatments.overdue import raise_overdue_vitals
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def test_spo2_alone_does_not_answer_the_bp_interval(world: Any, as_user: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    session = actions.do_end_infusion(actor(nurse), infused(session))
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        actions.do_record_vitals(
            actor(nurse), session, {"systolic_mmhg": 128, "diastolic_mmhg": 82}
        )
    for minute in (6, 12, 16):
        with time_machine.travel(start + timedelta(minutes=minute), tick=False):
            actions.do_record_vitals(actor(nurse), session, {"spo2_pct": 97})
    with time_machine.travel(start + timedelta(minutes=19), tick=False):
        actions.do_record_vitals(actor(nurse), session, {"moaas": 5, "cadss6": 0})
        html = as_user(nurse).get("/chairs/live/").content.decode()
    assert "overdue" in html  # the board counts from the BP at minute 2: due at 17
    assert raise_overdue_vitals(start + timedelta(minutes=20)) == 1
    alert = SessionAlert.objects.get(session=session, code="vitals_overdue")
    assert alert.due_at == start + timedelta(minutes=17)
    # A SpO2 after the due time does not close it; a BP does.
    with time_machine.travel(start + timedelta(minutes=21), tick=False):
        actions.do_record_vitals(actor(nurse), session, {"spo2_pct": 98})
    assert raise_overdue_vitals(start + timedelta(minutes=22)) == 0
    assert SessionAlert.objects.get(pk=alert.pk).is_open
    with time_machine.travel(start + timedelta(minutes=23), tick=False):
        actions.do_record_vitals(
            actor(nurse), session, {"systolic_mmhg": 126, "diastolic_mmhg": 80}
        )
    assert raise_overdue_vitals(start + timedelta(minutes=24)) == 1  # closed
    assert not SessionAlert.objects.get(pk=alert.pk).is_open
