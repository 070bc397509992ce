"""A double tap on "Send my answers" (or a reload that posts again) on a phone: the second
press reaches a link the first has just used up. The patient must be thanked, not told "This
link cannot be used" as if their answers were lost; and nothing is stored twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures import selfreport_views
from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.measures.selfreport_actions import IssuedLink, do_issue_link, do_revoke_link

STAFF = Actor(label="nurse@a.test")
PHQ2 = {"scale": "phq2", "action": "next", "phq2-1": "1", "phq2-2": "1"}


def issue(patient: Any) -> IssuedLink:
    return do_issue_link(STAFF, patient, ["phq2"], context="follow_up", channel="in_clinic")


def test_a_second_press_after_the_link_was_used_up_thanks_the_patient(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    first = client.post(f"/r/{issued.token}/", PHQ2)
    assert first.status_code == 302 and first["Location"] == "/r/thanks/"
    other = Client()  # its own session: the first press's session may not be saved yet
    second = other.post(f"/r/{issued.token}/", PHQ2)
    assert second.status_code == 302 and second["Location"] == "/r/thanks/"
    thanks = other.get("/r/thanks/")
    assert thanks.status_code == 200
    assert "Your answers have been sent" in thanks.content.decode()
    assert Assessment.objects.count() == 1


def test_a_press_that_loses_the_race_inside_the_action_thanks_the_patient(
    world: Any, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both presses read the link while it was open; the second waits on the row lock and
    finds it used up ("link" refusal from the action)."""
    issued = issue(world.patient_a)
    original = selfreport_views.actions.do_submit_scale

    def first_press_wins(link: SelfReportLink, *args: Any) -> Any:
        original(SelfReportLink.objects.get(pk=link.pk), *args)  # the other tap's request
        return original(link, *args)

    monkeypatch.setattr(selfreport_views.actions, "do_submit_scale", first_press_wins)
    response = client.post(f"/r/{issued.token}/", PHQ2)
    assert response.status_code == 302 and response["Location"] == "/r/thanks/"
    assert "Your answers have been sent" in client.get("/r/thanks/").content.decode()
    assert Assessment.objects.count() == 1


def test_a_used_link_later_or_revoked_or_opened_still_gets_the_one_unavailable_page(
    world: Any,
) -> None:
    issued = issue(world.patient_a)
    assert Client().post(f"/r/{issued.token}/", PHQ2).status_code == 302
    assert Client().get(f"/r/{issued.token}/").status_code == 404  # only a POST is a re-press
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        late = Client().post(f"/r/{issued.token}/", PHQ2)
    assert late.status_code == 404 and 'data-testid="unavailable"' in late.content.decode()
    revoked = issue(world.patient_a)
    do_revoke_link(STAFF, revoked.link)
    refused = Client().post(f"/r/{revoked.token}/", PHQ2)
    assert refused.status_code == 404 and 'data-testid="unavailable"' in refused.content.decode()
    assert Assessment.objects.count() == 1
