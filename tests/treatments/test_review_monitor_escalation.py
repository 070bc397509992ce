"""Review: escalation calls the prescriber once per chair and pass, not once per alert. A
monitor posting an out-of-range SpO2 every few seconds repeats one open alert, a worsening
raises another; when nobody acknowledges them, the prescriber gets one notice and one email
naming them all."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from ketacare.accounts.audit import AuditEntry
from ketacare.notify.models import NotificationLog
from ketacare.treatments import actions
from ketacare.treatments.escalation import escalate_unacknowledged
from ketacare.treatments.models import SessionAlert, StaffNotice
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def test_alerts_of_one_chair_due_together_escalate_in_one_notice_and_email(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    start = session.dosing_started_at
    for second in (0, 5, 10, 15):
        with time_machine.travel(start + timedelta(minutes=1, seconds=second), tick=False):
            actions.do_record_vitals(actor(nurse), session, {"spo2_pct": 89})
    with time_machine.travel(start + timedelta(minutes=1, seconds=20), tick=False):
        actions.do_record_vitals(actor(nurse), session, {"spo2_pct": 85})  # critical
        actions.do_record_vitals(actor(nurse), session, {"heart_rate_bpm": 131})
    # The four 89 % readings are one alert (three repeats); 85 % is a new, critical one.
    assert SessionAlert.objects.filter(session=session, code="spo2_low").count() == 2
    assert SessionAlert.objects.filter(session=session).count() == 3

    assert escalate_unacknowledged(start + timedelta(minutes=10)) == 3
    assert not SessionAlert.objects.filter(session=session, escalated_at__isnull=True).exists()
    notice = StaffNotice.objects.get()
    assert notice.user == world.prescriber_a
    assert "SpO2 85" in notice.message  # the most severe alert leads
    assert "2 more" in notice.message
    assert NotificationLog.objects.filter(purpose="treatments.alert_escalated").count() == 1
    entries = AuditEntry.objects.filter(action="treatments.alert.escalated")
    assert entries.count() == 1
    assert len(entries.get().detail["alerts"]) == 3
    # The next pass has nothing left to escalate.
    assert escalate_unacknowledged(start + timedelta(minutes=11)) == 0


def test_with_no_prescriber_to_call_the_alert_is_not_marked_escalated(world: Any) -> None:
    from ketacare.accounts.models import Membership, Role

    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    actions.do_record_vitals(actor(nurse), session, {"heart_rate_bpm": 131})
    alert = SessionAlert.objects.get(session=session)
    Membership.objects.filter(clinic=world.clinic_a, role=Role.PRESCRIBER).update(is_active=False)
    assert escalate_unacknowledged(alert.raised_at + timedelta(minutes=6)) == 0
    alert.refresh_from_db()
    assert alert.escalated_at is None  # the board must not say "escalated": nobody was called
    Membership.objects.filter(clinic=world.clinic_a, role=Role.PRESCRIBER).update(is_active=True)
    assert escalate_unacknowledged(alert.raised_at + timedelta(minutes=7)) == 1
    assert StaffNotice.objects.get().user == world.prescriber_a
