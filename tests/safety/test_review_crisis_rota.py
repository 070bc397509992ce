"""Review of issue #7 item 3: a dated change to the on-call rota can run to midnight (the
evening half of a swapped night shift), with no minute left to the weekly rota."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ketacare.safety.escalation_models import OnCallOverride, OnCallSlot
from ketacare.safety.rota import on_call_at

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")


def test_an_override_from_the_evening_to_midnight_is_accepted(world: Any, as_user: Any) -> None:
    # Weekly: the prescriber covers Monday nights (18:00 → Tuesday 08:00).
    OnCallSlot.objects.create(
        clinic=world.clinic_a, weekday=0, starts=time(18), ends=time(8), user=world.prescriber_a
    )
    admin = as_user(world.admin_a)
    swap = {"form": "override", "on_date": "2026-03-02", "starts": "18:00", "ends": "00:00"}
    response = admin.post("/safety/rota/", {**swap, "user": world.nurse_a.pk})
    assert response.status_code == 302, response.content.decode()[-800:]
    row = OnCallOverride.objects.get()
    assert (row.on_date, row.starts, row.ends) == (date(2026, 3, 2), time(18), time(0))
    for hour, minute in ((18, 0), (23, 59)):
        when = datetime(2026, 3, 2, hour, minute, 30, tzinfo=NY)
        assert on_call_at(world.clinic_a, when) == [world.nurse_a]
    # After midnight (Tuesday) the weekly night slot is back.
    assert on_call_at(world.clinic_a, datetime(2026, 3, 3, 1, tzinfo=NY)) == [world.prescriber_a]


def test_an_override_that_ends_before_it_starts_is_still_refused(world: Any, as_user: Any) -> None:
    admin = as_user(world.admin_a)
    bad = {"form": "override", "on_date": "2026-03-03", "starts": "12:00", "ends": "09:00"}
    response = admin.post("/safety/rota/", {**bad, "user": world.nurse_a.pk})
    assert response.status_code == 400 and 'data-field="ends"' in response.content.decode()
    assert not OnCallOverride.objects.exists()
