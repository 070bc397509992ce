"""Text-message backends. `KETACARE_SMS_BACKEND` names the class; it needs one method,
`send(to, body)`, that raises on failure.

The default writes each message to the `ketacare.sms` logger (the console), which suits a
trial: the link it contains can be clicked from the terminal. Connect a real gateway by
writing a small class with the same method and naming it in the setting.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("ketacare.sms")


class SmsBackend(Protocol):
    def send(self, to: str, body: str) -> None: ...


class ConsoleSmsBackend:
    """Writes the message to the log instead of sending it."""

    def send(self, to: str, body: str) -> None:
        logger.info("SMS to %s: %s", to, body)


def get_sms_backend() -> SmsBackend:
    backend_class = import_string(settings.KETACARE_SMS_BACKEND)
    backend: SmsBackend = backend_class()
    return backend
