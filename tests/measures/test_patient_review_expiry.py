"""A link that runs out of time while the patient is half-way through a questionnaire: a link
opened before it expired keeps working for `FINISHING_GRACE` after, so the answers on the
page (a risk answer among them, which must reach the care team) are not thrown away."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.measures.selfreport_actions import (
    FINISHING_GRACE,
    IssuedLink,
    do_issue_link,
    do_revoke_link,
)
from ketacare.safety.models import RiskFlag

STAFF = Actor(label="nurse@a.test")
PHQ9_ITEM9 = {f"phq9-{i}": "2" if i == 9 else "1" for i in range(1, 10)}
NEXT = {"scale": "phq9", "action": "next", **PHQ9_ITEM9}


def crisis_panel_shown(body: str) -> bool:
    start = body.find('data-testid="crisis"')
    tag = body[body.rfind("<", 0, start) : body.find(">", start)]
    return start >= 0 and " hidden" not in tag


def issue(patient: Any, scales: list[str]) -> IssuedLink:
    return do_issue_link(STAFF, patient, scales, context="follow_up", channel="in_clinic", hours=1)


def test_answers_sent_just_after_the_link_ran_out_are_kept_and_flagged(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a, ["phq9", "gad7"])
    assert client.get(f"/r/{issued.token}/").status_code == 200  # opened in time
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=5)):
        response = client.post(f"/r/{issued.token}/", NEXT)
        assert response.status_code == 302 and response["Location"] == f"/r/{issued.token}/"
        page = client.get(f"/r/{issued.token}/")
        body = page.content.decode()
        assert page.status_code == 200 and 'name="cssrs_recent-1"' in body  # the screen next
        assert crisis_panel_shown(body)
        assert 'data-testid="finish-now"' in body  # no "works until" a time already past
        answer = {"scale": "cssrs_recent", "cssrs_recent-1": "0"}
        saved = client.post(f"/r/{issued.token}/draft/", answer)
        assert saved.json()["saved"] is True
    assert Assessment.objects.get().scale_code == "phq9"
    assert RiskFlag.objects.filter(patient=world.patient_a).exists()
    assert SelfReportLink.objects.get().draft["cssrs_recent"] == {"cssrs_recent-1": 0}


def test_the_grace_ends_and_needs_a_link_opened_in_time_and_not_revoked(
    world: Any, client: Client
) -> None:
    opened = issue(world.patient_a, ["phq9"])
    client.get(f"/r/{opened.token}/")
    never_opened = issue(world.patient_a, ["phq9"])
    revoked = issue(world.patient_a, ["phq9"])
    client.get(f"/r/{revoked.token}/")
    do_revoke_link(STAFF, revoked.link)
    with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=5)):
        for issued in (never_opened, revoked):
            refused = Client().post(f"/r/{issued.token}/", NEXT)
            assert refused.status_code == 404
            assert 'data-testid="unavailable"' in refused.content.decode()
    with time_machine.travel(timezone.now() + timedelta(hours=1) + FINISHING_GRACE):
        late = Client().post(f"/r/{opened.token}/", NEXT)
        assert late.status_code == 404 and 'data-testid="unavailable"' in late.content.decode()
    assert not Assessment.objects.exists()
