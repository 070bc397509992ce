"""Review: a session shown "Ready for discharge" never has an open alert. An alert raised by a
side effect or by the watch pass takes the session back to monitoring (discharge refuses it
anyway; the board must not say ready)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, SessionStatus, TreatmentSession
from ketacare.treatments.overdue import raise_overdue_vitals
from ketacare.treatments.side_effects import do_record_side_effect
from tests.treatments.session_helpers import NORMAL, actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def _ready(world: Any) -> TreatmentSession:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    session = actions.do_end_infusion(actor(nurse), infused(session))
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=125)
    )
    session.refresh_from_db()
    actions.do_record_vitals(actor(nurse), session, NORMAL)
    session.refresh_from_db()
    assert session.status == SessionStatus.READY
    return session


def test_a_severe_side_effect_takes_a_ready_session_back_to_monitoring(
    world: Any, as_user: Any
) -> None:
    session = _ready(world)
    do_record_side_effect(actor(world.nurse_a), session, {"code": "vomiting", "severity": "severe"})
    session.refresh_from_db()
    assert SessionAlert.objects.filter(session=session, code="side_effect").get().is_open
    assert session.status == SessionStatus.MONITORING
    assert session.ready_at is not None  # the first moment ready is kept
    html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert "Ready for discharge" not in html


def test_an_overdue_alert_takes_a_ready_session_back_to_monitoring(world: Any) -> None:
    session = _ready(world)
    assert raise_overdue_vitals(timezone.now() + timedelta(minutes=20)) == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING


def test_closing_an_answered_overdue_alert_lets_the_session_be_ready(world: Any) -> None:
    session = _ready(world)
    later = timezone.now() + timedelta(minutes=20)
    raise_overdue_vitals(later)
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING  # the overdue alert is still open
    assert raise_overdue_vitals(later + timedelta(minutes=2)) == 1  # closed by the watcher
    session.refresh_from_db()
    assert session.status == SessionStatus.READY


def test_the_overdue_message_gives_the_due_time_on_the_clinics_clock(world: Any) -> None:
    world.clinic_a.time_zone = "Asia/Tokyo"
    world.clinic_a.save(update_fields=["time_zone"])
    session = _ready(world)
    later = timezone.now() + timedelta(minutes=20)
    raise_overdue_vitals(later)
    alert = SessionAlert.objects.get(session=session, code="vitals_overdue")
    assert alert.due_at is not None
    tokyo = alert.due_at.astimezone(ZoneInfo("Asia/Tokyo"))
    assert f"due at {tokyo:%H:%M}" in alert.message, alert.message
