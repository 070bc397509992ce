"""The two ways a message leaves the building. Both raise on failure; callers record it.

Use `delivery.queue_notification` rather than these directly, so every message is logged
and retried.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.core.mail import EmailMessage

from ketacare.notify.sms import get_sms_backend

# Seconds a text-message gateway may take before the attempt counts as failed (SMTP has
# EMAIL_TIMEOUT in the settings).
SMS_TIMEOUT = 30.0


class NotificationError(RuntimeError):
    """A backend accepted the call but did not take the message."""


def send_email(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Plain-text email through Django's EMAIL_BACKEND (console by default)."""
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    accepted = message.send(fail_silently=False)
    if accepted != 1:
        raise NotificationError("the mail backend accepted no message")


def send_sms(to: str, body: str, timeout: float | None = None) -> None:
    """A text message through the backend named by KETACARE_SMS_BACKEND.

    The gateway class is the clinic's own code and may have no timeout of its own: a call that
    hangs would hold up the worker, and with it the watch pass that escalates risk flags. So it
    runs in a helper thread and counts as failed (retried, at-least-once) after `timeout`."""
    backend = get_sms_backend()
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            backend.send(to, body)
        except BaseException as problem:  # handed back to the caller below
            outcome.append(problem)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, name="ketacare-sms", daemon=True)
    thread.start()
    limit = SMS_TIMEOUT if timeout is None else timeout
    thread.join(limit)
    if not outcome:
        raise NotificationError(
            f"the text-message gateway did not answer within {limit:g} s (it may have sent it)"
        )
    if outcome[0] is not None:
        raise outcome[0]
