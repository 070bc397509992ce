"""A clinic abroad: every patient-facing surface shows the clinic's own crisis lines, number and
hours (its SafetySettings), never the built-in US 988 / 911 — the portal's bar, help page,
"I need help now" answer and safety plan, the /sp/ link, the printed plan and the link email."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

import pytest

from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.notify.models import NotificationLog
from ketacare.safety.escalation_models import SafetySettings
from ketacare.safety.plan_actions import do_issue_plan_link, do_save_plan
from tests.page_text import without_tokens
from tests.safety.crisis_helpers import actor

PLAN = {
    "warning_signs": "Not sleeping",
    "coping_strategies": "Walk the dog",
    "distractions": "The library",
    "help_contacts": "Sister Mia",
    "professionals": "Dr Paula",
    "safe_environment": "Mia keeps my pills",
    "reasons_for_living": "My daughter",
}


@pytest.fixture
def gb_clinic(world: Any) -> Any:
    world.clinic_a.phone = "020 7946 0000"
    world.clinic_a.save()
    SafetySettings.objects.create(
        clinic=world.clinic_a,
        country="GB",
        crisis_phone="020 7946 0999",
        hours="Mon–Fri 9–5",
        extra_lines="Samaritans | 116 123 | Call any time, day or night",
    )
    return world


def section(body: str, testid: str) -> str:
    """The element with this data-testid, up to the end of its section or bar."""
    rest = body.split(f'data-testid="{testid}"')[1]
    return rest.split("</section>" if "</section>" in rest else "</div>")[0]


def assert_gb_lines(html: str, where: str) -> None:
    assert "Samaritans" in html and 'href="tel:116123"' in html, where
    assert "988" not in without_tokens(html) and "911" not in without_tokens(html), where
    assert "local emergency number" in html, where


def test_portal_pages_show_the_clinics_lines(portal: Any, gb_clinic: Any) -> None:
    c = portal.client(portal.a)
    do_save_plan(actor(gb_clinic.nurse_a), gb_clinic.patient_a, PLAN)
    for url in ("/portal/", "/portal/help/", "/portal/safety-plan/", "/portal/progress/"):
        body = c.get(url).content.decode()
        bar = body.split('data-testid="crisis-bar"')[1].split("</div>")[0]
        assert 'href="tel:116123"' in bar and 'href="tel:02079460999"' in bar, url
        assert "988" not in without_tokens(bar) and "911" not in without_tokens(bar), url
        assert "call your local emergency number" in body.split('class="pt-foot"')[1], url
    for url in ("/portal/help/", "/portal/safety-plan/"):
        panel = section(c.get(url).content.decode(), "crisis-panel")
        assert_gb_lines(panel, url)
        assert 'href="tel:02079460999"' in panel and "Mon–Fri 9–5" in panel, url


def test_the_help_answer_shows_the_clinics_lines(portal: Any, gb_clinic: Any) -> None:
    body = portal.client(portal.a).post("/portal/help/now/?page=/portal/").content.decode()
    assert_gb_lines(section(body, "crisis-panel"), "help answer")
    assert "If you are in danger, call your local emergency number now." in body


def test_safety_plan_link_and_print_show_the_clinics_lines(
    gb_clinic: Any, client: Any, as_user: Any
) -> None:
    # (The plan's own step help text suggests 988; that text is not a crisis-line list.)
    do_save_plan(actor(gb_clinic.nurse_a), gb_clinic.patient_a, PLAN)
    issued = do_issue_plan_link(actor(gb_clinic.nurse_a), gb_clinic.patient_a)
    page = client.get(urlparse(issued.url).path).content.decode()
    lines = section(page, "crisis-resources")
    assert_gb_lines(lines, "/sp/")
    assert 'href="tel:02079460999"' in lines and "Mon–Fri 9–5" in lines
    answer = client.post(f"{urlparse(issued.url).path}help/").content.decode()
    assert_gb_lines(section(answer, "crisis-resources"), "/sp/ help answer")
    assert "call your local emergency number now" in answer
    printed = as_user(gb_clinic.nurse_a).get(
        f"/patients/{gb_clinic.patient_a.pk}/crisis/plan/print/"
    )
    assert_gb_lines(section(printed.content.decode(), "crisis-resources"), "print")


def test_the_link_email_gives_the_clinics_lines(gb_clinic: Any) -> None:
    gb_clinic.patient_a.email = "ada@patient.test"
    gb_clinic.patient_a.save()
    do_issue_link(
        actor(gb_clinic.nurse_a),
        gb_clinic.patient_a,
        ["phq9"],
        context="follow_up",
        channel="email",
    )
    body = NotificationLog.objects.get(purpose="selfreport.link").body
    assert "Samaritans: Call any time, day or night (116123)" in body
    assert "Call your local emergency number" in body
    assert "Alpha Clinic, your care team: 020 7946 0999 (Mon–Fri 9–5)" in body
    assert "988" not in without_tokens(body) and "911" not in without_tokens(body)


def test_a_us_clinic_email_keeps_988_and_911(world: Any) -> None:
    world.patient_a.email = "ada@patient.test"
    world.patient_a.save()
    do_issue_link(
        actor(world.nurse_a), world.patient_a, ["phq9"], context="follow_up", channel="email"
    )
    body = NotificationLog.objects.get(purpose="selfreport.link").body
    assert "Call or text 988" in body and "Call 911" in body
