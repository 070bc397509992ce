"""The two ways a message leaves the building. Both raise on failure; callers record it.

Use `delivery.queue_notification` rather than these directly, so every message is logged
and retried.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage

from ketacare.notify.sms import get_sms_backend


class NotificationError(RuntimeError):
    """A backend accepted the call but did not take the message."""


def send_email(to: str, subject: str, body: str, headers: dict[str, str] | None = None) -> None:
    """Plain-text email through Django's EMAIL_BACKEND (console by default)."""
    message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to], headers=headers or {})
    accepted = message.send(fail_silently=False)
    if accepted != 1:
        raise NotificationError("the mail backend accepted no message")


def send_sms(to: str, body: str) -> None:
    """A text message through the backend named by KETACARE_SMS_BACKEND."""
    get_sms_backend().send(to, body)
