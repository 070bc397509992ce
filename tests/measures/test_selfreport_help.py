""" "I need help now" on a self-report link: which presses raise a flag (the shared rule of
`safety.patient_help`), which join one, and which links still reach the care team."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.selfreport_actions import do_issue_link, do_revoke_link
from ketacare.safety.escalation import do_acknowledge
from ketacare.safety.escalation_models import SafetySettings
from ketacare.safety.models import RiskFlag
from ketacare.safety.patient_help import do_patient_help
from tests.page_text import without_tokens

STAFF = Actor(label="nurse@a.test")


def issue(patient: Any, **extra: Any) -> Any:
    return do_issue_link(STAFF, patient, ["phq9"], context="follow_up", channel="sms", **extra)


def press(client: Client, issued: Any) -> Any:
    return client.post(f"/r/{issued.token}/help/")


def presses() -> list[Any]:
    return list(
        AuditEntry.objects.filter(action="measures.selfreport.help_requested").order_by("pk")
    )


def test_a_repeat_press_after_the_flag_was_acknowledged_raises_a_new_flag(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    press(client, issued)
    first = RiskFlag.objects.get()
    do_acknowledge(STAFF, world.prescriber_a, first, "called_patient", "Left voicemail.")
    response = press(client, issued)  # two minutes later, nobody answered
    assert response.status_code == 200
    assert RiskFlag.objects.count() == 2
    second = RiskFlag.objects.exclude(pk=first.pk).get()
    assert (second.status, second.level, second.source) == ("open", "high", "patient_request")
    assert [e.detail["raised"] for e in presses()] == [True, True]


def test_a_repeat_press_while_the_flag_is_open_joins_it_and_is_still_audited(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    press(client, issued)
    press(client, issued)
    flag = RiskFlag.objects.get()
    assert [(e.detail["flag"], e.detail["raised"]) for e in presses()] == [
        (flag.pk, True),
        (flag.pk, False),
    ]


def test_a_press_after_ten_minutes_raises_a_new_flag_even_if_the_first_is_open(
    world: Any, client: Client
) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        issued = issue(world.patient_a)
        press(client, issued)
        traveller.shift(timedelta(minutes=10, seconds=1))
        press(client, issued)
    assert RiskFlag.objects.filter(status="open").count() == 2


def test_a_press_on_an_expired_link_still_reaches_the_care_team(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, now=timezone.now() - timedelta(days=10))
    response = press(client, issued)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="help-page"' in body and 'href="tel:988"' in body
    assert issued.token not in body  # no way back into a link that has expired
    flag = RiskFlag.objects.get()
    assert (flag.patient, flag.level) == (world.patient_a, "high")
    assert presses()[0].detail == {"flag": flag.pk, "raised": True}


def test_a_press_on_a_revoked_link_shows_crisis_lines_and_raises_nothing(
    world: Any, client: Client
) -> None:
    SafetySettings.objects.create(
        clinic=world.clinic_a, country="GB", extra_lines="Samaritans | 116 123"
    )
    issued = issue(world.patient_a)
    do_revoke_link(STAFF, issued.link)
    response = press(client, issued)
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-testid="help-not-sent"' in body and 'data-testid="crisis"' in body
    # The lines of the clinic's country (not 988 for a patient in Britain), no clinic named.
    assert 'href="tel:116123"' in body and "988" not in without_tokens(body)
    assert "Alpha Clinic" not in body and "Ada" not in without_tokens(body)
    assert not RiskFlag.objects.exists()
    # The refused press is still on the record.
    [entry] = presses()
    assert (entry.outcome, entry.detail) == ("denied", {"reason": "revoked"})


def test_a_press_on_the_link_joins_the_help_flag_raised_in_the_portal(
    world: Any, client: Client
) -> None:
    portal_flag = do_patient_help(
        Actor(label="patient", clinic_id=world.clinic_a.pk), world.patient_a, "the portal"
    ).flag
    press(client, issue(world.patient_a))
    assert RiskFlag.objects.get() == portal_flag
    assert presses()[0].detail == {"flag": portal_flag.pk, "raised": False}


def test_a_help_press_from_a_rate_limited_address_still_reaches_the_care_team(
    world: Any,
) -> None:
    """Many wrong tokens from one shared address (a hospital's Wi-Fi) must not silence a real
    patient's call for help; the answer stays the same as for a guess."""
    from ketacare.measures.selfreport_views import GUESS_LIMIT

    issued = issue(world.patient_a)
    shared = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(GUESS_LIMIT):
        assert shared.get(f"/r/guess{n:040d}/").status_code == 404
    real = shared.post(f"/r/{issued.token}/help/")
    guess = shared.post(f"/r/guess{'x' * 40}/help/")
    assert real.status_code == guess.status_code == 429
    assert 'data-testid="help-maybe-sent"' in real.content.decode()
    flag = RiskFlag.objects.get(patient=world.patient_a)
    assert (flag.level, flag.source) == ("high", "patient_request")
    assert len(presses()) == 1
