"""Staff pages run in the active clinic's time zone: the times a page shows and the times a
form reads are the clinic's wall clock, not the server's (settings.TIME_ZONE)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from ketacare.treatments import actions
from ketacare.treatments.models import VitalReading
from tests.treatments.session_helpers import NORMAL, actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def _session_with_reading_at(world: Any, at: datetime) -> Any:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    VitalReading.objects.filter(session=session, phase="during").update(taken_at=at)
    return session


@pytest.mark.parametrize("zone", ["America/Los_Angeles", "Europe/London"])
def test_the_session_page_shows_reading_times_in_the_clinics_zone(
    world: Any, as_user: Any, zone: str
) -> None:
    world.clinic_a.time_zone = zone
    world.clinic_a.save(update_fields=["time_zone"])
    at = timezone.now().astimezone(UTC).replace(minute=37, second=0, microsecond=0)
    session = _session_with_reading_at(world, at)
    page = as_user(world.nurse_a).get(f"/patients/{session.patient_id}/sessions/{session.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    local = at.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    server = at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
    assert local in html
    assert server not in html


def test_an_unknown_zone_name_falls_back_to_the_servers(world: Any, as_user: Any) -> None:
    world.clinic_a.time_zone = "Not/AZone"
    world.clinic_a.save(update_fields=["time_zone"])
    at = timezone.now().astimezone(UTC).replace(minute=37, second=0, microsecond=0)
    session = _session_with_reading_at(world, at)
    page = as_user(world.nurse_a).get(f"/patients/{session.patient_id}/sessions/{session.pk}/")
    assert at.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") in page.content.decode()
    # Nothing leaks into the next request or the test's own thread.
    assert str(timezone.get_current_timezone()) == "America/New_York"
