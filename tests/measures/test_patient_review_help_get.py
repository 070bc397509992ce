"""The address of a help page opened again without a POST (a tab the phone restored, the
history list, a shared link): it leads back to the page the crisis lines are on, never to a
bare "405 Method Not Allowed" with nothing on it. Nothing is raised by a GET."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketacare.accounts.audit import Actor
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.safety.models import RiskFlag
from ketacare.safety.plan_actions import do_issue_plan_link, do_save_plan
from tests.safety.crisis_helpers import actor

STAFF = Actor(label="nurse@a.test")
PLAN = {
    "warning_signs": "Not sleeping",
    "coping_strategies": "A walk",
    "distractions": "The gym",
    "help_contacts": "My sister",
    "professionals": "The clinic",
    "safe_environment": "Pills with Mia",
}


def test_the_questionnaire_help_address_reopened_shows_the_lines_again(
    world: Any, client: Client
) -> None:
    issued = do_issue_link(STAFF, world.patient_a, ["phq9"], context="follow_up", channel="sms")
    client.post(f"/r/{issued.token}/help/")
    again = client.get(f"/r/{issued.token}/help/", follow=True)
    assert again.status_code == 200 and again.redirect_chain[0][0] == f"/r/{issued.token}/"
    body = again.content.decode()
    assert 'data-testid="crisis"' in body and 'href="tel:988"' in body
    assert RiskFlag.objects.count() == 1  # the GET raised nothing


def test_the_thanks_and_plan_help_addresses_reopened_lead_back(world: Any, client: Client) -> None:
    assert client.get("/r/thanks/help/")["Location"] == "/r/thanks/"
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    issued = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    again = client.get(f"/sp/{issued.token}/help/", follow=True)
    assert again.status_code == 200 and again.redirect_chain[0][0] == f"/sp/{issued.token}/"
    assert 'data-testid="crisis-resources"' in again.content.decode()
    assert not RiskFlag.objects.exists()


def test_a_help_press_the_database_could_not_record_says_so_with_the_lines(
    world: Any, client: Client, monkeypatch: Any
) -> None:
    """A lock timeout or a lost connection during a press: never a bare "Server Error (500)";
    the patient is told their care team was not reached, with the lines and the clinic's
    number, and the failure is logged."""
    from django.db import OperationalError

    from ketacare.measures import selfreport_views
    from ketacare.safety import views_portal

    def fails(*args: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(selfreport_views.actions, "do_request_help", fails)
    monkeypatch.setattr(views_portal, "do_plan_link_help", fails)
    world.clinic_a.phone = "555-010-0999"
    world.clinic_a.save()
    issued = do_issue_link(STAFF, world.patient_a, ["phq9"], context="follow_up", channel="sms")
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    plan = do_issue_plan_link(actor(world.nurse_a), world.patient_a)
    for path in (f"/r/{issued.token}/help/", f"/sp/{plan.token}/help/"):
        response = client.post(path)
        body = response.content.decode()
        assert response.status_code == 503, path
        assert 'data-testid="help-not-sent"' in body and 'href="tel:988"' in body
        assert 'href="tel:5550100999"' in body
