"""The chair board as a nurse reads it on a tablet: an alert's whole message (the action to take
is at its end), the repeat count in words, the time of the last update in the clinic's clock."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, TreatmentSession
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def _monitored(world: Any) -> TreatmentSession:
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def test_the_board_shows_the_whole_alert_message_with_its_action(world: Any, as_user: Any) -> None:
    session = _monitored(world)
    actions.do_record_vitals(
        actor(world.nurse_a), session, {"systolic_mmhg": 190, "diastolic_mmhg": 100}
    )
    alert = SessionAlert.objects.get(session=session, code="bp_high")
    assert len(alert.message) > 90 and "prescriber if it persists." in alert.message
    board = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert alert.message in board
    assert "…" not in board


def test_the_repeat_badge_says_readings_in_words_not_only_in_a_tooltip(
    world: Any, as_user: Any
) -> None:
    session = _monitored(world)
    for _ in range(3):
        actions.do_record_vitals(actor(world.nurse_a), session, {"spo2_pct": 90})
    board = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert (
        '<strong class="ts-repeats" data-testid="board-alert-repeats">×3 readings</strong>' in board
    )


def test_the_board_carries_its_update_time_in_the_clinics_24_hour_clock(
    world: Any, as_user: Any
) -> None:
    from datetime import datetime

    import time_machine

    from ketacare.measures.scheduling import clinic_zone

    _monitored(world)
    at = datetime(2026, 12, 3, 18, 51, 39, tzinfo=clinic_zone(world.clinic_a))
    with time_machine.travel(at, tick=False):
        board = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert 'data-testid="board" data-updated="18:51:39"' in board
