"""Risk words in the subject of a patient's new conversation count as much as in its body: a
high flag for staff and crisis resources for the patient."""

from __future__ import annotations

from typing import Any

from ketacare.portal.models import Message, MessageThread
from ketacare.safety.models import RiskFlag


def send(client: Any, subject: str, body: str) -> Any:
    return client.post("/portal/messages/", {"subject": subject, "body": body})


def test_risk_words_in_the_subject_alone_flag_and_show_crisis_resources(
    portal: Any, world: Any, as_user: Any
) -> None:
    c = portal.client(portal.a)
    response = send(c, "I want to kill myself", "Please call me back.")
    assert response.status_code == 302
    page = c.get(response["Location"]).content.decode()
    assert 'data-testid="crisis-panel"' in page and 'href="tel:988"' in page
    flag = RiskFlag.objects.get(patient=world.patient_a)
    assert flag.level == "high" and "kill myself" in flag.reason
    message = Message.objects.get()
    assert message.flag_id == flag.pk and message.risk_phrases == ["kill myself"]
    assert message.body == "Please call me back."  # the body is stored as typed
    assert MessageThread.objects.get().subject == "I want to kill myself"
    staff_page = as_user(world.nurse_a).get(f"/inbox/{message.thread_id}/").content.decode()
    assert 'data-testid="risk-flag"' in staff_page


def test_risk_words_in_subject_and_body_raise_one_flag(portal: Any, world: Any) -> None:
    c = portal.client(portal.a)
    send(c, "Suicidal tonight", "I want to end my life")
    flag = RiskFlag.objects.get(patient=world.patient_a)
    assert "suicidal" in flag.reason and "end my life" in flag.reason
    assert sorted(Message.objects.get().risk_phrases) == ["end my life", "suicidal"]


def test_a_subject_without_risk_words_raises_nothing(portal: Any, world: Any) -> None:
    c = portal.client(portal.a)
    response = send(c, "Killer headache after session", "Is that normal? Please call me back.")
    page = c.get(response["Location"]).content.decode()
    assert 'data-testid="crisis-panel"' not in page
    assert not RiskFlag.objects.filter(patient=world.patient_a).exists()
    assert Message.objects.get().risk_phrases == []


def test_a_reply_is_read_for_its_own_words_only(portal: Any, world: Any) -> None:
    c = portal.client(portal.a)
    response = send(c, "I want to kill myself", "Please call me back.")
    assert RiskFlag.objects.filter(patient=world.patient_a).count() == 1
    # A calm reply in that conversation raises no second flag from the old subject.
    c.post(response["Location"], {"body": "Thanks for calling, I feel safer now."})
    assert RiskFlag.objects.filter(patient=world.patient_a).count() == 1
    # A reply with risk words of its own still does.
    c.post(response["Location"], {"body": "It is back, I want to die"})
    assert RiskFlag.objects.filter(patient=world.patient_a).count() == 2


def test_a_message_without_a_body_is_refused_and_keeps_the_subject(portal: Any) -> None:
    c = portal.client(portal.a)
    response = send(c, "I want to kill myself", "   ")
    assert response.status_code == 400
    body = response.content.decode()
    assert "I want to kill myself" in body and "Write a message first." in body
    assert not MessageThread.objects.exists()
