"""Secure messages: patient threads, the clinic-scoped staff inbox (assignment, read status),
risk words → crisis resources for the patient and a flag for staff."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.portal.models import Message, MessageThread
from ketacare.safety.models import RiskFlag


def send(client: Any, subject: str, body: str) -> Any:
    return client.post("/portal/messages/", {"subject": subject, "body": body})


def test_patient_starts_a_thread_and_staff_replies(portal: Any, world: Any, as_user: Any) -> None:
    c = portal.client(portal.a)
    response = send(c, "Sleep question", "Is it fine to nap after a session?")
    thread = MessageThread.objects.get()
    assert response["Location"] == f"/portal/messages/{thread.pk}/"
    assert thread.clinic_id == world.clinic_a.pk and thread.patient_id == world.patient_a.pk
    page = c.get(response["Location"]).content.decode()
    assert "Is it fine to nap" in page
    assert 'role="alert"' not in page.split("<main")[1]

    nurse = as_user(world.nurse_a)
    inbox = nurse.get("/inbox/?show=unread").content.decode()
    assert "Sleep question" in inbox and "Lovelace" in inbox
    detail = nurse.get(f"/inbox/{thread.pk}/").content.decode()
    assert "Is it fine to nap" in detail
    msg = Message.objects.get()
    assert msg.read_at is not None and msg.read_by_id == world.nurse_a.pk
    assert "Sleep question" not in nurse.get("/inbox/?show=unread").content.decode()
    nurse.post(f"/inbox/{thread.pk}/", {"action": "reply", "body": "Yes, a short nap is fine."})
    nurse.post(f"/inbox/{thread.pk}/", {"action": "assign", "assigned_to": world.nurse_a.pk})
    thread.refresh_from_db()
    assert thread.assigned_to_id == world.nurse_a.pk
    assert "Sleep question" in nurse.get("/inbox/?show=mine").content.decode()
    assert 'data-testid="unread"' in c.get("/portal/messages/").content.decode()
    page = c.get(f"/portal/messages/{thread.pk}/").content.decode()
    assert "a short nap is fine" in page and "Nina Nurse" in page
    reply = Message.objects.get(from_patient=False)
    assert reply.read_at is not None  # the patient opened it
    # No message text in the audit log.
    assert not any(
        "nap" in str(e.detail) for e in AuditEntry.objects.filter(action__startswith="portal.")
    )


def test_risk_words_show_crisis_resources_and_flag_for_staff(
    portal: Any, world: Any, as_user: Any
) -> None:
    c = portal.client(portal.a)
    response = send(c, "Tonight", "I just want to die, I can't do this")
    page = c.get(response["Location"]).content.decode()
    assert 'data-testid="crisis-panel"' in page and 'href="tel:988"' in page
    flag = RiskFlag.objects.get(patient=world.patient_a)
    assert flag.level == "high" and "want to die" in flag.reason
    message = Message.objects.get()
    assert message.flag_id == flag.pk and message.risk_phrases == ["want to die"]
    staff_page = as_user(world.nurse_a).get(f"/inbox/{message.thread_id}/").content.decode()
    assert 'data-testid="risk-flag"' in staff_page
    # Shown once, not on every later visit.
    assert 'data-testid="crisis-panel"' not in c.get(response["Location"]).content.decode()


def test_bad_input_names_the_field_and_keeps_the_text(portal: Any) -> None:
    c = portal.client(portal.a)
    response = send(c, "", "Some words I typed")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Subject: Give your message a subject." in body and "Some words I typed" in body
    assert send(c, "Hi", "   ").status_code == 400
    assert not MessageThread.objects.exists()


def test_threads_are_private_to_the_patient_and_the_clinic(
    portal: Any, world: Any, as_user: Any
) -> None:
    send(portal.client(portal.a2), "Mary's question", "About my dose")
    send(portal.client(portal.b), "Grace's question", "Clinic B matter")
    mary = MessageThread.objects.get(patient=portal.a2.patient)
    grace = MessageThread.objects.get(patient=world.patient_b)
    c = portal.client(portal.a)
    assert "Mary" not in c.get("/portal/messages/").content.decode()
    for t in (mary, grace):
        assert c.get(f"/portal/messages/{t.pk}/").status_code == 404
        assert c.post(f"/portal/messages/{t.pk}/", {"body": "sneaky"}).status_code == 404
    assert not Message.objects.filter(body="sneaky").exists()
    nurse = as_user(world.nurse_a)
    assert "Grace's question" not in nurse.get("/inbox/").content.decode()
    assert nurse.get(f"/inbox/{grace.pk}/").status_code == 404
    reply = {"action": "reply", "body": "x"}
    assert nurse.post(f"/inbox/{grace.pk}/", reply).status_code == 404
    # Assigning to someone from another clinic is refused, naming the field as the page does.
    bad = nurse.post(
        f"/inbox/{mary.pk}/", {"action": "assign", "assigned_to": world.clinician_b.pk}
    )
    assert bad.status_code == 400 and "Assigned to: Choose someone" in bad.content.decode()
