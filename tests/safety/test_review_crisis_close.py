"""Review of issue #7 items 3 and 4: closing a crisis record that resolves a flag nobody had
acknowledged ends the flag's escalation and notices, and shows as its acknowledgment."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.safety.crisis_actions import do_close_crisis
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.timeline import risk_timeline
from tests.safety.crisis_helpers import actor, high_flag

pytestmark = pytest.mark.django_db

LOW_SCREEN = {"cssrs_recent-1": 1, "cssrs_recent-2": 0, "cssrs_recent-6": 0}


def test_closing_the_crisis_ends_the_flags_escalation_and_unread_notices(world: Any) -> None:
    from ketacare.safety.escalation_models import FlagEscalation, StaffNotification
    from tests.safety.crisis_helpers import record_all
    from tests.safety.helpers import make_prescriber_of, on_call_all_week

    make_prescriber_of(world.patient_a, world.prescriber_a)
    on_call_all_week(world.clinic_a, world.nurse_a)
    flag = high_flag(world.patient_a, world.therapist_a)
    assert StaffNotification.objects.filter(flag=flag, read_at__isnull=True).exists()
    crisis = CrisisRecord.objects.get(flag=flag)
    record_all(world.nurse_a, crisis)
    do_close_crisis(actor(world.prescriber_a), crisis, "Outpatient; plan written.")
    assert FlagEscalation.objects.get(flag=flag).state == "acknowledged"
    assert not StaffNotification.objects.filter(flag=flag, read_at__isnull=True).exists()
    kinds = [e.kind for e in risk_timeline(world.patient_a)]
    assert "acknowledged" in kinds
