"""Bad input on the staff inbox: every problem at once, named by the
page's labels (not 'body:'), what was typed kept, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.portal import messaging
from ketacare.portal.models import Message
from tests.conftest import SYSTEM

pytestmark = pytest.mark.django_db


def test_staff_reply_refused_names_the_reply_box_in_words(world: Any, as_user: Any):
    sent = messaging.do_patient_send(
        SYSTEM,
        world.patient_a,
        "Hello",
        subject="Question",
    )
    url = f"/inbox/{sent.message.thread_id}/"
    client = as_user(world.nurse_a)
    blank = client.post(url, {"action": "reply", "body": "   "})
    assert blank.status_code == 400
    text = blank.content.decode()
    assert "Reply to the patient: Write a message first." in text
    assert "body:" not in text
    long = client.post(url, {"action": "reply", "body": "Kept words " + "x" * 9990})
    assert long.status_code == 400
    text = long.content.decode()
    assert "Reply to the patient: Messages can be at most 5000 characters" in text
    assert "Kept words xxx" in text
    odd = client.post(url, {"action": "zz"})
    assert odd.status_code == 400 and "action:" not in odd.content.decode()
    assert Message.objects.filter(from_patient=False).count() == 0
