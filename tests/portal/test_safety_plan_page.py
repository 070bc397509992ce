"""The patient's safety plan in the portal: only their own, only the current version, crisis
lines on top, a friendly note when there is none; staff and anonymous visitors are kept out."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.accounts.audit import AuditEntry
from ketacare.safety.plan_actions import do_save_plan
from tests.conftest import World
from tests.safety.crisis_helpers import actor

PLAN = {
    "warning_signs": "Not sleeping; staying in my room",
    "coping_strategies": "Walk the dog; shower; music",
    "distractions": "Coffee shop on Main St",
    "help_contacts": "Sister Mia 555-0101",
    "professionals": "Dr Paula at the clinic; 988",
    "safe_environment": "Mia keeps my pills",
    "reasons_for_living": "My daughter",
}
URL = "/portal/safety-plan/"


def test_patient_sees_only_the_current_version_with_crisis_lines_first(
    portal: Any, world: World
) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN | {"warning_signs": "Old signs"})
    current = do_save_plan(
        actor(world.therapist_a), world.patient_a, PLAN | {"warning_signs": "Skipping meals"}
    )
    response = portal.client(portal.a).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Skipping meals" in body and "Old signs" not in body
    assert "Sister Mia 555-0101" in body and "My daughter" in body
    assert f"version {current.version}" in body
    assert body.index('data-testid="crisis-panel"') < body.index('data-testid="safety-plan"')
    assert "988" in body and "data-print" in body
    assert "no-store" in response["Cache-Control"]
    entry = AuditEntry.objects.get(action="portal.safety_plan.viewed")
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.actor_role == "patient" and entry.object_id == str(current.pk)


def test_another_patients_plan_never_shows(portal: Any, world: World) -> None:
    do_save_plan(actor(world.nurse_a), portal.a2.patient, PLAN | {"warning_signs": "Mary signs"})
    do_save_plan(actor(world.clinician_b), world.patient_b, PLAN | {"warning_signs": "Grace signs"})
    body = portal.client(portal.a).get(URL).content.decode()
    assert "Mary signs" not in body and "Grace signs" not in body
    assert "has not written a safety plan with you yet" in body
    other = portal.client(portal.a2).get(URL).content.decode()
    assert "Mary signs" in other and "Grace signs" not in other


def test_no_plan_shows_a_friendly_note_and_is_still_audited(portal: Any, world: World) -> None:
    response = portal.client(portal.b).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your care team has not written a safety plan with you yet" in body
    assert 'data-testid="crisis-panel"' in body and 'data-testid="safety-plan"' not in body
    entry = AuditEntry.objects.get(action="portal.safety_plan.viewed")
    assert entry.patient_id == str(world.patient_b.pk) and entry.clinic_id == world.clinic_b.pk


def test_the_menu_and_home_page_link_to_the_plan(portal: Any, world: World) -> None:
    c = portal.client(portal.a)
    home = c.get("/portal/").content.decode()
    assert f'href="{URL}"' in home and "Safety plan" in home
    assert "Open my safety plan" not in home  # no card until a plan exists
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    assert "Open my safety plan" in c.get("/portal/").content.decode()


def test_staff_are_refused(world: World, as_user: Any) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    response = as_user(world.nurse_a).get(URL)
    assert response.status_code == 403
    assert "Sister Mia" not in response.content.decode()
    assert AuditEntry.objects.filter(action="portal.staff_refused").exists()
    assert not AuditEntry.objects.filter(action="portal.safety_plan.viewed").exists()


def test_anonymous_visitors_go_to_sign_in(world: World) -> None:
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/portal/sign-in/?next={URL}"


def test_without_javascript_the_print_button_says_how_to_print(
    portal: Any, world: World, client: Any
) -> None:
    """The print buttons call window.print(): with JavaScript off they do nothing, so the page
    says what to use instead (portal and the /sp/ link page)."""
    from ketacare.safety.plan_actions import do_issue_plan_link

    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    issued = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    for body in (
        portal.client(portal.a).get(URL).content.decode(),
        client.get(f"/sp/{issued.token}/").content.decode(),
    ):
        hint = body[body.index("<noscript>") : body.index("</noscript>")]
        assert 'data-testid="print-hint"' in hint and "Print or Share menu" in hint
