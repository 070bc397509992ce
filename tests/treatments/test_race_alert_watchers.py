"""A nurse at the chair and a watch pass touching the same alert at once both finish: neither
is killed as a deadlock victim (PostgreSQL only: real concurrent transactions).

The chair locks the session row, then the alert (acknowledging it, repeating it, correcting
its reading). A watcher that took the alert first and the session second would wait for the
nurse while the nurse waits for it. The interleaving is forced, not hoped for: a third
connection holds the alert row while the watcher, then the nurse, queue behind it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import psycopg
import pytest
import time_machine
from django.db import connection, connections
from django.db.models import Model

from ketacare.treatments import actions
from ketacare.treatments.escalation import escalate_unacknowledged
from ketacare.treatments.models import SessionAlert, StaffNotice, TreatmentSession
from ketacare.treatments.overdue import raise_overdue_vitals
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers"),
]


def _connect(autocommit: bool) -> psycopg.Connection[Any]:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=autocommit,
    )


def _wait_for_lock_waiters(probe: psycopg.Connection[Any], count: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = probe.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
        if row is not None and row[0] >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{count} transaction(s) never queued on the held row")


@contextmanager
def holding_row(model: type[Model], pk: int) -> Iterator[Callable[[int], None]]:
    """Hold one row locked from a third connection; yields a function waiting until n
    transactions queue behind a lock (this one or another they wait for in turn)."""
    gate, probe = _connect(autocommit=False), _connect(autocommit=True)
    try:
        gate.execute(
            f"SELECT 1 FROM {model._meta.db_table} WHERE id = %s FOR UPDATE",  # noqa: S608
            [pk],
        )
        yield lambda n: _wait_for_lock_waiters(probe, n)
    finally:
        gate.rollback()
        gate.close()
        probe.close()


def holding_alert(alert: SessionAlert) -> Any:
    return holding_row(SessionAlert, alert.pk)


def in_thread(work: Callable[[], Any], errors: list[BaseException]) -> threading.Thread:
    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def monitored(world: Any) -> TreatmentSession:
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def test_acknowledging_while_the_escalation_watcher_claims_the_alert(world: Any) -> None:
    session = monitored(world)
    actions.do_record_vitals(actor(world.nurse_a), session, {"heart_rate_bpm": 131})
    alert = SessionAlert.objects.get(session=session)
    errors: list[BaseException] = []
    with holding_alert(alert) as queued:
        watcher = in_thread(
            lambda: escalate_unacknowledged(alert.raised_at + timedelta(minutes=30)), errors
        )
        queued(1)
        nurse = in_thread(
            lambda: actions.do_acknowledge_alert(
                actor(world.nurse_a), session, alert.pk, "repeat_5min"
            ),
            errors,
        )
        queued(2)
    watcher.join()
    nurse.join()
    assert not errors
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.nurse_a
    assert alert.escalated_to == world.prescriber_a
    assert StaffNotice.objects.filter(alert=alert).count() == 1


def test_a_repeat_reading_while_the_escalation_watcher_claims_the_alert(world: Any) -> None:
    session = monitored(world)
    actions.do_record_vitals(actor(world.nurse_a), session, {"heart_rate_bpm": 131})
    alert = SessionAlert.objects.get(session=session)
    errors: list[BaseException] = []
    with holding_alert(alert) as queued:
        watcher = in_thread(
            lambda: escalate_unacknowledged(alert.raised_at + timedelta(minutes=30)), errors
        )
        queued(1)
        nurse = in_thread(
            lambda: actions.do_record_vitals(
                actor(world.nurse_a), session, {"heart_rate_bpm": 133}
            ),
            errors,
        )
        queued(2)
    watcher.join()
    nurse.join()
    assert not errors
    alert.refresh_from_db()
    assert alert.repeat_count == 1
    assert alert.escalated_to == world.prescriber_a
    assert SessionAlert.objects.filter(session=session).count() == 1


def test_acknowledging_an_overdue_alert_while_the_watcher_closes_it(world: Any) -> None:
    session = actions.do_end_infusion(actor(world.nurse_a), infused(monitored(world)))
    start = session.observation_started_at
    assert start is not None
    assert raise_overdue_vitals(start + timedelta(minutes=40)) >= 1
    overdue = SessionAlert.objects.filter(session=session, due_at__isnull=False).order_by("pk")
    alert = overdue.first()
    assert alert is not None
    # A blood pressure arrives: the next pass closes the overdue alert as answered.
    with time_machine.travel(start + timedelta(minutes=40, seconds=30), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 122, "diastolic_mmhg": 78}
        )
    errors: list[BaseException] = []
    with holding_alert(alert) as queued:
        watcher = in_thread(lambda: raise_overdue_vitals(start + timedelta(minutes=41)), errors)
        queued(1)
        nurse = in_thread(
            lambda: actions.do_acknowledge_alert(
                actor(world.nurse_a), session, alert.pk, "repeat_5min"
            ),
            errors,
        )
        queued(2)
    watcher.join()
    nurse.join()
    # The watcher closed it first; the nurse is told so, cleanly (not a deadlock victim).
    assert [str(e) for e in errors] == ["This alert is already acknowledged."]
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
    assert alert.action == "none_needed"
