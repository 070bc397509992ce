"""The portal's "This link cannot be used" page (a sign-in or invitation link that is unknown,
used or expired) shows the full crisis panel, as the help page does, with the installation's
lines: no clinic is known from such a link (safety.resources.deployment_resources)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from ketacare.notify.models import NotificationLog
from ketacare.safety.escalation_models import SafetySettings
from tests.page_text import without_tokens

UNUSABLE = ("/portal/sign-in/link/no-such-token-0000/", "/portal/welcome/no-such-token-0000/")
SAMARITANS = "Samaritans | 116 123 | Call any time"


def _panel(body: str) -> str:
    assert "This link cannot be used" in body
    return body.split('data-testid="crisis-panel"')[1].split("</section>")[0]


def test_an_unusable_link_shows_the_crisis_panel(world: Any) -> None:
    for url in UNUSABLE:
        response = Client().get(url)
        assert response.status_code == 404, url
        panel = _panel(response.content.decode())
        assert 'href="tel:911"' in panel and 'href="tel:988"' in panel, url
        assert "Crisis Text Line" in panel, url
        # No clinic's own number: the page does not know whose link it was.
        assert 'data-testid="crisis-clinic"' not in panel, url


def test_a_used_sign_in_link_shows_the_crisis_panel(portal: Any) -> None:
    Client().post("/portal/sign-in/", {"form": "link", "email": portal.a.user.email})
    log = NotificationLog.objects.get(purpose="portal.sign_in_link")
    found = re.search(r"http://[^\s]+(/portal/sign-in/link/[^\s]+/)", log.body)
    assert found is not None, log.body
    link = found.group(1)
    assert Client().post(link).status_code == 302
    response = Client().post(link)
    assert response.status_code == 404
    assert 'href="tel:988"' in _panel(response.content.decode())


def test_the_panel_of_a_gb_installation_has_no_us_numbers(world: Any) -> None:
    for clinic in (world.clinic_a, world.clinic_b):
        SafetySettings.objects.create(clinic=clinic, country="GB", extra_lines=SAMARITANS)
    panel = _panel(Client().get(UNUSABLE[0]).content.decode())
    assert 'href="tel:116123"' in panel and "local emergency number" in panel
    assert "988" not in without_tokens(panel) and "911" not in without_tokens(panel)
