"""A chair action locks its session row only: a nurse at chair 1 holding her session's lock
does not stop chair 2 of the same clinic, nor an audit entry of that clinic (PostgreSQL only).

A FOR UPDATE over the session joined to its plan, patient and clinic locked those rows too,
so every chair action of the clinic, and every insert pointing at the clinic (which takes a
key-share lock on it), queued behind whichever session was being written."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections, transaction

from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions, locking
from ketacare.treatments.models import TreatmentSession
from tests.conftest import make_patient
from tests.treatments.session_helpers import (
    actor,
    appointment,
    consent,
    dosed,
    iv_plan,
    phq9_today,
    ready_session,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers"),
]


def _two_sessions(world: Any) -> tuple[TreatmentSession, TreatmentSession]:
    other = make_patient(world.clinic_a, "Grace", "Second")
    one = dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))
    plan = iv_plan(world.prescriber_a, other)
    consent(world.prescriber_a, other, "iv_racemic")
    phq9_today(other)
    booked = appointment(other, plan, "Chair 2")
    two = actions.do_check_in(actor(world.nurse_a), world.clinic_a, other, booked.pk)
    return one, two


@pytest.mark.parametrize("lock", [actions._locked, locking.lock_row])
def test_holding_one_sessions_lock_leaves_the_clinic_free(world: Any, lock: Any) -> None:
    one, two = _two_sessions(world)
    held, release = threading.Event(), threading.Event()

    def nurse_at_chair_1() -> None:
        try:
            with transaction.atomic():
                lock(one)
                held.set()
                release.wait(20)
        finally:
            connections.close_all()

    worker = threading.Thread(target=nurse_at_chair_1)
    worker.start()
    try:
        assert held.wait(20)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            lock(two)  # chair 2 of the same clinic
            AuditEntry.objects.filter(clinic_id=world.clinic_a.pk).count()
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '2s'")
            from ketacare.accounts.audit import Actor, record

            record(Actor(label="probe"), "test.probe", clinic_id=world.clinic_a.pk)
    finally:
        release.set()
        worker.join(20)
