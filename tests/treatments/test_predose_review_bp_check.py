"""The ~40-minute BP check (esketamine label, clinical.md §6b [LABEL] S4, S9; REMS form §6d) is
raised again when "BP check overdue" was acknowledged without a BP: the clinic's repeat time
(`repeat_after_min`, §9 [PRACTICE] P2) after the acknowledgement, until a BP is recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import transaction

from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.limits import defaults, do_set_limits
from ketacare.treatments.models import SessionAlert, TreatmentSession
from ketacare.treatments.overdue import raise_overdue_vitals
from ketacare.treatments.readings import NewReading, store_readings
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db
CODE = "bp_check_overdue"


def _esketamine_dosed(world: Any) -> TreatmentSession:
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, "esketamine_nasal"),
    )
    actions.do_record_device(actor(world.nurse_a), session)
    session.refresh_from_db()
    return session


def _open(session: TreatmentSession) -> list[SessionAlert]:
    return [a for a in SessionAlert.objects.filter(session=session, code=CODE) if a.is_open]


def _ack(world: Any, session: TreatmentSession, alert: SessionAlert, at: Any) -> None:
    with time_machine.travel(at, tick=False):
        actions.do_acknowledge_alert(
            actor(world.nurse_a), session, alert.pk, "none_needed", "patient in the bathroom"
        )


def test_acknowledged_without_a_bp_it_comes_back_after_the_repeat_time_until_a_bp(
    world: Any,
) -> None:
    session = _esketamine_dosed(world)
    start = session.observation_started_at
    assert raise_overdue_vitals(start + timedelta(minutes=41)) == 1
    [first] = _open(session)
    _ack(world, session, first, start + timedelta(minutes=42))
    # Not before the clinic's repeat time (default 5 min) after the acknowledgement...
    assert raise_overdue_vitals(start + timedelta(minutes=46)) == 0
    assert _open(session) == []
    # ...then again, counting from the label's time.
    assert raise_overdue_vitals(start + timedelta(minutes=48)) == 1
    [second] = _open(session)
    assert second.due_at == start + timedelta(minutes=47)
    assert "BP check overdue again" in second.message and "(8 min late" in second.message
    assert raise_overdue_vitals(start + timedelta(minutes=49)) == 0  # once while open
    # Acknowledged again without a BP: once more.
    _ack(world, session, second, start + timedelta(minutes=50))
    assert raise_overdue_vitals(start + timedelta(minutes=56)) == 1
    [third] = _open(session)
    # A BP closes it, and nothing more is raised ("then as clinically warranted").
    with time_machine.travel(start + timedelta(minutes=57), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 134, "diastolic_mmhg": 84}
        )
    assert raise_overdue_vitals(start + timedelta(minutes=58)) == 1  # closed
    assert not SessionAlert.objects.get(pk=third.pk).is_open
    assert raise_overdue_vitals(start + timedelta(hours=2)) == 0
    assert SessionAlert.objects.filter(session=session, code=CODE).count() == 3
    assert AuditEntry.objects.filter(action=f"treatments.session.{CODE}").count() == 3


def test_a_bp_after_the_acknowledgement_ends_it(world: Any) -> None:
    session = _esketamine_dosed(world)
    start = session.observation_started_at
    raise_overdue_vitals(start + timedelta(minutes=41))
    [first] = _open(session)
    _ack(world, session, first, start + timedelta(minutes=42))
    with time_machine.travel(start + timedelta(minutes=44), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 130, "diastolic_mmhg": 80}
        )
    assert raise_overdue_vitals(start + timedelta(minutes=50)) == 0
    assert SessionAlert.objects.filter(session=session, code=CODE).count() == 1


def test_a_late_bp_from_before_the_repeat_still_closes_the_repeat(world: Any) -> None:
    """The repeated alert is about the 40-minute check: any BP from shortly before that check
    answers it, even one that arrives late with a time before the repeat's due time."""
    session = _esketamine_dosed(world)
    start = session.observation_started_at
    raise_overdue_vitals(start + timedelta(minutes=41))
    [first] = _open(session)
    _ack(world, session, first, start + timedelta(minutes=42))
    assert raise_overdue_vitals(start + timedelta(minutes=48)) == 1
    [second] = _open(session)
    # A monitor's backlog arrives at minute 49 with a BP taken at minute 35: it answers the
    # 40-minute check (from 10 min before it), though it is before the repeat's own due time.
    with transaction.atomic():
        locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        store_readings(
            actor(world.nurse_a),
            locked,
            [
                NewReading(
                    {"systolic_mmhg": 130, "diastolic_mmhg": 80}, start + timedelta(minutes=35)
                )
            ],
            start + timedelta(minutes=49),
        )
    raise_overdue_vitals(start + timedelta(minutes=50))
    assert not SessionAlert.objects.get(pk=second.pk).is_open


def test_the_repeat_time_is_the_clinics_setting_kept_with_the_session(world: Any) -> None:
    do_set_limits(actor(world.admin_a), world.clinic_a, defaults() | {"repeat_after_min": 10})
    session = _esketamine_dosed(world)
    # A later change of the clinic's settings does not change this session's repeat time.
    do_set_limits(actor(world.admin_a), world.clinic_a, defaults() | {"repeat_after_min": 2})
    start = session.observation_started_at
    raise_overdue_vitals(start + timedelta(minutes=41))
    [first] = _open(session)
    _ack(world, session, first, start + timedelta(minutes=42))
    assert raise_overdue_vitals(start + timedelta(minutes=51)) == 0
    assert raise_overdue_vitals(start + timedelta(minutes=53)) == 1
    [second] = _open(session)
    assert second.due_at == start + timedelta(minutes=52)
