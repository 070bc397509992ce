"""The crisis lines on the safety-plan link (/sp/) as a phone shows them: every number, the
clinic's included, is a full-size call button on its own row, and print still shows the number."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from ketacare.safety.plan_actions import do_issue_plan_link, do_save_plan
from tests.safety.crisis_helpers import actor

pytestmark = pytest.mark.django_db

PLAN = {
    "warning_signs": "Not sleeping",
    "coping_strategies": "Walk the dog",
    "distractions": "The library",
    "help_contacts": "Sister Mia",
    "professionals": "Dr Paula",
    "safe_environment": "Mia keeps my pills",
    "reasons_for_living": "My daughter",
}


def lines_on_plan_page(world: Any) -> str:
    world.clinic_a.phone = "555-010-0999"
    world.clinic_a.save()
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    issued = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    body = Client().get(f"/sp/{issued.token}/").content.decode()
    return body.split('data-testid="crisis-resources"')[1].split("</section>")[0]


def test_the_clinic_number_is_a_call_button_with_its_hours(world: Any) -> None:
    lines = lines_on_plan_page(world)
    clinic = lines.split('data-testid="crisis-clinic"')[1]
    assert re.search(r'<a class="button" href="tel:5550100999">Call 555-010-0999</a>', clinic)
    assert "your care team" in clinic and '<span class="print-only">555-010-0999</span>' in clinic


def test_call_and_text_buttons_sit_in_their_own_row(world: Any) -> None:
    lines = lines_on_plan_page(world)
    rows = re.findall(r'<span class="crisis-line-actions">(.*?)</span>', lines, re.S)
    assert any('href="tel:911"' in row for row in rows)
    assert any('href="tel:988"' in row and 'href="sms:988"' in row for row in rows)
    assert all('href="tel:' in row or 'href="sms:' in row for row in rows)
    assert not re.search(r"</a>\s*\(", lines)  # no bare number link followed by its hours


def test_crisis_bar_links_say_call_for_screen_readers(world: Any) -> None:
    from django.template.loader import render_to_string

    from ketacare.safety.crisis import CRISIS_LINES

    html = render_to_string("portal/_crisis_bar.html", {"bar_lines": CRISIS_LINES[:2]})
    assert f'aria-label="Call {CRISIS_LINES[0].name}, {CRISIS_LINES[0].tel}"' in html


def test_the_plan_link_page_has_a_main_heading(world: Any) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    issued = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    body = Client().get(f"/sp/{issued.token}/").content.decode()
    assert '<h1 class="sr-only">My safety plan</h1>' in body
