"""The patient's appointment page /a/<token>/: confirm, cancel, ask for another time; unknown
and expired tokens; audit, CSRF and privacy headers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.template import Context, Template
from django.test import Client

from ketacare.accounts.models import AuditEntry
from ketacare.scheduling.reminders import hash_token
from tests.reminders.reminder_helpers import START, appointment, plan_for

TOKEN = "T" * 43
BEFORE = START - timedelta(hours=30)


@pytest.fixture
def visit(world: Any) -> Any:
    world.clinic_a.phone = "555-010-9999"
    world.clinic_a.save()
    plan = plan_for(
        world.patient_a, world.prescriber_a, "esketamine_trd_us", "esketamine_nasal", "induction"
    )
    return appointment(world.patient_a, plan=plan, link_token_hash=hash_token(TOKEN))


@pytest.fixture(autouse=True)
def _before_the_visit() -> Any:
    with time_machine.travel(BEFORE, tick=False):
        yield


def test_the_page_shows_the_visit_the_instructions_and_crisis_lines(
    visit: Any, client: Client
) -> None:
    response = client.get(f"/a/{TOKEN}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Alpha Clinic" in text and "Wednesday, June 3 at 10:00 AM EDT" in text
    assert "Do not eat for at least 2 hours" in text and "988" in text
    assert "555-010-9999" in text and "Lovelace" not in text  # no name on a link page
    assert response["Referrer-Policy"] == "no-referrer" and response["Cache-Control"] == "no-store"
    entry = AuditEntry.objects.get(action="scheduling.appointment_link.viewed")
    assert entry.patient_id == str(visit.patient_id) and entry.actor_id is None
    assert entry.actor_label == "patient (appointment link)"


def test_confirming_sets_the_status_and_a_second_confirm_is_harmless(
    visit: Any, client: Client
) -> None:
    response = client.post(f"/a/{TOKEN}/", {"action": "confirm"})
    assert response.status_code == 302 and response["Location"] == f"/a/{TOKEN}/"
    visit.refresh_from_db()
    assert visit.status == "confirmed" and visit.confirmed_at == BEFORE
    with time_machine.travel(BEFORE + timedelta(minutes=5), tick=False):
        assert client.post(f"/a/{TOKEN}/", {"action": "confirm"}).status_code == 302
    visit.refresh_from_db()
    assert visit.status == "confirmed" and visit.confirmed_at == BEFORE
    assert "you confirmed this appointment" in client.get(f"/a/{TOKEN}/").content.decode()
    details = [
        e.detail["changed"]
        for e in AuditEntry.objects.filter(action="scheduling.appointment_link.confirmed").order_by(
            "seq"
        )
    ]
    assert details == [True, False]


def test_cancelling_keeps_the_patients_reason_and_closes_the_other_actions(
    visit: Any, client: Client
) -> None:
    response = client.post(f"/a/{TOKEN}/", {"action": "cancel", "reason": "Sick with flu"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == "cancelled" and "Sick with flu" in visit.status_reason
    entry = AuditEntry.objects.get(action="scheduling.appointment_link.cancelled")
    assert "Sick with flu" not in str(entry.detail)
    page = client.get(f"/a/{TOKEN}/").content.decode()
    assert "This appointment is cancelled" in page and 'data-testid="confirm"' not in page
    refused = client.post(f"/a/{TOKEN}/", {"action": "confirm"})
    assert refused.status_code == 400 and "call us to book again" in refused.content.decode()
    assert client.post(f"/a/{TOKEN}/", {"action": "cancel"}).status_code == 302  # idempotent


def test_asking_for_another_time_is_shown_to_staff(visit: Any, client: Client) -> None:
    assert client.post(f"/a/{TOKEN}/", {"action": "reschedule"}).status_code == 302
    visit.refresh_from_db()
    assert visit.reschedule_requested_at == BEFORE and visit.status == "booked"
    assert "You asked for another time" in client.get(f"/a/{TOKEN}/").content.decode()
    html = Template("{% load reminder_tags %}{% appointment_reminders a %}").render(
        Context({"a": visit})
    )
    assert "The patient asked to reschedule" in html


def test_an_unknown_action_is_refused_and_changes_nothing(visit: Any, client: Client) -> None:
    response = client.post(f"/a/{TOKEN}/", {"action": "delete"})
    assert response.status_code == 400
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_posting_without_the_csrf_token_is_refused(visit: Any) -> None:
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(f"/a/{TOKEN}/", {"action": "cancel"}).status_code == 403
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_unknown_and_replaced_tokens_get_the_friendly_page(visit: Any, client: Client) -> None:
    for token in ("nope", "X" * 43):
        response = client.get(f"/a/{token}/")
        assert response.status_code == 404
        assert "This link cannot be used" in response.content.decode()
    assert client.post("/a/" + "X" * 43 + "/", {"action": "cancel"}).status_code == 404
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_the_link_stops_working_when_the_appointment_starts(visit: Any, client: Client) -> None:
    with time_machine.travel(START, tick=False):
        response = client.get(f"/a/{TOKEN}/")
        assert response.status_code == 404 and "988" in response.content.decode()
        assert client.post(f"/a/{TOKEN}/", {"action": "cancel"}).status_code == 404
    visit.refresh_from_db()
    assert visit.status == "booked"


def test_a_completed_or_checked_in_visit_has_no_usable_link(visit: Any, client: Client) -> None:
    visit.status = "checked_in"
    visit.save()
    assert client.get(f"/a/{TOKEN}/").status_code == 404


def test_guessing_tokens_is_rate_limited(visit: Any, client: Client) -> None:
    for n in range(30):
        client.get(f"/a/guess{n}/")
    assert client.get(f"/a/{TOKEN}/").status_code == 429
