"""Crisis resources on the patient's pages: shown at once after a risk answer, and on
"I need help now", which also raises a high-level risk flag for the care team."""

from __future__ import annotations

from datetime import timedelta
from html import escape
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.models import Assessment, DueAssessment, SelfReportLink
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.measures.tasks import flag_abandoned_risk_answers
from ketacare.safety.crisis import CRISIS_LINES, LIFELINE
from ketacare.safety.models import RiskFlag

STAFF = Actor(label="nurse@a.test")


def issue(patient: Any, scales: list[str]) -> Any:
    return do_issue_link(STAFF, patient, scales, context="follow_up", channel="in_clinic")


def crisis_panel_shown(body: str) -> bool:
    start = body.find('data-testid="crisis"')
    if start < 0:
        return False
    tag = body[body.rfind("<", 0, start) : body.find(">", start)]
    return " hidden" not in tag


def phq9_with_item9(value: int) -> dict[str, str]:
    return {f"phq9-{i}": "1" for i in range(1, 9)} | {"phq9-9": str(value)}


def test_crisis_panel_is_hidden_until_a_risk_answer(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, ["phq9"])
    body = client.get(f"/r/{issued.token}/").content.decode()
    assert 'data-testid="crisis"' in body and not crisis_panel_shown(body)


def test_item9_answer_shows_crisis_resources_on_the_next_page(world: Any, client: Client) -> None:
    world.clinic_a.phone = "555-010-0999"
    world.clinic_a.save()
    issued = issue(world.patient_a, ["phq9", "gad7"])
    data = {"scale": "phq9", "action": "next", **phq9_with_item9(1)}
    assert client.post(f"/r/{issued.token}/", data).status_code == 302
    body = client.get(f"/r/{issued.token}/").content.decode()
    assert crisis_panel_shown(body)
    assert 'href="tel:988"' in body and 'href="sms:988"' in body and 'href="tel:911"' in body
    assert 'href="tel:5550100999"' in body and "Alpha Clinic" in body
    # The flag comes from the standard path, with its assessment.
    flag = RiskFlag.objects.get()
    assert flag.source == "phq9_item9" and flag.assessment == Assessment.objects.get()
    entry = AuditEntry.objects.get(action="measures.selfreport.crisis_resources_shown")
    assert entry.detail == {"trigger": "answer", "scale": "phq9"}


def test_item9_on_a_link_adds_the_same_day_cssrs_screen(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, ["phq9"])
    client.post(f"/r/{issued.token}/", {"scale": "phq9", "action": "next", **phq9_with_item9(2)})
    link = SelfReportLink.objects.get()
    assert link.scale_codes == ["phq9", "cssrs_recent"] and link.completed_at is None
    assert DueAssessment.objects.get(scale_code="cssrs_recent").status == "open"
    answers = {"cssrs_recent-1": "1", "cssrs_recent-2": "0", "cssrs_recent-6": "0"}
    done = client.post(
        f"/r/{issued.token}/", {"scale": "cssrs_recent", "action": "next", **answers}
    )
    assert done["Location"] == "/r/thanks/"
    assert DueAssessment.objects.get(scale_code="cssrs_recent").status == "completed"
    assert crisis_panel_shown(client.get("/r/thanks/").content.decode())


def test_an_autosaved_risk_answer_reveals_the_panel_at_once(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, ["qids_sr16"])
    response = client.post(f"/r/{issued.token}/draft/", {"scale": "qids_sr16", "qids_sr16-12": "2"})
    assert response.json()["crisis"] is True
    assert crisis_panel_shown(client.get(f"/r/{issued.token}/").content.decode())


def test_a_risk_answer_kept_in_an_unsent_form_raises_its_flag_at_once(
    world: Any, client: Client
) -> None:
    """The answer is the warning sign: its flag is raised when it is saved, not when (or if)
    the form is sent; the abandoned-form sweep then has nothing left to raise."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        issued = issue(world.patient_a, ["phq9"])
        client.post(f"/r/{issued.token}/draft/", {"scale": "phq9", "phq9-9": "3"})
        flag = RiskFlag.objects.get()
        traveller.shift(timedelta(minutes=31))
        assert flag_abandoned_risk_answers() == 0
    assert flag.level == "high" and flag.source == "phq9_item9" and flag.assessment is None
    assert "saved but not yet sent" in flag.reason and flag.requires_cssrs


def test_i_need_help_now_raises_a_high_flag_shows_crisis_lines_and_is_audited(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a, ["phq9"])
    page = client.get(f"/r/{issued.token}/").content.decode()
    assert f'action="/r/{issued.token}/help/"' in page
    response = client.post(f"/r/{issued.token}/help/")
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="help-page"' in body
    assert crisis_panel_shown(body) and LIFELINE.action in body
    assert all(escape(line.name) in body for line in CRISIS_LINES)
    assert response["Referrer-Policy"] == "no-referrer"
    flag = RiskFlag.objects.get()
    assert (flag.level, flag.source, flag.patient) == ("high", "patient_request", world.patient_a)
    raised = AuditEntry.objects.get(action="safety.flag.raised")
    assert raised.actor_label == "patient-self-report"
    assert AuditEntry.objects.filter(action="measures.selfreport.help_requested").exists()
    # Pressing again a minute later shows the help again without a second flag.
    client.post(f"/r/{issued.token}/help/")
    assert RiskFlag.objects.count() == 1
    # And the questionnaire now keeps the crisis panel on every page.
    assert crisis_panel_shown(client.get(f"/r/{issued.token}/").content.decode())


def test_help_on_the_thank_you_page_reaches_the_care_team(world: Any, client: Client) -> None:
    issued = issue(world.patient_a, ["phq2"])
    client.post(
        f"/r/{issued.token}/", {"scale": "phq2", "action": "next", "phq2-1": "0", "phq2-2": "0"}
    )
    thanks = client.get("/r/thanks/").content.decode()
    assert 'action="/r/thanks/help/"' in thanks and not crisis_panel_shown(thanks)
    response = client.post("/r/thanks/help/")
    assert response.status_code == 200 and RiskFlag.objects.get().source == "patient_request"
    # Without the session (another browser) the thank-you page is the unavailable page.
    assert Client().get("/r/thanks/").status_code == 404
    assert Client().post("/r/thanks/help/").status_code == 404


def test_help_with_a_wrong_token_shows_crisis_lines_and_raises_nothing(
    db: Any, client: Client
) -> None:
    response = client.post("/r/" + "z" * 43 + "/help/")
    assert response.status_code == 404 and "988" in response.content.decode()
    assert not RiskFlag.objects.exists()
