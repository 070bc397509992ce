"""Mail headers (e.g. RFC 8058 one-click unsubscribe) travel with a queued email."""

from __future__ import annotations

from typing import Any

from django.core import mail

from ketacare.notify.delivery import deliver, queue_notification
from ketacare.notify.models import NotificationLog


def test_list_unsubscribe_headers_are_sent_and_then_cleared(db: Any) -> None:
    headers = {
        "List-Unsubscribe": "<https://clinic.example/c/x/newsletter/unsubscribe/t/>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    log = queue_notification(
        channel="email",
        to="reader@example.com",
        subject="News",
        body="Hello",
        purpose="newsletter",
        headers=headers,
    )
    deliver(log.pk)
    assert mail.outbox[-1].extra_headers == headers
    log = NotificationLog.objects.get(pk=log.pk)
    assert log.status == "sent" and log.headers == {} and log.body == ""
