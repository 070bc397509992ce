"""Two presses of "I need help now" at the same moment (a double tap, two tabs, the portal and
a link) raise one flag, and both are audited (PostgreSQL only: real concurrent transactions)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.safety.models import RiskFlag
from ketacare.safety.patient_help import do_patient_help

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
def test_two_presses_at_once_raise_one_flag(world: Any) -> None:
    actor = Actor(label="patient", clinic_id=world.clinic_a.pk)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    raised: list[bool] = []

    def press() -> None:
        try:
            barrier.wait()
            raised.append(do_patient_help(actor, world.patient_a, "the portal").raised)
        except BaseException as problem:
            errors.append(problem)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(raised) == [False, True]
    assert RiskFlag.objects.count() == 1
    assert AuditEntry.objects.filter(action="safety.patient.help_requested").count() == 2
