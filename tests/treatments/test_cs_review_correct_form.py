"""Review of the controlled-substance log's correction form (issue 6 item 3): the entry to
correct is named as the log shows it (clinic time, amounts), so the nurse corrects the entry
she means; the list gave UTC times and no amounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from ketacare.treatments import substance_actions as sa
from ketacare.treatments.models_substances import SubstanceEntry
from tests.treatments.session_helpers import actor
from tests.treatments.substance_helpers import vial_lot

pytestmark = pytest.mark.django_db


def test_the_entry_to_correct_is_listed_in_clinic_time_with_its_amounts(
    world: Any, as_user: Any
) -> None:
    world.clinic_a.time_zone = "America/New_York"
    world.clinic_a.save()
    lot = vial_lot(world.nurse_a, world.clinic_a, units=2)
    at = datetime(2026, 3, 10, 15, 5, tzinfo=ZoneInfo("UTC"))  # 11:05 in New York (EDT)
    with time_machine.travel(at, tick=False):
        count = sa.do_record_count(
            actor(world.nurse_a), world.clinic_a, {"lot": lot.pk, "counted_mg": "1000"}
        )
    assert SubstanceEntry.objects.get(pk=count.pk).at == at
    body = as_user(world.nurse_a).get(f"/chairs/substances/lots/{lot.pk}/").content.decode()
    assert f"#{count.pk} · 03-10 11:05 · Stock count · counted 1000 mg" in body
    assert "03-10 15:05" not in body
    # The log table carries the entry's number too, as the form names it.
    assert f"#{count.pk}</small>" in body
    assert timezone.now() > at
