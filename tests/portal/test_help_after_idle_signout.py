"""A help press on a portal page left open past the idle sign-out still reaches the care team.

The press used to meet the 15-minute sign-out and end on the sign-in page with no flag: a
person in crisis had to sign in and find the button again. The button's form carries a signed
ticket (`portal.help_ticket`) that can raise that patient's help flag and nothing else.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.portal.help_ticket import ticket_for
from ketacare.safety.models import RiskFlag

ACTION = re.compile(r'<form method="post" action="(/portal/help/now/[^"]*)"')
TICKET = re.compile(r'<input type="hidden" name="ticket" value="([^"]+)">')


def _button(client: Client, page: str = "/portal/progress/") -> tuple[str, str]:
    """The help form's address and its ticket (a hidden field: never in an access log)."""
    body = client.get(page).content.decode()
    action = ACTION.findall(body)[0].replace("&amp;", "&")
    assert "ticket" not in action
    return action, TICKET.findall(body)[0]


def test_a_press_after_the_idle_sign_out_raises_the_flag_and_signs_out(portal: Any) -> None:
    c = portal.client(portal.a)
    action, ticket = _button(c)
    with time_machine.travel(timezone.now() + timedelta(minutes=40), tick=False):
        pressed = c.post(action, {"ticket": ticket})
        body = pressed.content.decode()
        assert pressed.status_code == 200, body[:300]
        assert 'data-testid="help-sent"' in body and 'data-testid="help-signed-out"' in body
        assert "Ada" not in body  # a shared device: the answer names nobody
        assert 'href="tel:988"' in body
        flag = RiskFlag.objects.get()
        assert flag.patient == portal.a.patient and flag.level == "high"
        assert "signed out" in flag.reason
        entry = AuditEntry.objects.get(action="safety.patient.help_requested")
        assert entry.detail["signed_out"] is True and entry.patient_id == str(portal.a.patient.pk)
        assert AuditEntry.objects.filter(action="accounts.session.timed_out").exists()
        # Signed out for everything else: the next portal page asks for sign-in.
        assert c.get("/portal/").status_code == 302


def test_without_a_valid_ticket_a_signed_out_press_goes_to_sign_in_and_raises_nothing(
    portal: Any,
) -> None:
    anonymous = Client()
    for ticket in ("", "forged:value", ticket_for(portal.a) + "x"):
        answer = anonymous.post("/portal/help/now/?page=/portal/", {"ticket": ticket})
        assert answer.status_code == 302 and "/portal/sign-in/" in answer["Location"]
    assert not RiskFlag.objects.exists()


def test_a_ticket_older_than_a_day_or_of_a_closed_account_raises_nothing(portal: Any) -> None:
    ticket = ticket_for(portal.a)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert Client().post("/portal/help/now/", {"ticket": ticket}).status_code == 302
    portal.b.is_active = False
    portal.b.save(update_fields=["is_active"])
    closed = Client().post("/portal/help/now/", {"ticket": ticket_for(portal.b)})
    assert closed.status_code == 302
    assert not RiskFlag.objects.exists()


def test_the_ticket_only_raises_help_it_opens_no_page(portal: Any) -> None:
    anonymous = Client()
    ticket = ticket_for(portal.a)
    assert anonymous.get(f"/portal/help/now/?ticket={ticket}").status_code == 302
    assert anonymous.post("/portal/messages/", {"ticket": ticket}).status_code == 302
    assert not RiskFlag.objects.exists()
