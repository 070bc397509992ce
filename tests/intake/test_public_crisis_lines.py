"""The public consultation form, its acknowledgement email and the appointment-link pages give
the crisis lines of the clinic's country (safety settings), not 988 and 911 everywhere."""

from __future__ import annotations

from typing import Any

from django.core import mail
from django.test import Client

from ketacare.safety.escalation_models import SafetySettings
from tests.intake.intake_helpers import form_url, submit
from tests.page_text import without_tokens


def _gb(world: Any) -> None:
    SafetySettings.objects.create(
        clinic=world.clinic_a,
        country="GB",
        extra_lines="Samaritans | 116 123 | Call any time, day or night",
    )


def test_a_gb_clinics_form_and_email_give_its_lines(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    _gb(world)
    body = client.get(form_url(world.clinic_a)).content.decode()
    assert 'href="tel:116123"' in body and "local emergency number" in body
    assert "tel:911" not in body and "tel:988" not in body
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, world.clinic_a).status_code == 302
    [message] = mail.outbox
    assert "Samaritans" in message.body and "local emergency number" in message.body
    assert "988" not in without_tokens(message.body)
    assert "911" not in without_tokens(message.body)
