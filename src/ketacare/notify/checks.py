"""System checks: the message backends named in the settings must exist, so a typo in
KETACARE_SMS_BACKEND or KETACARE_EMAIL_BACKEND stops `ketacare worker` and `ketacare serve` at
start with the reason, instead of every text and email failing five times an hour later; and
behind HTTPS, KETACARE_BASE_URL must be set (the default sends links to 127.0.0.1).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register
from django.utils.module_loading import import_string


def _load(path: str) -> tuple[Any, str]:
    try:
        return import_string(path), ""
    except ImportError as problem:
        return None, f"{type(problem).__name__}: {problem}"


@register("ketacare")
def check_message_backends(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    sms_path = str(getattr(settings, "KETACARE_SMS_BACKEND", ""))
    sms_class, problem = _load(sms_path)
    if sms_class is None:
        errors.append(
            Error(
                f"KETACARE_SMS_BACKEND {sms_path!r} cannot be imported ({problem}): no text "
                "message could be sent.",
                hint="A class with send(to, body): ketacare.notify.sms.ConsoleSmsBackend.",
                id="ketacare.notify.E001",
            )
        )
    elif not callable(getattr(sms_class, "send", None)):
        errors.append(
            Error(
                f"KETACARE_SMS_BACKEND {sms_path!r} has no send(to, body) method.",
                id="ketacare.notify.E002",
            )
        )
    email_path = str(getattr(settings, "EMAIL_BACKEND", ""))
    email_class, problem = _load(email_path)
    if email_class is None:
        errors.append(
            Error(
                f"KETACARE_EMAIL_BACKEND {email_path!r} cannot be imported ({problem}): no email "
                "could be sent.",
                hint="e.g. django.core.mail.backends.smtp.EmailBackend",
                id="ketacare.notify.E003",
            )
        )
    errors += _check_base_url()
    return errors


def _console_backends() -> list[CheckMessage]:
    """Behind HTTPS (production), a console backend marks messages "sent" that never left."""
    found: list[CheckMessage] = []
    for setting, path, console in (
        ("KETACARE_SMS_BACKEND", settings.KETACARE_SMS_BACKEND, "ConsoleSmsBackend"),
        ("KETACARE_EMAIL_BACKEND", settings.EMAIL_BACKEND, "backends.console."),
    ):
        if console in str(path):
            found.append(
                Warning(
                    f"{setting} writes messages to the log while KETACARE_HTTPS is on: risk-flag "
                    "notifications will show as sent but reach no one.",
                    hint="Name the real gateway (README, Configuration).",
                    id="ketacare.notify.W001",
                )
            )
    return found


def _check_base_url() -> list[CheckMessage]:
    """Behind HTTPS (production), links in messages must not point at this machine."""
    if not getattr(settings, "HTTPS", False):
        return []
    problems = _console_backends()
    base = str(getattr(settings, "KETACARE_BASE_URL", ""))
    parts = urlsplit(base)
    if parts.scheme == "https" and parts.hostname not in (None, "localhost", "127.0.0.1", "::1"):
        return problems
    return [
        *problems,
        Error(
            f"KETACARE_BASE_URL is {base!r} while KETACARE_HTTPS is on: the links in risk-flag, "
            "reminder and questionnaire messages would not reach this server.",
            hint="Set KETACARE_BASE_URL to the https:// address patients and staff use.",
            id="ketacare.notify.E004",
        ),
    ]
