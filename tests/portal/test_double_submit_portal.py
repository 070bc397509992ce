"""Pressing Send or Save twice in the portal or on its staff pages sends once: a patient's new
message (two conversations, and with risk words two flags), a patient's reply, a staff reply
in the inbox, "ask for another time" (it wrote a second message to the care team's inbox), a
new education article and a portal invitation (two emails). The second press goes to what
the first saved, saying "Already saved"."""

from __future__ import annotations

from typing import Any

from ketacare.notify.models import NotificationLog
from ketacare.portal.models import Article, Message, MessageKind, MessageThread, PortalToken
from ketacare.safety.models import RiskFlag
from tests.portal.test_appointments import make_appointment
from tests.submission_helpers import form_keys, post_twice


def test_a_new_message_sent_twice_is_one_conversation_and_one_flag(portal: Any) -> None:
    c = portal.client(portal.a)
    (key,) = form_keys(c.get("/portal/messages/"))
    again = post_twice(
        c,
        "/portal/messages/",
        {"subject": "Tonight", "body": "I just want to die", "submission_key": key},
    )
    thread = MessageThread.objects.get()
    assert again["Location"] == f"/portal/messages/{thread.pk}/"
    assert Message.objects.count() == 1 and RiskFlag.objects.count() == 1
    # The page the repeat leads to still shows the crisis resources.
    assert 'data-testid="crisis-panel"' in c.get(again["Location"]).content.decode()


def test_a_patient_reply_sent_twice_is_added_once(portal: Any) -> None:
    c = portal.client(portal.a)
    c.post("/portal/messages/", {"subject": "Sleep", "body": "Can I nap?"})
    thread = MessageThread.objects.get()
    url = f"/portal/messages/{thread.pk}/"
    (key,) = form_keys(c.get(url))
    post_twice(c, url, {"body": "Also: coffee?", "submission_key": key})
    assert thread.messages.count() == 2


def test_a_staff_reply_sent_twice_is_sent_once(portal: Any, world: Any, as_user: Any) -> None:
    portal.client(portal.a).post("/portal/messages/", {"subject": "Sleep", "body": "Nap?"})
    thread = MessageThread.objects.get()
    nurse = as_user(world.nurse_a)
    url = f"/inbox/{thread.pk}/"
    (key,) = form_keys(nurse.get(url))  # the reply form only; assigning and closing are updates
    post_twice(
        nurse, url, {"action": "reply", "body": "A short nap is fine.", "submission_key": key}
    )
    assert thread.messages.filter(from_patient=False).count() == 1


def test_asking_for_another_time_twice_sends_one_request(portal: Any, world: Any) -> None:
    appt = make_appointment(world.patient_a)
    c = portal.client(portal.a)
    (key,) = form_keys(c.get("/portal/appointments/"))
    post_twice(
        c,
        f"/portal/appointments/{appt.pk}/reschedule/",
        {"note": "Tuesdays after 3 pm", "submission_key": key},
    )
    assert Message.objects.filter(kind=MessageKind.RESCHEDULE).count() == 1


def test_a_new_article_saved_twice_is_one_article(world: Any, as_user: Any) -> None:
    admin = as_user(world.admin_a)
    (key,) = form_keys(admin.get("/articles/new/"))
    data = {"title": "After your session", "body": "Rest today.", "submission_key": key}
    again = post_twice(admin, "/articles/new/", data)
    article = Article.objects.get(clinic=world.clinic_a)
    assert again["Location"] == f"/articles/{article.pk}/"
    # Editing it is an update: its form carries no key.
    assert form_keys(admin.get(again["Location"])) == []


def test_inviting_twice_emails_one_invitation(world: Any, as_user: Any) -> None:
    world.patient_a.email = "ada@patient.test"
    world.patient_a.save()
    staff = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/portal/"
    (key,) = form_keys(staff.get(url))  # the invite button; switching off is not a create
    post_twice(staff, url, {"action": "invite", "submission_key": key})
    assert NotificationLog.objects.filter(purpose="portal.invite").count() == 1
    assert PortalToken.objects.filter(account__patient=world.patient_a).count() == 1
    # A new invitation later (a new page, a new key) is still sent.
    (key,) = form_keys(staff.get(url))
    assert staff.post(url, {"action": "invite", "submission_key": key}).status_code == 302
    assert NotificationLog.objects.filter(purpose="portal.invite").count() == 2
