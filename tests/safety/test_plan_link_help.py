""" "I need help now" on the patient's safety-plan link page (/sp/<token>/): a high flag for the
care team through `safety.patient_help`, then the clinic's crisis resources."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.safety.crisis_models import SafetyPlanLink
from ketacare.safety.escalation_models import SafetySettings
from ketacare.safety.models import RiskFlag
from ketacare.safety.plan_actions import do_issue_plan_link, do_revoke_plan_link, do_save_plan
from tests.page_text import without_tokens
from tests.safety.crisis_helpers import actor

pytestmark = pytest.mark.django_db

PLAN = {
    "warning_signs": "Not sleeping",
    "coping_strategies": "Walk the dog",
    "distractions": "The library",
    "help_contacts": "Sister Mia",
    "professionals": "Dr Paula",
    "safe_environment": "Mia keeps my pills",
    "reasons_for_living": "My daughter",
}


def plan_link(world: Any) -> Any:
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    return do_issue_plan_link(actor(world.nurse_a), world.patient_a)


def test_the_plan_page_has_the_button_and_a_press_reaches_the_care_team(world: Any) -> None:
    issued = plan_link(world)
    client = Client(enforce_csrf_checks=True)
    page = client.get(f"/sp/{issued.token}/").content.decode()
    assert f'action="/sp/{issued.token}/help/"' in page and 'data-testid="help-now"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    # The page is sent with no-referrer, so the browser posts with `Origin: null`.
    response = client.post(
        f"/sp/{issued.token}/help/", {"csrfmiddlewaretoken": token.group(1)}, HTTP_ORIGIN="null"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="help-sent"' in body and "If you are in danger, call 911 now." in body
    assert 'data-testid="crisis-resources"' in body and 'href="tel:988"' in body
    assert f'href="/sp/{issued.token}/"' in body  # back to the plan
    assert response["Referrer-Policy"] == "no-referrer" and "no-store" in response["Cache-Control"]
    flag = RiskFlag.objects.get()
    assert (flag.patient, flag.level, flag.source) == (world.patient_a, "high", "patient_request")
    entry = AuditEntry.objects.get(action="safety.patient.help_requested")
    assert entry.actor_label == "patient (safety plan link)"
    assert entry.detail["safety_plan_link"] == issued.link.pk and entry.detail["raised"]


def test_a_press_without_a_csrf_token_still_reaches_the_care_team(world: Any) -> None:
    """The token in the address is the credential: a page whose CSRF token went stale (a
    portal sign-in in another tab rotates it) must not lose the press."""
    issued = plan_link(world)
    client = Client(enforce_csrf_checks=True)
    assert client.post(f"/sp/{issued.token}/help/", HTTP_ORIGIN="null").status_code == 200
    assert RiskFlag.objects.get().patient == world.patient_a


def test_a_press_on_an_expired_plan_link_still_raises_the_flag(world: Any) -> None:
    issued = plan_link(world)
    SafetyPlanLink.objects.filter(pk=issued.link.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = Client().post(f"/sp/{issued.token}/help/")
    assert response.status_code == 200
    assert f'href="/sp/{issued.token}/"' not in response.content.decode()  # expired: no way back
    assert RiskFlag.objects.get().patient == world.patient_a


def test_a_revoked_or_unknown_plan_link_shows_crisis_lines_and_raises_nothing(
    world: Any,
) -> None:
    SafetySettings.objects.create(
        clinic=world.clinic_a, country="GB", extra_lines="Samaritans | 116 123"
    )
    issued = plan_link(world)
    do_revoke_plan_link(actor(world.nurse_a), issued.link)
    revoked = Client().post(f"/sp/{issued.token}/help/")
    assert revoked.status_code == 404
    body = revoked.content.decode()
    assert 'href="tel:116123"' in body and "Alpha Clinic" not in body
    assert "988" not in without_tokens(body)
    unknown = Client().post("/sp/" + "z" * 43 + "/help/")
    # Unknown link: no clinic to go by, and this installation has a GB and a US clinic.
    assert unknown.status_code == 404 and "local emergency number" in unknown.content.decode()
    assert "988" not in without_tokens(unknown.content.decode())
    assert not RiskFlag.objects.exists()
    # The refused press on the revoked link is on the record; the unknown token has no patient.
    [entry] = AuditEntry.objects.filter(action="safety.patient.help_requested")
    assert (entry.outcome, entry.object_id) == ("denied", str(issued.link.pk))


def test_the_page_of_an_expired_plan_link_has_the_button_and_a_press_reaches_the_team(
    world: Any,
) -> None:
    """An expired link still reaches the care team (`plan_link_for_help`): its "not available"
    page must offer the button, not leave a patient in crisis with a dead end."""
    issued = plan_link(world)
    SafetyPlanLink.objects.filter(pk=issued.link.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    page = Client().get(f"/sp/{issued.token}/")
    assert page.status_code == 404
    # Relative ("help/" from /sp/<token>/): the page stays the same for every token.
    assert 'action="help/"' in page.content.decode()
    response = Client().post(f"/sp/{issued.token}/help/")
    assert response.status_code == 200 and 'data-testid="help-sent"' in response.content.decode()
    assert RiskFlag.objects.get().patient == world.patient_a


def test_a_press_that_reached_nobody_says_the_care_team_was_not_told(world: Any) -> None:
    issued = plan_link(world)
    do_revoke_plan_link(actor(world.nurse_a), issued.link)
    for token in (issued.token, "z" * 43):
        body = Client().post(f"/sp/{token}/help/").content.decode()
        assert 'data-testid="help-not-sent"' in body and "has not been told" in body
        assert 'data-testid="crisis-resources"' in body
        assert 'action="/sp/' not in body  # no second button that cannot work either
    assert not RiskFlag.objects.exists()
