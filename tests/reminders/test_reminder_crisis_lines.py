"""Appointment reminders carry the crisis lines of the clinic's country (safety settings):
988 and 911 in the US, the clinic's own lines and the local emergency number elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.safety.escalation_models import SafetySettings
from ketacare.scheduling.reminders import email_text, sms_text
from tests.page_text import without_tokens
from tests.reminders.reminder_helpers import appointment, plan_for

pytestmark = pytest.mark.django_db


def _visit(world: Any) -> Any:
    plan = plan_for(
        world.patient_a, world.prescriber_a, "esketamine_trd_us", "esketamine_nasal", "induction"
    )
    return appointment(world.patient_a, plan=plan)


def test_a_us_clinic_gives_988_and_911(world: Any) -> None:
    visit = _visit(world)
    _, body = email_text(visit, "https://example.test/a/x/")
    assert "988" in body and "911" in body
    assert "Crisis: call or text 988; emergency 911." in sms_text(visit, "https://x.test/")


def test_a_gb_clinic_gives_its_own_lines(world: Any) -> None:
    SafetySettings.objects.create(
        clinic=world.clinic_a,
        country="GB",
        extra_lines="Samaritans | 116 123 | Call any time, day or night",
    )
    visit = _visit(world)
    _, body = email_text(visit, "https://example.test/a/x/")
    assert "Samaritans" in body and "116123" in body and "local emergency number" in body
    assert "988" not in without_tokens(body) and "911" not in without_tokens(body)
    sms = sms_text(visit, "https://x.test/")
    assert "Samaritans 116123" in sms and "local emergency number" in sms
    assert "988" not in without_tokens(sms) and "911" not in without_tokens(sms)
