"""A high-risk flag raised while the drug is being given stops any more drug that day
(issue #7 item 4): the next esketamine device, resuming a paused infusion and a rate change are
refused; pausing, ending and stopping still work."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions, infusion
from ketacare.treatments.models import DeviceAdministration, SessionStatus
from ketacare.treatments.models_chair import InfusionEvent
from tests.safety.crisis_helpers import high_flag
from tests.treatments.session_helpers import actor, checks_ok, dosed, infused, ready_session

pytestmark = pytest.mark.django_db
LOT = {"lot_number": "LOT-1", "expiry": date(2099, 1, 1)}


def _esketamine(world: Any) -> Any:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a, "esketamine_nasal")
    session = checks_ok(world.nurse_a, session)
    return actions.do_start_dose(actor(world.nurse_a), session, LOT | {"given_mg": "56"})


def test_the_next_device_after_a_high_flag_is_refused(world: Any) -> None:
    session = _esketamine(world)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
        high_flag(world.patient_a, world.nurse_a)  # "I need help now" between the devices
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        with pytest.raises(ActionError) as err:
            actions.do_record_device(actor(world.nurse_a), session)
        assert err.value.field == "device" and "Dosing is blocked" in err.value.message
        assert DeviceAdministration.objects.filter(dose__session=session).count() == 1
        # Stopping the dose still works, and monitoring goes on to discharge.
        stopped = actions.do_stop_session(
            actor(world.nurse_a), session, "Patient in crisis, no more drug today"
        )
    assert stopped.status == SessionStatus.MONITORING


def test_without_a_flag_the_second_device_goes_ahead(world: Any) -> None:
    session = _esketamine(world)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
    with time_machine.travel(start + timedelta(minutes=6), tick=False):
        assert actions.do_record_device(actor(world.nurse_a), session).number == 2


def test_an_infusion_can_be_paused_but_not_resumed_or_changed_under_a_block(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    nurse = actor(world.nurse_a)
    infusion.do_infusion_event(nurse, session, "rate", "40", "Titrating to the plan's rate")
    high_flag(world.patient_a, world.nurse_a)
    with pytest.raises(ActionError) as err:
        infusion.do_infusion_event(nurse, session, "rate", "60", "Titrating up as planned")
    assert err.value.field == "kind" and "Dosing is blocked" in err.value.message
    infusion.do_infusion_event(nurse, session, "pause", reason="Patient distressed, flag raised")
    with pytest.raises(ActionError):
        infusion.do_infusion_event(nurse, session, "resume", "40")
    assert list(InfusionEvent.objects.filter(session=session).values_list("kind", flat=True)) == [
        "rate",
        "pause",
    ]
    ended = actions.do_end_infusion(nurse, infused(session))
    assert ended.status == SessionStatus.MONITORING
