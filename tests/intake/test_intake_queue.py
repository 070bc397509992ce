"""The intake queue at /intake/: who may see it, what it shows, and that another clinic's
requests do not exist as far as a clinic's staff can tell."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.intake.actions import do_record_attempt, do_set_status
from ketacare.intake.models import ConsultationRequest
from tests.intake.intake_helpers import STAFF, make_request


def test_intake_prescriber_and_admin_see_the_queue_others_are_refused(
    world: Any, as_user: Any
) -> None:
    for user in (world.intake_a, world.prescriber_a, world.admin_a):
        assert as_user(user).get("/intake/").status_code == 200, user.email
    for user in (world.nurse_a, world.therapist_a, world.director_a):
        assert as_user(user).get("/intake/").status_code == 403, user.email
    assert Client().get("/intake/").status_code == 302  # to sign-in


def test_nav_link_is_shown_only_with_the_permission(world: Any, as_user: Any) -> None:
    assert 'href="/intake/"' in as_user(world.intake_a).get("/patients/").content.decode()
    assert 'href="/intake/"' not in as_user(world.nurse_a).get("/patients/").content.decode()


def test_queue_shows_open_requests_oldest_first_with_their_contact_and_needs(
    world: Any, as_user: Any
) -> None:
    first = make_request(world.clinic_a, given_name="Early", email="e@example.com")
    second = make_request(
        world.clinic_a,
        given_name="Later",
        email="l@example.com",
        phone="555-010-0111",
        preferred_contact="sms",
        help_with=["chronic_pain", "other"],
        other_text="CRPS in my left foot",
    )
    closed = make_request(world.clinic_a, given_name="Closed", email="c@example.com")
    do_set_status(STAFF, closed, "not_a_fit", "Out of area")
    make_request(world.clinic_b, given_name="OtherClinic", email="o@example.com")
    body = as_user(world.intake_a).get("/intake/").content.decode()
    assert body.index("Early") < body.index("Later")
    assert "Closed" not in body and "OtherClinic" not in body
    assert "Chronic pain, Something else" in body and "CRPS in my left foot" in body
    assert "Text message" in body and "555-010-0111" in body
    assert f'href="/intake/{first.pk}/"' in body and f'href="/intake/{second.pk}/"' in body
    closed_tab = as_user(world.intake_a).get("/intake/?status=not_a_fit").content.decode()
    assert "Closed" in closed_tab and "Early" not in closed_tab
    assert "OtherClinic" not in as_user(world.intake_a).get("/intake/?status=all").content.decode()
    entry = AuditEntry.objects.filter(action="intake.queue.viewed").first()
    assert entry is not None and entry.actor_label == "intake@a.test"


def test_queue_runs_a_fixed_number_of_queries(world: Any, as_user: Any) -> None:
    client = as_user(world.intake_a)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/intake/").status_code == 200
        return len(ctx)

    make_request(world.clinic_a, email="one@example.com")
    queries()  # the first request of a session also stores its idle clock
    few = queries()
    for i in range(8):
        request = make_request(world.clinic_a, email=f"m{i}@example.com")
        do_record_attempt(STAFF, request, {"channel": "phone", "outcome": "no_answer"})
    assert queries() == few


def test_request_page_shows_everything_sent_and_audits_the_read(world: Any, as_user: Any) -> None:
    request = make_request(
        world.clinic_a,
        referring_clinician="Dr. Rosa Lindqvist",
        message="Line one\nLine two",
        newsletter=True,
    )
    body = as_user(world.intake_a).get(f"/intake/{request.pk}/").content.decode()
    for text in ("Jamie Rivera", "555-010-0199", "jamie@example.com", "Dr. Rosa Lindqvist"):
        assert text in body
    assert "Line one<br>Line two" in body and "Asked for it" in body
    assert "I agree that Alpha Clinic may contact me" in body
    entry = AuditEntry.objects.get(action="intake.request.viewed")
    assert entry.object_id == str(request.pk)


def test_earlier_requests_from_the_same_contact_are_pointed_out(world: Any, as_user: Any) -> None:
    older = make_request(world.clinic_a)
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        newer = make_request(world.clinic_a)
    body = as_user(world.intake_a).get(f"/intake/{newer.pk}/").content.decode()
    assert 'data-testid="related"' in body and f'href="/intake/{older.pk}/"' in body


def test_clinic_b_staff_get_404_for_clinic_a_requests_and_the_attempt_is_audited(
    world: Any, as_user: Any
) -> None:
    request = make_request(world.clinic_a)
    other = as_user(world.clinician_b)
    pages = [
        ("get", f"/intake/{request.pk}/", {}),
        ("post", f"/intake/{request.pk}/attempts/", {"channel": "phone", "outcome": "reached"}),
        ("post", f"/intake/{request.pk}/status/", {"status": "contacted"}),
        ("get", f"/intake/{request.pk}/convert/", {}),
        ("get", "/intake/999999/", {}),
    ]
    for method, path, data in pages:
        assert getattr(other, method)(path, data).status_code == 404, path
    request.refresh_from_db()
    assert request.status == "new" and not request.attempts.exists()
    refused = AuditEntry.objects.filter(action="intake.access.refused")
    assert refused.count() == len(pages)
    assert {e.actor_label for e in refused} == {"prescriber@b.test"}


def test_a_missing_and_a_foreign_request_look_the_same(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    other = as_user(world.clinician_b)
    foreign = other.get(f"/intake/{request.pk}/")
    missing = other.get(f"/intake/{request.pk + 1000}/")
    assert foreign.status_code == missing.status_code == 404

    def without_tokens(content: bytes) -> str:  # the CSRF token differs on every render
        return re.sub(r'value="[A-Za-z0-9]{64}"', "", content.decode())

    assert without_tokens(foreign.content) == without_tokens(missing.content)


def test_nurse_cannot_reach_a_request_even_in_her_own_clinic(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    assert as_user(world.nurse_a).get(f"/intake/{request.pk}/").status_code == 403
    assert ConsultationRequest.objects.get().status == "new"


def test_open_queue_puts_new_requests_first_and_marks_long_waits(world: Any, as_user: Any) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        booked = make_request(world.clinic_a, given_name="Booked", email="b@example.com")
        do_set_status(STAFF, booked, "evaluation_booked")
        make_request(world.clinic_a, given_name="Forgotten", email="f@example.com")
    make_request(world.clinic_a, given_name="Fresh", email="n@example.com")
    body = as_user(world.intake_a).get("/intake/").content.decode()
    assert body.index("Forgotten") < body.index("Fresh") < body.index("Booked")
    assert body.count('data-testid="waiting"') == 1
