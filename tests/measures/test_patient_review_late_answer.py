"""Answers posted from a page of a questionnaire the link has already sent: a second tab (the
text message's link tapped twice) or a page the back button restored. The sent questionnaire
stands, but a risk answer given there must not vanish: a higher one raises its flag and shows
the crisis lines; the same answers again (a double tap on Next) raise nothing more."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.models import Assessment
from ketacare.measures.selfreport_actions import IssuedLink, do_issue_link
from ketacare.safety.models import RiskFlag

STAFF = Actor(label="nurse@a.test")


def crisis_panel_shown(body: str) -> bool:
    start = body.find('data-testid="crisis"')
    tag = body[body.rfind("<", 0, start) : body.find(">", start)]
    return start >= 0 and " hidden" not in tag


def phq9(item9: int) -> dict[str, str]:
    return {"scale": "phq9", "action": "next"} | {
        f"phq9-{i}": str(item9 if i == 9 else 1) for i in range(1, 10)
    }


def issue(patient: Any) -> IssuedLink:
    return do_issue_link(STAFF, patient, ["phq9", "gad7"], context="follow_up", channel="sms")


def test_item9_raised_on_a_page_left_open_in_another_tab_is_flagged_and_answered(
    world: Any,
) -> None:
    issued = issue(world.patient_a)
    first_tab, second_tab = Client(), Client()
    second_tab.get(f"/r/{issued.token}/")  # opened twice from the text message
    assert first_tab.post(f"/r/{issued.token}/", phq9(0)).status_code == 302
    assert not RiskFlag.objects.exists()
    late = second_tab.post(f"/r/{issued.token}/", phq9(2))
    assert late.status_code == 302 and late["Location"] == f"/r/{issued.token}/"
    flag = RiskFlag.objects.get()
    assert (flag.patient, flag.level, flag.source) == (world.patient_a, "high", "phq9_item9")
    assert "after the questionnaire was sent" in flag.reason
    assert crisis_panel_shown(second_tab.get(f"/r/{issued.token}/").content.decode())
    assert Assessment.objects.get().answers["phq9-9"] == 0  # the sent questionnaire stands
    entry = AuditEntry.objects.get(action="measures.selfreport.late_answers")
    assert entry.detail == {"scale": "phq9", "flag": flag.pk}


def test_a_double_tap_on_next_raises_nothing_more(world: Any, client: Client) -> None:
    issued = issue(world.patient_a)
    client.post(f"/r/{issued.token}/", phq9(2))
    again = client.post(f"/r/{issued.token}/", phq9(2))
    assert again.status_code == 302
    assert RiskFlag.objects.count() == 1


def test_a_lower_or_harmless_late_answer_changes_nothing(world: Any, client: Client) -> None:
    issued = issue(world.patient_a)
    client.post(f"/r/{issued.token}/", phq9(0))
    client.post(f"/r/{issued.token}/", phq9(0) | {"phq9-1": "3"})
    assert not RiskFlag.objects.exists()
    assert not crisis_panel_shown(client.get(f"/r/{issued.token}/").content.decode())


def test_the_same_late_answer_posted_again_is_not_flagged_twice(world: Any) -> None:
    issued = issue(world.patient_a)
    first_tab, second_tab = Client(), Client()
    second_tab.get(f"/r/{issued.token}/")
    first_tab.post(f"/r/{issued.token}/", phq9(0))
    second_tab.post(f"/r/{issued.token}/", phq9(2))
    second_tab.post(f"/r/{issued.token}/", phq9(2))  # a reload that posts again
    assert RiskFlag.objects.count() == 1
