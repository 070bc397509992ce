"""Status transitions and contact attempts: the rules live in the action layer, refusals name
the field and change nothing, and every change is kept in the history and the audit log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.intake.actions import TRANSITIONS, do_record_attempt, do_set_status
from ketacare.intake.models import RequestStatus
from tests.intake.intake_helpers import STAFF, make_request

ATTEMPT = {"channel": "phone", "outcome": "reached", "note": "Booked a call back."}


def test_first_contact_attempt_moves_a_new_request_to_contacted(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    response = as_user(world.intake_a).post(f"/intake/{request.pk}/attempts/", ATTEMPT)
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "contacted"
    [attempt] = request.attempts.all()
    assert (attempt.channel, attempt.outcome, attempt.by) == ("phone", "reached", world.intake_a)
    [change] = request.status_changes.all()
    assert (change.from_status, change.to_status) == ("new", "contacted")
    entry = AuditEntry.objects.get(action="intake.request.contact_recorded")
    assert entry.detail["to_contacted"] is True and "Booked" not in str(entry.detail)


def test_contact_attempt_with_bad_input_names_the_field(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = as_user(world.intake_a).post(
        f"/intake/{request.pk}/attempts/",
        {"channel": "carrier pigeon", "outcome": "reached", "at": future, "note": "n" * 1001},
    )
    assert response.status_code == 400
    body = response.content.decode()
    for field in ("channel", "at", "note"):
        assert f'data-field="{field}"' in body, field
    assert not request.attempts.exists()


def test_contact_attempt_note_is_rendered_escaped(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    client = as_user(world.intake_a)
    client.post(f"/intake/{request.pk}/attempts/", {**ATTEMPT, "note": "<b>bold</b><script>"})
    body = client.get(f"/intake/{request.pk}/").content.decode()
    assert "<b>bold</b>" not in body and "&lt;b&gt;bold&lt;/b&gt;&lt;script&gt;" in body


def test_the_page_offers_only_the_allowed_next_statuses(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    body = as_user(world.intake_a).get(f"/intake/{request.pk}/").content.decode()
    offered = {s for s in RequestStatus.values if f'name="status" value="{s}"' in body}
    assert offered == set(TRANSITIONS["new"])


def test_a_forbidden_transition_is_refused_with_the_options_named(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    response = as_user(world.intake_a).post(
        f"/intake/{request.pk}/status/", {"status": "no_response", "from_status": "new"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "cannot move to “No response”" in body and "“Contacted”" in body
    request.refresh_from_db()
    assert request.status == "new" and not request.status_changes.exists()


def test_no_response_needs_a_recorded_attempt(world: Any) -> None:
    request = make_request(world.clinic_a)
    do_set_status(STAFF, request, "contacted")  # e.g. they called us back, no attempt logged
    with pytest.raises(ActionError) as refused:
        do_set_status(STAFF, request, "no_response")
    assert refused.value.field == "status" and "contact attempt" in refused.value.message
    do_record_attempt(STAFF, request, {"channel": "phone", "outcome": "no_answer"})
    do_set_status(STAFF, request, "no_response")
    assert request.status == "no_response"


def test_not_a_fit_needs_a_reason_and_keeps_it(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    client = as_user(world.prescriber_a)
    refused = client.post(f"/intake/{request.pk}/status/", {"status": "not_a_fit", "reason": " "})
    assert refused.status_code == 400 and 'data-field="reason"' in refused.content.decode()
    reason = "Active psychosis reported; <i>refer</i> to psychiatry."
    ok = client.post(f"/intake/{request.pk}/status/", {"status": "not_a_fit", "reason": reason})
    assert ok.status_code == 302
    request.refresh_from_db()
    assert request.status == "not_a_fit" and request.status_reason == reason
    body = client.get(f"/intake/{request.pk}/").content.decode()
    assert "&lt;i&gt;refer&lt;/i&gt;" in body and "<i>refer</i>" not in body
    entry = AuditEntry.objects.get(action="intake.request.status_changed")
    assert entry.detail == {"from": "new", "to": "not_a_fit"}  # the reason stays out of the log


def test_a_closed_request_reopens_only_with_a_reason(world: Any) -> None:
    request = make_request(world.clinic_a)
    do_set_status(STAFF, request, "not_a_fit", "Out of area")
    with pytest.raises(ActionError) as refused:
        do_set_status(STAFF, request, "contacted")
    assert refused.value.field == "reason" and "reopening" in refused.value.message
    with pytest.raises(ActionError):
        do_set_status(STAFF, request, "evaluation_booked", "Moved here")
    do_set_status(STAFF, request, "contacted", "Moved into our area, called back")
    assert request.status == "contacted"


def test_converted_cannot_be_set_by_hand_and_is_final(world: Any) -> None:
    request = make_request(world.clinic_a)
    do_set_status(STAFF, request, "contacted")
    with pytest.raises(ActionError) as refused:
        do_set_status(STAFF, request, "converted")
    assert "Convert to patient" in refused.value.message
    with pytest.raises(ActionError):
        do_set_status(STAFF, request, "bogus")
    with pytest.raises(ActionError):
        do_set_status(STAFF, request, "contacted")  # already there


def test_a_stale_page_does_not_overwrite_a_colleagues_change(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    do_set_status(STAFF, request, "evaluation_booked")
    response = as_user(world.intake_a).post(
        f"/intake/{request.pk}/status/",
        {"status": "contacted", "from_status": "new"},  # what the stale page showed
    )
    assert response.status_code == 400 and "meanwhile" in response.content.decode()
    request.refresh_from_db()
    assert request.status == "evaluation_booked"


def test_full_pathway_is_kept_as_history(world: Any, as_user: Any) -> None:
    request = make_request(world.clinic_a)
    do_record_attempt(STAFF, request, {"channel": "phone", "outcome": "voicemail"})
    do_set_status(STAFF, request, "evaluation_booked", "Tuesday 10:00 with Dr. P")
    do_set_status(STAFF, request, "contacted", "Evaluation cancelled, rebooking")
    body = as_user(world.intake_a).get(f"/intake/{request.pk}/").content.decode()
    assert "Tuesday 10:00 with Dr. P" in body and "Evaluation cancelled" in body
    assert [(c.from_status, c.to_status) for c in request.status_changes.order_by("at", "pk")] == [
        ("new", "contacted"),
        ("contacted", "evaluation_booked"),
        ("evaluation_booked", "contacted"),
    ]
