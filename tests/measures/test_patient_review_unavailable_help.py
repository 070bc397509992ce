""" "I need help now" around a link that cannot be used.

- The "cannot be used" page has the button too: an expired or used link still reaches the
  care team (the patient is known), so a patient in crisis who comes back to an old link can
  call for help from it.
- A press that reached nobody (revoked or unknown link) says so plainly: the patient must not
  wait for a call that will never come.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures.selfreport_actions import IssuedLink, do_issue_link, do_revoke_link
from ketacare.measures.selfreport_views import GUESS_LIMIT
from ketacare.safety.models import RiskFlag

STAFF = Actor(label="nurse@a.test")


def issue(patient: Any, **extra: Any) -> IssuedLink:
    return do_issue_link(STAFF, patient, ["phq9"], context="follow_up", channel="sms", **extra)


def test_the_page_of_an_expired_link_has_the_button_and_a_press_reaches_the_care_team(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a, now=timezone.now() - timedelta(days=10))
    page = client.get(f"/r/{issued.token}/")
    body = page.content.decode()
    assert page.status_code == 404 and 'data-testid="unavailable"' in body
    assert body.count(f'action="/r/{issued.token}/help/"') == 2  # header and foot
    pressed = client.post(f"/r/{issued.token}/help/")
    assert pressed.status_code == 200 and 'data-testid="help-page"' in pressed.content.decode()
    assert RiskFlag.objects.get().patient == world.patient_a


def test_a_press_on_a_revoked_or_unknown_link_says_the_care_team_was_not_told(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    do_revoke_link(STAFF, issued.link)
    for token in (issued.token, "x" * 43):
        response = client.post(f"/r/{token}/help/")
        body = response.content.decode()
        assert response.status_code == 404
        assert 'data-testid="help-not-sent"' in body and "has not been told" in body
        assert 'href="tel:988"' in body  # the lines still shown at once
        assert "We have let your care team know" not in body
        assert 'action="/r/' not in body  # no second button that cannot work either
    assert not RiskFlag.objects.exists()


def test_a_press_on_a_busy_address_does_not_claim_more_than_it_knows(world: Any) -> None:
    issued = issue(world.patient_a)
    shared = Client(REMOTE_ADDR="203.0.113.9")
    for n in range(GUESS_LIMIT):
        shared.get(f"/r/guess{n:040d}/")
    real = shared.post(f"/r/{issued.token}/help/")
    guess = shared.post(f"/r/guess{'x' * 40}/help/")
    assert real.status_code == guess.status_code == 429
    for response in (real, guess):
        body = response.content.decode()
        assert 'data-testid="help-maybe-sent"' in body and "This link cannot be used" not in body
    assert RiskFlag.objects.get().patient == world.patient_a


def test_the_thanks_help_without_a_finished_link_says_nobody_was_told(
    db: Any, client: Client
) -> None:
    response = client.post("/r/thanks/help/")
    assert response.status_code == 404
    assert 'data-testid="help-not-sent"' in response.content.decode()
