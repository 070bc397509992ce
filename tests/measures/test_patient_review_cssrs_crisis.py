"""A "Yes" on the C-SSRS screen sent through a link shows the crisis lines at once, at any
level: Columbia's triage sends every positive screen below high to "outpatient care and
crisis lines" (clinical.md §16b), and "Yes, I have had actual thoughts of killing myself" is a
risk answer even before Q3-Q5 are answered (the level is withheld until then) and even when
the screen ends low (no flag: the issue flags moderate and high only)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.selfreport_actions import IssuedLink, do_issue_link
from ketacare.safety.models import RiskFlag

STAFF = Actor(label="nurse@a.test")


def crisis_panel_shown(body: str) -> bool:
    start = body.find('data-testid="crisis"')
    tag = body[body.rfind("<", 0, start) : body.find(">", start)]
    return start >= 0 and " hidden" not in tag


def issue(patient: Any) -> IssuedLink:
    return do_issue_link(STAFF, patient, ["cssrs_recent"], context="follow_up", channel="in_clinic")


def test_a_yes_to_active_thoughts_reveals_the_lines_as_soon_as_it_is_saved(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    saved = client.post(
        f"/r/{issued.token}/draft/", {"scale": "cssrs_recent", "cssrs_recent-2": "1"}
    )
    assert saved.json() == {"saved": True, "crisis": True, "errors": {}}
    assert crisis_panel_shown(client.get(f"/r/{issued.token}/").content.decode())
    entry = AuditEntry.objects.get(action="measures.selfreport.crisis_resources_shown")
    assert entry.detail == {"trigger": "answer", "scale": "cssrs_recent"}


def test_a_low_risk_positive_screen_sent_without_javascript_shows_the_lines(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    answers = {"cssrs_recent-1": "1", "cssrs_recent-2": "0", "cssrs_recent-6": "0"}
    data = {"scale": "cssrs_recent", "action": "next", **answers}
    done = client.post(f"/r/{issued.token}/", data)
    assert done["Location"] == "/r/thanks/"
    assert crisis_panel_shown(client.get("/r/thanks/").content.decode())
    assert not RiskFlag.objects.exists()  # low: lines for the patient, no flag (issue item 1)


def test_an_all_no_screen_shows_no_lines(world: Any, client: Client) -> None:
    issued = issue(world.patient_a)
    answers = {"cssrs_recent-1": "0", "cssrs_recent-2": "0", "cssrs_recent-6": "0"}
    client.post(f"/r/{issued.token}/", {"scale": "cssrs_recent", "action": "next", **answers})
    assert not crisis_panel_shown(client.get("/r/thanks/").content.decode())
