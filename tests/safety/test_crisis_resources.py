"""Crisis resources per clinic and country, shown at once on the patient's pages, and a
patient's own "I need help now" (issue #7 items 1 and 2)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.safety.escalation_models import FlagEscalation, SafetySettings
from ketacare.safety.models import RiskFlag
from ketacare.safety.patient_help import do_patient_help
from ketacare.safety.resources import crisis_context, parse_extra_lines, resources_for

pytestmark = pytest.mark.django_db

STAFF = Actor(label="nurse@a.test")


def _phq9(value: int) -> dict[str, str]:
    return {f"phq9-{i}": "0" for i in range(1, 9)} | {"phq9-9": str(value)}


def test_us_clinic_gets_988_and_911_then_its_own_number_and_hours(world: Any) -> None:
    world.clinic_a.phone = "555-010-0999"
    world.clinic_a.save()
    SafetySettings.objects.create(
        clinic=world.clinic_a,
        crisis_phone="555-010-7777",
        hours="24/7",
        extra_lines="County mobile crisis | 555-010-4444 | Ask for the crisis team",
    )
    found = resources_for(world.clinic_a)
    assert [line.tel for line in found.lines] == ["911", "988", "", "5550104444"]
    assert found.clinic_tel == "5550107777" and found.hours == "24/7"


def test_clinic_abroad_shows_only_its_own_lines(world: Any) -> None:
    SafetySettings.objects.create(
        clinic=world.clinic_a, country="GB", extra_lines="Samaritans | 116 123 | Call any time"
    )
    tels = [line.tel for line in resources_for(world.clinic_a).lines]
    assert "988" not in tels and "911" not in tels and "116123" in tels


def test_bad_extra_line_names_the_line() -> None:
    with pytest.raises(ValueError, match="Line 2"):
        parse_extra_lines("A | 555\nno number here")


def test_self_report_page_shows_the_clinics_resources_at_once(world: Any, client: Client) -> None:
    SafetySettings.objects.create(
        clinic=world.clinic_a, crisis_phone="555-010-7777", hours="weekdays 8–6"
    )
    issued = do_issue_link(STAFF, world.patient_a, ["phq9"], context="follow_up", channel="sms")
    response = client.post(f"/r/{issued.token}/", {"scale": "phq9", "action": "next", **_phq9(2)})
    page = client.get(response["Location"]).content.decode()
    assert 'href="tel:988"' in page and 'href="sms:988"' in page and 'href="tel:911"' in page
    assert 'href="tel:5550107777"' in page and "weekdays 8–6" in page
    flag = RiskFlag.objects.get()
    assert flag.level == "high" and flag.requires_cssrs
    assert FlagEscalation.objects.filter(flag=flag).exists()  # same transaction as the answer


def test_reusable_includes_render_for_any_patient_page(world: Any) -> None:
    html = render_to_string(
        "safety/_crisis_resources.html",
        {"clinic": world.clinic_a, "show_crisis": True, **crisis_context(world.clinic_a)},
    )
    assert 'data-testid="crisis"' in html and " hidden" not in html.split(">")[0]
    button = render_to_string("safety/_help_now.html", {"help_action": "/portal/help/"})
    assert 'action="/portal/help/"' in button and 'data-testid="help-now"' in button


def test_patient_help_raises_one_high_flag_and_audits_every_press(world: Any) -> None:
    actor = Actor(label="patient", clinic_id=world.clinic_a.pk)
    pressed = do_patient_help(actor, world.patient_a, "portal home")
    flag = pressed.flag
    assert pressed.raised and (flag.level, flag.source) == ("high", "patient_request")
    again = do_patient_help(actor, world.patient_a, "portal home")
    assert again.flag == flag and not again.raised  # no second flag while it is open
    assert RiskFlag.objects.count() == 1
    assert AuditEntry.objects.filter(action="safety.patient.help_requested").count() == 2
    assert FlagEscalation.objects.get(flag=flag).step >= 1


def test_the_crisis_text_line_link_fills_in_home(world: Any, client: Any) -> None:
    """ "Text HOME to 741741": the link opens the message with HOME in it (the ?&body= form
    that iOS and Android both read); 988's link has no body."""
    from ketacare.safety.crisis import CRISIS_LINES

    text_line = next(line for line in CRISIS_LINES if line.sms == "741741")
    assert text_line.sms_href == "sms:741741?&body=HOME"
    assert next(line for line in CRISIS_LINES if line.sms == "988").sms_href == "sms:988"
    page = client.get(f"/c/{world.clinic_a.slug}/consultation/thanks/").content.decode()
    assert 'href="sms:741741?&amp;body=HOME"' in page


def test_a_clinic_line_is_called_or_texted_as_its_own_words_say(world: Any, client: Client) -> None:
    """A text-only line (UK's Shout: "Text SHOUT to 85258") must not get a "Call" button that
    fails for a patient in crisis; "Call or text" gets both; anything else is called."""
    SafetySettings.objects.create(
        clinic=world.clinic_a,
        country="GB",
        extra_lines="Samaritans | 116 123 | Call free, any time\n"
        "Shout | 85258 | Text SHOUT to 85258\n"
        "Lifeline | 13 11 14 | Call or text 13 11 14",
    )
    samaritans, shout, lifeline = resources_for(world.clinic_a).lines[1:]
    assert (samaritans.tel, samaritans.sms) == ("116123", "")
    assert (shout.tel, shout.sms, shout.sms_href) == ("", "85258", "sms:85258?&body=SHOUT")
    assert (lifeline.tel, lifeline.sms) == ("131114", "131114")
    issued = do_issue_link(STAFF, world.patient_a, ["phq9"], context="follow_up", channel="sms")
    body = client.post(f"/r/{issued.token}/help/").content.decode()
    assert 'href="sms:85258?&amp;body=SHOUT"' in body and 'href="tel:85258"' not in body
    assert 'href="tel:116123"' in body and 'href="sms:131114"' in body
