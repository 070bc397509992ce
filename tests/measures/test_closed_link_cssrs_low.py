"""A C-SSRS screen posted after its questionnaire link closed (expired, or already sent).

A low-risk positive screen (Q1 or Q2 Yes only) raises no flag on an open link (clinical.risk:
C-SSRS flags are moderate and high), so it raises none on a closed one either: the patient sees
the crisis lines, and the page never says the care team was told. A moderate or high screen
still raises its flag and the page says someone will contact them; an all-No screen shows
neither the lines nor a promise."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.models import Assessment, SelfReportLink
from ketacare.measures.selfreport_actions import IssuedLink, do_issue_link, meta
from ketacare.safety.models import RiskFlag
from tests.portal.conftest import PORTAL_PASSWORD, make_portal_account
from tests.portal.test_questionnaires import make_due

STAFF = Actor(label="nurse@a.test")
SCALE = "cssrs_recent"
NEGATIVE = {"1": "0", "2": "0", "6": "0"}
LOW = {"1": "1", "2": "0", "6": "0"}  # Q1 Yes only: low (Columbia triage, clinical.md §16b)
MODERATE = {"1": "1", "2": "1", "3": "1", "4": "0", "5": "0", "6": "0"}  # Q3 Yes
HIGH = {"1": "1", "2": "1", "3": "1", "4": "1", "5": "0", "6": "0"}  # Q4 Yes
PROMISE = "Your care team has been told what you answered about your safety"
CONTACT = "someone will contact you"


def screen(answers: dict[str, str]) -> dict[str, str]:
    return {"scale": SCALE, "action": "next"} | {f"{SCALE}-{k}": v for k, v in answers.items()}


def portal_client(patient: Any) -> Client:
    account = make_portal_account(patient, "ada@patient.test")
    c = Client()
    signed_in = c.post(
        "/portal/sign-in/",
        {"form": "password", "email": account.user.email, "password": PORTAL_PASSWORD},
    )
    assert signed_in.status_code == 302
    return c


def started_on_portal(world: Any) -> tuple[Client, str, SelfReportLink]:
    make_due(world.patient_a, SCALE)
    c = portal_client(world.patient_a)
    url = c.post("/portal/questionnaires/start/")["Location"]
    c.get(url)  # opened
    return c, url, SelfReportLink.objects.get(patient=world.patient_a)


def expire(link_id: int) -> None:
    """Past the expiry and its finishing hour: the link is closed."""
    expired = timezone.now() - timedelta(minutes=90)
    SelfReportLink.objects.filter(pk=link_id).update(
        expires_at=expired, opened_at=expired - timedelta(hours=1)
    )


def closed_page(c: Client, url: str, answers: dict[str, str], link: SelfReportLink) -> str:
    late = c.post(url, screen(answers))
    assert late.status_code == 302 and late["Location"].endswith(f"?closed={link.pk}")
    return c.get(late["Location"]).content.decode()


def issue(patient: Any) -> IssuedLink:
    return do_issue_link(STAFF, patient, [SCALE], context="follow_up", channel="sms")


def closed_entry() -> AuditEntry:
    return AuditEntry.objects.get(action="measures.selfreport.closed_link_answers")


def test_a_low_positive_screen_on_a_closed_portal_link_shows_the_lines_and_promises_nothing(
    world: Any,
) -> None:
    c, url, link = started_on_portal(world)
    expire(link.pk)
    page = closed_page(c, url, LOW, link)
    assert 'data-testid="crisis-panel"' in page  # the crisis lines, at once
    assert 'data-testid="contact-not-promised"' in page
    assert "please do not wait for us to contact you" in page
    assert PROMISE not in page and CONTACT not in page
    assert 'data-testid="contact-promised"' not in page
    assert not RiskFlag.objects.exists()  # low: no flag, as on an open link
    assert not Assessment.objects.exists()  # the link was closed: nothing stored
    assert meta(SelfReportLink.objects.get(pk=link.pk))["closed_told"] is False
    entry = closed_entry()
    assert entry.detail == {
        "scale": SCALE,
        "flag": None,
        "care_team_told": False,
        "crisis_resources_first_shown": True,
    }


def test_a_low_positive_screen_on_a_closed_r_link_raises_nothing_and_promises_nothing(
    world: Any, client: Client
) -> None:
    issued = issue(world.patient_a)
    client.get(f"/r/{issued.token}/")
    expire(issued.link.pk)
    late = client.post(f"/r/{issued.token}/", screen(LOW))
    assert late.status_code == 404
    body = late.content.decode()
    assert 'data-testid="unavailable"' in body  # the page every refused link gets
    assert 'data-testid="crisis">' in body  # the crisis lines, not hidden
    assert "been told" not in body and CONTACT not in body
    assert not RiskFlag.objects.exists() and not Assessment.objects.exists()
    assert closed_entry().detail["care_team_told"] is False
    assert meta(SelfReportLink.objects.get(pk=issued.link.pk))["crisis"] is True


def test_a_moderate_screen_on_a_closed_portal_link_is_flagged_and_contact_promised(
    world: Any,
) -> None:
    c, url, link = started_on_portal(world)
    expire(link.pk)
    page = closed_page(c, url, MODERATE, link)
    flag = RiskFlag.objects.get()
    assert (flag.patient, flag.level, flag.source) == (world.patient_a, "moderate", "cssrs")
    assert "the answers were not stored" in flag.reason
    assert 'data-testid="contact-promised"' in page and PROMISE in page and CONTACT in page
    assert 'data-testid="contact-not-promised"' not in page
    assert 'data-testid="crisis-panel"' in page
    assert closed_entry().detail["flag"] == flag.pk
    assert closed_entry().detail["care_team_told"] is True


def test_a_high_screen_on_a_closed_r_link_is_flagged(world: Any, client: Client) -> None:
    issued = issue(world.patient_a)
    client.get(f"/r/{issued.token}/")
    expire(issued.link.pk)
    assert client.post(f"/r/{issued.token}/", screen(HIGH)).status_code == 404
    flag = RiskFlag.objects.get()
    assert (flag.patient, flag.level, flag.source) == (world.patient_a, "high", "cssrs")
    assert not Assessment.objects.exists()
    entry = closed_entry()
    assert entry.detail["flag"] == flag.pk and entry.detail["care_team_told"] is True


def test_a_low_screen_after_a_flagged_one_keeps_the_promise_without_a_second_flag(
    world: Any,
) -> None:
    c, url, link = started_on_portal(world)
    expire(link.pk)
    closed_page(c, url, MODERATE, link)
    page = closed_page(c, url, LOW, link)
    assert RiskFlag.objects.count() == 1  # the moderate flag stands: the team was told
    assert PROMISE in page and 'data-testid="contact-not-promised"' not in page


def test_a_negative_screen_on_a_closed_portal_link_shows_no_lines_and_no_promise(
    world: Any,
) -> None:
    c, url, link = started_on_portal(world)
    expire(link.pk)
    page = closed_page(c, url, NEGATIVE, link)
    assert "they were not saved" in page
    assert 'data-testid="crisis-panel"' not in page
    assert PROMISE not in page and CONTACT not in page
    assert 'data-testid="contact-not-promised"' not in page
    assert not RiskFlag.objects.exists()
    assert not AuditEntry.objects.filter(action="measures.selfreport.closed_link_answers").exists()


def test_a_low_screen_from_a_stale_tab_of_a_sent_questionnaire_promises_nothing(
    world: Any,
) -> None:
    c, url, link = started_on_portal(world)
    sent = c.post(url, screen(NEGATIVE))
    assert sent["Location"].endswith(f"?done={link.pk}")
    late = c.post(url, screen(LOW))  # the page restored in another tab, answered again
    assert late["Location"].endswith(f"?done={link.pk}")
    page = c.get(late["Location"]).content.decode()
    assert 'data-testid="questionnaire-done"' in page and 'data-testid="crisis-panel"' in page
    assert 'data-testid="contact-not-promised"' in page
    assert "The answers you gave after that were not saved" in page
    assert CONTACT not in page and 'data-testid="contact-promised"' not in page
    assert not RiskFlag.objects.exists()
    assert Assessment.objects.get().answers == {f"{SCALE}-{k}": 0 for k in NEGATIVE}


def test_a_sent_moderate_screen_keeps_its_promise_after_a_stale_low_one(world: Any) -> None:
    c, url, _link = started_on_portal(world)
    c.post(url, screen(MODERATE))
    assert RiskFlag.objects.get().level == "moderate"
    late = c.post(url, screen(LOW))
    page = c.get(late["Location"]).content.decode()
    assert 'data-testid="contact-promised"' in page and CONTACT in page
    assert RiskFlag.objects.count() == 1
    assert closed_entry().detail["care_team_told"] is True


def test_a_low_screen_sent_on_an_open_portal_link_promises_nothing(world: Any) -> None:
    c, url, link = started_on_portal(world)

    sent = c.post(url, screen(LOW))

    assert sent["Location"].endswith(f"?done={link.pk}")
    page = c.get(sent["Location"]).content.decode()
    assert 'data-testid="crisis-panel"' in page  # the lines, at once
    assert 'data-testid="contact-not-promised"' in page and CONTACT not in page
    assert not RiskFlag.objects.exists()


def test_a_moderate_screen_sent_on_an_open_portal_link_promises_contact(world: Any) -> None:
    c, url, _link = started_on_portal(world)

    sent = c.post(url, screen(MODERATE))

    page = c.get(sent["Location"]).content.decode()
    assert 'data-testid="contact-promised"' in page and CONTACT in page
    assert RiskFlag.objects.filter(patient=world.patient_a, level="moderate").exists()
