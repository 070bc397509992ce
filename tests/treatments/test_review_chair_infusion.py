"""Review of infusion rate changes (issue 6 item 3): a rate is stored as typed, never rounded
to a different (or zero) rate."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import infusion
from ketacare.treatments.models_chair import InfusionEvent
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["0.001", "0.004", "12.345"])
def test_a_rate_with_more_than_two_decimals_is_refused_not_rounded(world: Any, typed: str) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    with pytest.raises(ActionError) as err:
        infusion.do_infusion_event(
            actor(world.nurse_a), session, "rate", typed, "Patient nauseous, slowing down"
        )
    assert err.value.field == "rate_ml_per_h"
    assert not InfusionEvent.objects.filter(session=session).exists()


def test_a_rate_with_two_decimals_is_kept(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    event = infusion.do_infusion_event(
        actor(world.nurse_a), session, "rate", "42.25", "Patient nauseous, slowing down"
    )
    event.refresh_from_db()
    assert str(event.rate_ml_per_h) == "42.25"


def test_a_pause_never_resumed_ends_with_the_dosing_in_the_timeline(world: Any) -> None:
    from ketacare.treatments import actions

    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    nurse = actor(world.nurse_a)
    infusion.do_infusion_event(nurse, session, "pause", reason="BP 182/104, prescriber called")
    [open_pause] = infusion.timeline(session)
    assert open_pause.stop is None and not open_pause.ended_with_dosing
    ended = actions.do_end_infusion(nurse, infused(session))
    [pause] = infusion.timeline(ended)
    assert pause.stop == ended.dosing_ended_at and pause.ended_with_dosing
