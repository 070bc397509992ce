"""A patient's first message with neither a subject nor any words is refused with both problems
shown together (it showed only the message's), what was typed kept, nothing stored."""

from __future__ import annotations

from typing import Any

from ketacare.portal.models import Message, MessageThread


def test_a_new_message_names_the_subject_and_the_message_at_once(portal: Any) -> None:
    c = portal.client(portal.a)
    refused = c.post("/portal/messages/", {"subject": "   ", "body": ""})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "Subject: Give your message a subject." in html
    assert "Message: Write a message first." in html
    assert not MessageThread.objects.exists() and not Message.objects.exists()


def test_a_too_long_subject_keeps_the_message_typed(portal: Any) -> None:
    c = portal.client(portal.a)
    refused = c.post("/portal/messages/", {"subject": "x" * 10_000, "body": "<b>Hello</b>"})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert "The subject can be at most 150 characters." in html
    assert "&lt;b&gt;Hello&lt;/b&gt;" in html and "<b>Hello</b>" not in html
    assert not MessageThread.objects.exists()
