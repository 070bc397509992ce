"""A message about an open flag that has sat queued or "sending" for minutes is visible.

Only a failed send showed on the banner. With no worker running nothing fails: the prescriber's
email and text just wait in the queue, and the staff saw a flag as if everyone had been told.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.utils import timezone

from ketacare.notify.models import NotificationLog
from tests.safety.helpers import make_prescriber_of, raise_flag


def _banner(as_user: Any, user: Any) -> str:
    return str(as_user(user).get("/safety/banner/").json()["html"])


def test_a_message_waiting_past_five_minutes_shows_not_yet_delivered(
    world: Any, as_user: Any
) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    flag = raise_flag(world.patient_a)
    messages = NotificationLog.objects.filter(reference=f"riskflag:{flag.pk}")
    assert messages.exists() and not messages.exclude(status="queued").exists()
    assert "not yet delivered" not in _banner(as_user, world.nurse_a)  # just queued
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        assert "not yet delivered" in _banner(as_user, world.nurse_a)
        messages.update(status="sending")
        assert "not yet delivered" in _banner(as_user, world.nurse_a)
        messages.update(status="sent")
        assert "not yet delivered" not in _banner(as_user, world.nurse_a)
        messages.update(status="failed")
        html = _banner(as_user, world.nurse_a)
        assert "message failed" in html and "not yet delivered" not in html
