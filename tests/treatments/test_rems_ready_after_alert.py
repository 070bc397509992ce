"""The REMS form's "clinically ready to leave" time: an alert of the stay raised after the
readings were back in range (severe vomiting at 70 minutes) keeps the patient from being ready
until it was acknowledged; one never acknowledged before they left leaves the time to staff."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert
from ketacare.treatments.rems_form import clinically_ready_at
from ketacare.treatments.side_effects import do_record_side_effect
from ketacare.treatments.state import current_readings
from tests.treatments.session_helpers import NORMAL, actor, answers_for, ready_session

pytestmark = pytest.mark.django_db


def esk(world: Any) -> Any:
    s = ready_session(world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal")
    s = actions.do_record_checks(actor(world.nurse_a), s, answers_for(s), NORMAL)
    calc = actions.session_dose(s)
    s = actions.do_start_dose(
        actor(world.nurse_a),
        s,
        {"lot_number": "L", "expiry": date(2099, 1, 1), "given_mg": calc.dose_mg},
    )
    start = timezone.now()
    for m in (0, 5):
        with time_machine.travel(start + timedelta(minutes=m), tick=False):
            actions.do_record_device(actor(world.nurse_a), s)
    s.refresh_from_db()
    return s, s.observation_started_at


def T(start: Any, m: int) -> Any:
    return time_machine.travel(start + timedelta(minutes=m), tick=False)


def test_a_side_effect_after_the_ready_stretch_counts_until_acknowledged(world: Any) -> None:
    s, start = esk(world)
    with T(start, 40):
        actions.do_record_vitals(actor(world.nurse_a), s, NORMAL)
    with T(start, 70):
        do_record_side_effect(
            actor(world.nurse_a),
            s,
            {
                "code": "vomiting",
                "severity": "severe",
                "intervention_drug": "ondansetron",
                "intervention_dose": "4 mg IV",
            },
        )
    with T(start, 90):
        a = SessionAlert.objects.get(session=s, code="side_effect")
        actions.do_acknowledge_alert(
            actor(world.nurse_a), s, a.pk, "treat", "ondansetron given, settled"
        )
    with T(start, 125):
        actions.do_record_vitals(actor(world.nurse_a), s, NORMAL)
        s = actions.do_discharge(actor(world.nurse_a), s, escort_confirmed=True)
    ready = clinically_ready_at(s, current_readings(s))
    assert ready is not None and ready - start == timedelta(minutes=90)


def test_without_a_later_alert_the_readings_decide(world: Any) -> None:
    s, start = esk(world)
    with T(start, 40):
        actions.do_record_vitals(actor(world.nurse_a), s, NORMAL)
    with T(start, 125):
        actions.do_record_vitals(actor(world.nurse_a), s, NORMAL)
        s = actions.do_discharge(actor(world.nurse_a), s, escort_confirmed=True)
    ready = clinically_ready_at(s, current_readings(s))
    assert ready is not None and ready - start == timedelta(minutes=40)
