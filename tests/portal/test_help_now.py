"""The portal's "I need help now": a POST button in the crisis bar of every portal page and in
the crisis panel (help page, safety plan), which raises a high flag for the patient's care team
through `safety.patient_help` and answers with the clinic's crisis resources."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.safety.escalation import do_acknowledge
from ketacare.safety.models import RiskFlag

HELP = "/portal/help/now/"
ACTION = re.compile(r'<form method="post" action="(/portal/help/now/[^"]*)"')


def help_forms(body: str) -> list[str]:
    return [action.replace("&amp;", "&") for action in ACTION.findall(body)]


def press(client: Client, page: str = "/portal/") -> Any:
    return client.post(f"{HELP}?page={page}")


def test_every_portal_page_has_the_button_in_its_crisis_bar(portal: Any) -> None:
    c = portal.client(portal.a)
    for url in ("/portal/", "/portal/progress/", "/portal/messages/", "/portal/questionnaires/"):
        body = c.get(url).content.decode()
        bar = body.split('data-testid="crisis-bar"')[1].split("</div>")[0]
        assert 'data-testid="help-now"' in bar and "csrfmiddlewaretoken" in bar, url
        assert help_forms(bar) == [f"{HELP}?page={url.replace('/', '%2F')}"], url


def test_help_page_and_safety_plan_page_have_it_in_the_panel_too(portal: Any) -> None:
    c = portal.client(portal.a)
    for url in ("/portal/help/", "/portal/safety-plan/"):
        body = c.get(url).content.decode()
        panel = body.split('data-testid="crisis-panel"')[1].split("</section>")[0]
        assert 'data-testid="help-now"' in panel and "csrfmiddlewaretoken" in panel, url
        assert len(help_forms(body)) == 2, url  # the bar's and the panel's


def test_no_button_before_sign_in(db: Any) -> None:
    body = Client().get("/portal/sign-in/").content.decode()
    assert 'data-testid="crisis-bar"' in body and not help_forms(body)


def test_a_press_raises_a_high_flag_for_the_care_team_and_shows_crisis_resources(
    portal: Any, world: Any
) -> None:
    world.clinic_a.phone = "555-010-0999"
    world.clinic_a.save()
    response = press(portal.client(portal.a), "/portal/progress/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="help-sent"' in body and "Your care team has been told" in body
    assert "If you are in danger, call 911 now." in body
    panel = body.split('data-testid="crisis-panel"')[1].split("</section>")[0]
    assert 'role="alert"' in body.split('data-testid="crisis-panel"')[0].rsplit("<", 1)[1]
    assert 'href="tel:988"' in panel and 'href="sms:988"' in panel and 'href="tel:911"' in panel
    assert 'href="tel:5550100999"' in panel and "Alpha Clinic" in panel
    assert 'data-testid="help-now"' not in panel  # already pressed: no second button here
    assert 'href="/portal/progress/"' in body.split("<main")[1]  # the way back
    assert "no-store" in response["Cache-Control"]
    flag = RiskFlag.objects.get()
    assert (flag.patient, flag.level, flag.source) == (world.patient_a, "high", "patient_request")
    assert flag.status == "open" and "/portal/progress/" in flag.reason
    entry = AuditEntry.objects.get(action="safety.patient.help_requested")
    assert entry.actor_role == "patient" and entry.clinic_id == world.clinic_a.pk
    assert entry.patient_id == str(world.patient_a.pk) and entry.object_id == str(flag.pk)
    assert entry.detail == {"page": "the portal page /portal/progress/", "raised": True}
    assert AuditEntry.objects.filter(action="safety.flag.raised").count() == 1


def test_a_press_flags_only_the_signed_in_patient_in_their_own_clinic(
    portal: Any, world: Any
) -> None:
    press(portal.client(portal.b))
    flag = RiskFlag.objects.get()
    assert flag.patient == world.patient_b and flag.patient.clinic == world.clinic_b
    entry = AuditEntry.objects.get(action="safety.patient.help_requested")
    assert entry.clinic_id == world.clinic_b.pk


def test_a_repeat_press_joins_the_open_flag_and_is_audited_again(portal: Any) -> None:
    c = portal.client(portal.a)
    press(c)
    again = press(c).content.decode()
    assert "we had already let them know" in again
    assert RiskFlag.objects.count() == 1
    entries = AuditEntry.objects.filter(action="safety.patient.help_requested").order_by("pk")
    assert [e.detail["raised"] for e in entries] == [True, False]


def test_a_press_after_the_flag_was_acknowledged_raises_a_new_one(portal: Any, world: Any) -> None:
    c = portal.client(portal.a)
    press(c)
    first = RiskFlag.objects.get()
    do_acknowledge(Actor(label="test"), world.prescriber_a, first, "other", "Left voicemail.")
    press(c)
    assert RiskFlag.objects.count() == 2
    newest = RiskFlag.objects.exclude(pk=first.pk).get()
    assert newest.status == "open" and newest.level == "high"


def test_a_press_after_ten_minutes_raises_a_new_flag(portal: Any) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        c = portal.client(portal.a)
        press(c)
        traveller.shift(timedelta(minutes=9))
        press(c)
        assert RiskFlag.objects.count() == 1
        traveller.shift(timedelta(minutes=2))  # 11 minutes after the first press
        press(c)
        assert RiskFlag.objects.count() == 2


def test_risk_words_in_a_message_do_not_swallow_a_press(portal: Any, world: Any) -> None:
    c = portal.client(portal.a)
    c.post("/portal/messages/", {"subject": "Tonight", "body": "I just want to die"})
    assert RiskFlag.objects.count() == 1
    press(c)
    assert RiskFlag.objects.count() == 2  # an explicit call for help is its own flag


def test_a_bad_page_still_raises_the_flag_and_names_the_field(portal: Any) -> None:
    response = press(portal.client(portal.a), "https://evil.example/portal/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "evil.example" not in body
    flag = RiskFlag.objects.get()
    assert "evil" not in flag.reason
    entry = AuditEntry.objects.get(action="safety.patient.help_requested")
    assert entry.detail == {"page": "the portal", "raised": True, "invalid": ["page"]}


def test_get_shows_the_help_page_and_raises_nothing(portal: Any) -> None:
    response = portal.client(portal.a).get(HELP)
    assert response.status_code == 200
    assert 'data-testid="crisis-panel"' in response.content.decode()
    assert not RiskFlag.objects.exists()


def test_the_button_is_csrf_protected(portal: Any) -> None:
    c = portal.client(portal.a)
    c.handler.enforce_csrf_checks = True
    assert press(c).status_code == 403
    assert not RiskFlag.objects.exists()
    body = c.get("/portal/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    assert token is not None
    response = c.post(help_forms(body)[0], {"csrfmiddlewaretoken": token.group(1)})
    assert response.status_code == 200 and RiskFlag.objects.count() == 1


def test_anonymous_visitors_and_staff_raise_nothing(db: Any, world: Any, as_user: Any) -> None:
    anonymous = Client().post(HELP)
    assert anonymous.status_code == 302 and "/portal/sign-in/" in anonymous["Location"]
    assert as_user(world.nurse_a).post(HELP).status_code == 403
    assert not RiskFlag.objects.exists()
