"""'I need help now' sits in the top bar of every self-report page as well as after the form:
once a C-SSRS screen is added the bottom button is screens away on a phone."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from ketacare.safety.models import RiskFlag
from tests.measures.test_selfreport_help import issue


def _top_form(body: str) -> str:
    head = body[body.index('<header class="pf-head">') : body.index("</header>")]
    assert 'data-testid="help-now-top"' in head
    match = re.search(r'<form method="post" action="([^"]+)" class="pf-head-help">', head)
    assert match is not None
    return match.group(1)


def test_the_form_page_has_the_button_at_the_top_posting_to_the_help_endpoint(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    body = client.get(f"/r/{issued.token}/").content.decode()
    action = _top_form(body)
    assert action == f"/r/{issued.token}/help/"
    assert 'data-testid="help-now"' in body  # the one after the form stays
    response = client.post(action)
    assert response.status_code == 200
    assert RiskFlag.objects.get().patient == world.patient_a
