"""An outpatient disposition's follow-up "within 24–72 h" counts real elapsed hours, also across
a daylight-saving change (a wall-clock day across the autumn change is 25 hours), and the
risk timeline names the follow-up time on the clinic's clock, not UTC's."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketacare.accounts.actions import ActionError
from ketacare.clinical.crisis_rules import follow_up_check
from ketacare.safety.crisis_actions import do_record_step
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.crisis_timeline import crisis_timeline_events
from tests.safety.crisis_helpers import actor, high_flag

NY = ZoneInfo("America/New_York")


def _disposition(world: Any, decided: datetime, follow_up: datetime) -> CrisisRecord:
    with time_machine.travel(decided, tick=False):
        crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
        data = {"disposition": "outpatient", "occurred_at": decided, "follow_up_at": follow_up}
        do_record_step(actor(world.prescriber_a), crisis, "disposition", data)
    crisis.refresh_from_db()
    return crisis


@pytest.mark.django_db
def test_follow_up_73_real_hours_out_across_the_autumn_change_is_refused(world: Any) -> None:
    # Friday 12:00 EDT to Monday 12:00 EST: "72 h" on the wall clock, 73 h of real time.
    assert world.clinic_a.time_zone == "America/New_York"
    decided = datetime(2026, 10, 30, 12, 0, tzinfo=NY)
    with pytest.raises(ActionError, match="24–72 hours") as err:
        _disposition(world, decided, datetime(2026, 11, 2, 12, 0, tzinfo=NY))
    assert err.value.field == "follow_up_at"
    # The window is named on the clinic's clock: 72 real hours after 12:00 EDT is 11:00 EST.
    assert "between 2026-10-31 12:00 and 2026-11-02 11:00" in err.value.message


@pytest.mark.django_db
def test_follow_up_24_and_a_half_real_hours_out_across_the_autumn_change_is_accepted(
    world: Any,
) -> None:
    # Saturday 12:00 EDT to Sunday 11:30 EST: 23.5 h on the wall clock, 24.5 h of real time.
    follow_up = datetime(2026, 11, 1, 11, 30, tzinfo=NY)
    crisis = _disposition(world, datetime(2026, 10, 31, 12, 0, tzinfo=NY), follow_up)
    assert crisis.disposition == "outpatient"
    assert crisis.follow_up_at == follow_up


@pytest.mark.django_db
def test_follow_up_23_and_a_half_real_hours_out_across_the_spring_change_is_refused(
    world: Any,
) -> None:
    # Saturday 12:00 EST to Sunday 12:30 EDT: 24.5 h on the wall clock, 23.5 h of real time.
    with pytest.raises(ActionError, match="24–72 hours"):
        _disposition(
            world,
            datetime(2027, 3, 13, 12, 0, tzinfo=NY),
            datetime(2027, 3, 14, 12, 30, tzinfo=NY),
        )


@pytest.mark.parametrize(
    ("zone", "decided", "follow_up", "ok"),
    [
        # Auckland's clocks go back on 2026-04-05 03:00 → 02:00: 72 wall-clock hours are 73.
        ("Pacific/Auckland", datetime(2026, 4, 3, 12, 0), datetime(2026, 4, 6, 12, 0), False),
        ("Pacific/Auckland", datetime(2026, 4, 3, 12, 0), datetime(2026, 4, 6, 11, 0), True),
        # London's go forward on 2027-03-28 01:00 → 02:00: 24 wall-clock hours are 23.
        ("Europe/London", datetime(2027, 3, 27, 12, 0), datetime(2027, 3, 28, 12, 0), False),
        ("Europe/London", datetime(2027, 3, 27, 12, 0), datetime(2027, 3, 28, 13, 0), True),
    ],
)
def test_follow_up_window_is_real_hours_in_other_zones(
    zone: str, decided: datetime, follow_up: datetime, ok: bool
) -> None:
    z = ZoneInfo(zone)
    decision = follow_up_check(decided.replace(tzinfo=z), follow_up.replace(tzinfo=z))
    assert decision.ok is ok


@pytest.mark.django_db
def test_the_risk_timeline_names_the_follow_up_in_the_clinics_time_not_utc(world: Any) -> None:
    # 20:30 in New York on 3 December is 01:30 on the 4th in UTC.
    follow_up = datetime(2026, 12, 3, 20, 30, tzinfo=NY)
    _disposition(world, datetime(2026, 12, 1, 21, 0, tzinfo=NY), follow_up)
    texts = [text for _, kind, text in crisis_timeline_events(world.patient_a) if "disp" in kind]
    assert len(texts) == 1
    assert "follow-up 2026-12-03 20:30" in texts[0]
