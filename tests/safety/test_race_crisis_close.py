"""Closing a crisis record while the watch pass escalates its flag: both finish, the flag is
resolved and its escalation stopped (PostgreSQL only: real concurrent transactions).

Closing locks the flag and then stops its escalation; the watcher claims the escalation and
then writes events pointing at the flag. The interleaving is forced: a third connection holds
the escalation row while the watcher, then the close-out, queue behind it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from ketacare.safety.crisis_actions import do_close_crisis
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.escalation import escalate_due
from ketacare.safety.escalation_models import EscalationEvent, FlagEscalation
from ketacare.safety.models import RiskFlag
from tests.safety.crisis_helpers import actor, high_flag, record_all
from tests.safety.helpers import make_prescriber_of, on_call_all_week, set_director, set_list
from tests.treatments.test_race_alert_watchers import holding_row, in_thread

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers"),
]


def test_closing_the_crisis_while_the_watcher_escalates_its_flag(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    on_call_all_week(world.clinic_a, world.nurse_a)
    set_list(world.clinic_a, world.therapist_a)
    set_director(world.clinic_a, world.director_a)
    flag = high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=flag)
    record_all(world.prescriber_a, crisis)
    escalation = FlagEscalation.objects.get(flag=flag)
    errors: list[BaseException] = []
    with holding_row(FlagEscalation, escalation.pk) as queued:
        watcher = in_thread(lambda: escalate_due(escalation.due_at + timedelta(minutes=1)), errors)
        queued(1)
        closing = in_thread(
            lambda: do_close_crisis(actor(world.prescriber_a), crisis, "Safe at home with sister."),
            errors,
        )
        queued(2)
    watcher.join()
    closing.join()
    assert not errors
    flag.refresh_from_db()
    assert flag.status == "resolved"
    escalation.refresh_from_db()
    assert escalation.state == "acknowledged"
    # The watcher went first: the next person was paged once, before the close-out.
    escalated = EscalationEvent.objects.filter(flag=flag, kind="escalated")
    assert [e.recipient_id for e in escalated] == [world.therapist_a.pk]
    assert RiskFlag.objects.get(pk=flag.pk).acknowledged_by == world.prescriber_a
