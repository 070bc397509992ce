"""A message backend named wrongly stops the worker at start with the reason, instead of every
message failing later."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def ids() -> list[str]:
    return [m.id for m in run_checks(tags=["ketacare"]) if m.id.startswith("ketacare.notify")]


def test_the_configured_backends_pass(settings: Any) -> None:
    settings.KETACARE_SMS_BACKEND = "ketacare.notify.sms.ConsoleSmsBackend"
    assert ids() == []


def test_unknown_sms_and_email_backends_are_errors(settings: Any) -> None:
    settings.KETACARE_SMS_BACKEND = "ketacare.notify.sms.TwilioBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smpt.EmailBackend"
    assert ids() == ["ketacare.notify.E001", "ketacare.notify.E003"]
    settings.KETACARE_SMS_BACKEND = "ketacare.notify.models.NotificationLog"  # no send()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert ids() == ["ketacare.notify.E002"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_refuses_to_start_with_an_unknown_sms_backend(settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.KETACARE_SMS_BACKEND = "ketacare.notify.sms.NoSuchBackend"
    with pytest.raises(SystemCheckError, match="KETACARE_SMS_BACKEND"):
        call_command("worker", "--once", verbosity=0, stdout=io.StringIO(), skip_checks=False)


def test_behind_https_the_links_base_address_must_be_set(settings: Any) -> None:
    settings.HTTPS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.RecordingSmsBackend"
    settings.KETACARE_BASE_URL = "http://127.0.0.1:8000"  # the default: links to this machine
    assert ids() == ["ketacare.notify.E004"]
    settings.KETACARE_BASE_URL = "http://clinic.example"
    assert ids() == ["ketacare.notify.E004"]
    settings.KETACARE_BASE_URL = "https://clinic.example"
    assert ids() == []
    settings.HTTPS = False
    settings.KETACARE_BASE_URL = "http://127.0.0.1:8000"  # a trial on this machine
    assert ids() == []


def test_behind_https_console_backends_are_a_warning(settings: Any) -> None:
    settings.HTTPS = True
    settings.KETACARE_BASE_URL = "https://clinic.example"
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    settings.KETACARE_SMS_BACKEND = "ketacare.notify.sms.ConsoleSmsBackend"
    messages = [m for m in run_checks(tags=["ketacare"]) if m.id == "ketacare.notify.W001"]
    assert len(messages) == 2 and not any(m.is_serious() for m in messages)
    assert "KETACARE_SMS_BACKEND" in messages[0].msg
    assert "KETACARE_EMAIL_BACKEND" in messages[1].msg
