"""Two workers running the watch pass at the same moment page nobody twice (PostgreSQL only:
real concurrent transactions; the stale-claim test in test_escalation.py covers SQLite)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, connections

from ketacare.notify.models import NotificationLog
from ketacare.safety.escalation import escalate_due
from ketacare.safety.escalation_models import EscalationEvent
from ketacare.safety.models import RiskFlag
from tests.safety.helpers import (
    make_prescriber_of,
    on_call_all_week,
    raise_flag,
    set_director,
    set_list,
    utc,
)

pytestmark = pytest.mark.django_db(transaction=True)

T0 = utc("2026-03-03 19:00:00+00:00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
def test_two_workers_at_once_escalate_each_flag_once(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    on_call_all_week(world.clinic_a, world.nurse_a)
    set_list(world.clinic_a, world.therapist_a)
    set_director(world.clinic_a, world.director_a)
    with time_machine.travel(T0, tick=False):
        flags = [raise_flag(world.patient_a) for _ in range(5)]
        # And two written while no receiver ran: both workers find them without a row.
        orphans = [
            RiskFlag.objects.create(patient=world.patient_a, level="high", source="manual")
            for _ in range(2)
        ]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    done: list[int] = []

    def worker() -> None:
        try:
            barrier.wait()
            done.append(escalate_due(T0 + timedelta(minutes=15)))
        except BaseException as problem:
            errors.append(problem)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(done) == len(flags) + len(orphans)  # each flag acted on by one worker only
    for flag in flags:
        escalated = EscalationEvent.objects.filter(flag=flag, kind="escalated")
        assert [e.recipient_id for e in escalated] == [world.therapist_a.pk]
    for orphan in orphans:
        notified = EscalationEvent.objects.filter(flag=orphan, kind="notified")
        assert sorted(e.recipient_id for e in notified) == sorted(
            [world.prescriber_a.pk, world.nurse_a.pk]
        )
    therapist_mail = NotificationLog.objects.filter(to="therapist@a.test").count()
    assert therapist_mail == len(flags)
