"""Review 3: an outpatient crisis follow-up (24–72 h) is reminded when it comes due, once,
to the clinician who recorded the disposition and the patient's prescriber (frozen time)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.core.watch import WATCHERS, run_watch_pass
from ketacare.notify.models import NotificationLog
from ketacare.safety.crisis_actions import do_close_crisis, do_record_step
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.escalation_models import StaffNotification
from ketacare.safety.followup import WATCHER, remind_due_followups
from tests.safety.crisis_helpers import actor, high_flag, record_all
from tests.safety.helpers import make_prescriber_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def noon() -> Iterator[datetime]:
    base = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(base, tick=False):
        yield base


def _closed_outpatient(world: Any) -> CrisisRecord:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    flag = high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=flag)
    record_all(world.nurse_a, crisis)  # outpatient, follow-up in 48 h, recorded by the nurse
    do_close_crisis(actor(world.prescriber_a), crisis, "Outpatient with plan; follow-up booked.")
    crisis.refresh_from_db()
    return crisis


def _reminders(crisis: CrisisRecord) -> list[str]:
    return sorted(
        StaffNotification.objects.filter(text__startswith="Crisis follow-up due").values_list(
            "user__email", flat=True
        )
    )


def test_the_follow_up_is_reminded_when_due_once(world: Any, noon: datetime) -> None:
    assert WATCHER in WATCHERS
    crisis = _closed_outpatient(world)
    assert crisis.follow_up_at == noon + timedelta(hours=48)
    with time_machine.travel(noon + timedelta(hours=47, minutes=59), tick=False):
        assert remind_due_followups(timezone.now()) == 0
    with time_machine.travel(noon + timedelta(hours=48), tick=False):
        assert run_watch_pass()[WATCHER] == 1
        assert remind_due_followups(timezone.now()) == 0  # once
    assert _reminders(crisis) == ["nurse@a.test", "prescriber@a.test"]
    emails = NotificationLog.objects.filter(reference=f"crisisfollowup:{crisis.pk}")
    assert sorted(emails.values_list("to", flat=True)) == ["nurse@a.test", "prescriber@a.test"]
    assert all(world.patient_a.legal_family_name not in e.body for e in emails)
    assert AuditEntry.objects.filter(action="safety.crisis.follow_up_reminded").count() == 1


def test_a_new_follow_up_time_gets_its_own_reminder(world: Any, noon: datetime) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a, world.nurse_a))
    record_all(world.nurse_a, crisis)
    with time_machine.travel(noon + timedelta(hours=48), tick=False):
        assert remind_due_followups(timezone.now()) == 1
        # The patient did not come: a new outpatient disposition, follow-up in 24 h.
        do_record_step(
            actor(world.prescriber_a),
            crisis,
            "disposition",
            {"disposition": "outpatient", "follow_up_at": timezone.now() + timedelta(hours=24)},
        )
    with time_machine.travel(noon + timedelta(hours=72), tick=False):
        assert remind_due_followups(timezone.now()) == 1
    # Nurse and prescriber the first time; the prescriber (author and prescriber) the second.
    assert StaffNotification.objects.filter(text__startswith="Crisis follow-up").count() == 3


def test_old_follow_ups_and_other_dispositions_are_not_announced(
    world: Any, noon: datetime
) -> None:
    crisis = _closed_outpatient(world)
    with time_machine.travel(noon + timedelta(days=10), tick=False):
        assert remind_due_followups(timezone.now()) == 0  # a week stale: not "due now"
    CrisisRecord.objects.filter(pk=crisis.pk).update(disposition="emergency_transfer")
    with time_machine.travel(noon + timedelta(hours=49), tick=False):
        assert remind_due_followups(timezone.now()) == 0
