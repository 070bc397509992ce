"""The public consultation request form at /c/<clinic>/consultation/: no sign-in, clear errors
naming the field, nothing stored twice or half, no script ever rendered back, spam kept out."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client

from ketacare.accounts.audit import AuditEntry
from ketacare.intake.models import ConsultationRequest
from ketacare.notify.models import NotificationLog
from tests.intake.intake_helpers import form_data, form_url, submit

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def errors_of(response: Any) -> dict[str, str]:
    """{field: message} from the rendered error paragraphs."""
    body = response.content.decode()
    return dict(re.findall(r'data-field="([a-z_]+)">([^<]*)<', body))


def test_form_opens_without_sign_in_and_is_not_indexed_or_cached(
    world: Any, client: Client
) -> None:
    response = client.get(form_url(world.clinic_a))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Alpha Clinic" in body and "Request a free consultation" in body
    assert "noindex" in response["X-Robots-Tag"] and response["Cache-Control"] == "no-store"
    assert 'name="csrfmiddlewaretoken"' in body
    # The honeypot is hidden by a class (strict CSP: no inline styles), never by style="".
    assert 'class="hp"' in body and "style=" not in body and "<script" not in body
    # Anyone in danger is pointed to 911 / 988 before they start typing.
    assert 'href="tel:911"' in body and 'href="tel:988"' in body


def test_valid_request_is_stored_for_that_clinic_acknowledged_by_email_and_audited(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, world.clinic_a, help_with=["ptsd", "anxiety"])
    assert response.status_code == 302
    assert response["Location"] == f"/c/{world.clinic_a.slug}/consultation/thanks/"
    stored = ConsultationRequest.objects.get()
    assert stored.clinic == world.clinic_a and stored.status == "new"
    assert (stored.given_name, stored.family_name) == ("Jamie", "Rivera")
    assert stored.help_with == ["ptsd", "anxiety"] and stored.preferred_time == "morning"
    assert stored.consent_to_contact and stored.consent_text_version == "contact-2026-01"
    assert stored.client_network == "127.0.0.0/24"  # coarse, never the full address
    [message] = mail.outbox
    assert message.to == ["jamie@example.com"]
    assert "Alpha Clinic" in message.subject and "988" in message.body and "911" in message.body
    # Nothing the visitor typed is echoed into the email (no spam relay, no name in inboxes).
    assert "Jamie" not in message.body + message.subject and "Four" not in message.body
    assert NotificationLog.objects.get().purpose == "intake.acknowledgement"
    entry = AuditEntry.objects.get(action="intake.request.submitted")
    assert entry.actor_label == "public-consultation-form" and entry.clinic_id == world.clinic_a.pk
    assert entry.client_ip == "127.0.0.0/24"


def test_acknowledgement_waits_for_the_commit(world: Any, client: Client) -> None:
    # Without the commit (the test transaction never commits) nothing is handed to delivery.
    submit(client, world.clinic_a)
    assert mail.outbox == []
    assert NotificationLog.objects.get().status == "queued"


def test_request_lands_in_the_clinic_named_by_the_link(world: Any, client: Client) -> None:
    submit(client, world.clinic_b, email="b@example.com")
    assert ConsultationRequest.objects.get().clinic == world.clinic_b


def test_phone_only_request_is_stored_without_an_email(world: Any, client: Client) -> None:
    assert submit(client, world.clinic_a, email="").status_code == 302
    assert ConsultationRequest.objects.get().email == ""
    assert NotificationLog.objects.count() == 0


def test_missing_consent_names_the_field_and_stores_nothing(world: Any, client: Client) -> None:
    response = submit(client, world.clinic_a, consent_to_contact=None)
    assert response.status_code == 400
    errors = errors_of(response)
    assert "consent_to_contact" in errors and "tick this box" in errors["consent_to_contact"]
    assert ConsultationRequest.objects.count() == 0 and NotificationLog.objects.count() == 0
    # What they typed is kept for the second try.
    assert 'value="Jamie"' in response.content.decode()


def test_invalid_email_and_phone_are_named(world: Any, client: Client) -> None:
    response = submit(client, world.clinic_a, email="not-an-email", phone="call me maybe")
    assert response.status_code == 400
    errors = errors_of(response)
    assert "valid email" in errors["email"] and "7–20 digits" in errors["phone"]
    assert ConsultationRequest.objects.count() == 0


def test_chosen_contact_method_needs_its_detail(world: Any, client: Client) -> None:
    response = submit(client, world.clinic_a, preferred_contact="email", email="")
    assert "since you chose email" in errors_of(response)["email"]
    response = submit(client, world.clinic_a, preferred_contact="sms", phone="")
    assert "call or text" in errors_of(response)["phone"]
    assert ConsultationRequest.objects.count() == 0


def test_required_names_choices_and_other_text(world: Any, client: Client) -> None:
    response = submit(
        client,
        world.clinic_a,
        given_name="   ",
        family_name=None,
        help_with=None,
        preferred_contact="pigeon",
    )
    errors = errors_of(response)
    assert set(errors) >= {"given_name", "family_name", "help_with", "preferred_contact"}
    response = submit(client, world.clinic_a, help_with=["other"], other_text="")
    assert "tell us briefly" in errors_of(response)["other_text"]
    assert ConsultationRequest.objects.count() == 0


def test_oversize_fields_get_a_clear_error_naming_the_field(world: Any, client: Client) -> None:
    response = submit(
        client,
        world.clinic_a,
        message="x" * 100_000,
        given_name="n" * 101,
        referring_clinician="r" * 201,
    )
    assert response.status_code == 400
    errors = errors_of(response)
    assert "at most 2000 characters" in errors["message"]
    assert "at most 100" in errors["given_name"] and "at most 200" in errors["referring_clinician"]
    assert ConsultationRequest.objects.count() == 0


def test_a_body_over_the_upload_limit_gets_a_friendly_413(
    world: Any, client: Client, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
    response = submit(client, world.clinic_a, message="x" * 3_000_000)
    assert response.status_code == 413
    assert 'data-testid="too-large"' in response.content.decode()
    assert ConsultationRequest.objects.count() == 0


def test_too_many_fields_gets_the_same_friendly_413(world: Any, client: Client) -> None:
    data = form_data(**{f"f{i}": "1" for i in range(1200)})
    response = client.post(form_url(world.clinic_a), data)
    assert response.status_code == 413
    assert ConsultationRequest.objects.count() == 0


def test_html_and_script_in_every_field_are_never_rendered_back(
    world: Any, client: Client, as_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    typed = {
        "given_name": SCRIPT[:100],
        "family_name": "O'Brien" + SCRIPT[:80],
        "other_text": SCRIPT,
        "referring_clinician": SCRIPT,
        "message": SCRIPT + "\nsecond line",
    }
    # Re-shown with an error (missing consent): escaped.
    response = submit(client, world.clinic_a, help_with=["other"], consent_to_contact=None, **typed)
    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in body
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, world.clinic_a, help_with=["other"], **typed).status_code == 302
    stored = ConsultationRequest.objects.get()
    assert stored.message.startswith("<script>")  # kept exactly as typed
    staff = as_user(world.intake_a)
    for page in ("/intake/", f"/intake/{stored.pk}/", f"/intake/{stored.pk}/convert/"):
        html = staff.get(page).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, page
    detail = staff.get(f"/intake/{stored.pk}/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in detail
    for message in mail.outbox:
        assert "<script" not in message.body and "<script" not in message.subject


def test_repeated_submission_is_stored_and_acknowledged_once(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(client, world.clinic_a)
        again = submit(client, world.clinic_a, message="Sorry, pressed twice")
        by_phone = submit(client, world.clinic_a, email="JAMIE@example.com ")
    assert first.status_code == again.status_code == by_phone.status_code == 302
    assert ConsultationRequest.objects.count() == 1
    assert len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="intake.request.submitted").count() == 1
    # The same contact at another clinic is a different request.
    submit(client, world.clinic_b)
    assert ConsultationRequest.objects.count() == 2


def test_filled_honeypot_looks_accepted_but_stores_and_sends_nothing(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, world.clinic_a, website="http://spam.example")
    assert response.status_code == 302 and response["Location"].endswith("/consultation/thanks/")
    assert ConsultationRequest.objects.count() == 0 and mail.outbox == []
    assert not AuditEntry.objects.filter(action__startswith="intake.").exists()


def test_honeypot_is_checked_before_validation(world: Any, client: Client) -> None:
    response = submit(client, world.clinic_a, website="x", consent_to_contact=None, email="bad")
    assert response.status_code == 302
    assert ConsultationRequest.objects.count() == 0


def test_more_than_the_hourly_limit_from_one_address_answers_429(
    world: Any, client: Client
) -> None:
    for i in range(5):
        assert submit(client, world.clinic_a, email=f"p{i}@example.com").status_code == 302
    response = submit(client, world.clinic_a, email="p6@example.com")
    assert response.status_code == 429
    body = response.content.decode()
    assert 'data-testid="too-many"' in body and 'href="tel:988"' in body
    assert ConsultationRequest.objects.count() == 5
    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert submit(other, world.clinic_a, email="q@example.com").status_code == 302


def test_endless_invalid_posts_are_limited_too(world: Any, client: Client) -> None:
    statuses = [submit(client, world.clinic_a, email="bad").status_code for _ in range(31)]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429


def test_form_is_csrf_protected_with_a_friendly_page(world: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(form_url(world.clinic_a), form_data())
    assert response.status_code == 403
    assert 'data-testid="expired"' in response.content.decode()
    assert ConsultationRequest.objects.count() == 0
    browser.get(form_url(world.clinic_a))
    token = browser.cookies["csrftoken"].value
    response = browser.post(form_url(world.clinic_a), form_data(csrfmiddlewaretoken=token))
    assert response.status_code == 302 and ConsultationRequest.objects.count() == 1


def test_thanks_page_shows_crisis_resources_and_the_clinic_phone(
    world: Any, client: Client
) -> None:
    world.clinic_a.phone = "555-0100"
    world.clinic_a.save()
    response = client.get(f"/c/{world.clinic_a.slug}/consultation/thanks/")
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="thanks"' in body
    assert 'href="tel:911"' in body and 'href="tel:988"' in body and 'href="sms:988"' in body
    assert 'href="tel:5550100"' in body
    assert "noindex" in response["X-Robots-Tag"]


def test_unknown_clinic_gets_a_friendly_404(world: Any, client: Client) -> None:
    for path in ("/c/nowhere/consultation/", "/c/nowhere/consultation/thanks/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This page does not exist" in response.content.decode()
    assert client.post("/c/nowhere/consultation/", form_data()).status_code == 404


def test_a_signed_in_staff_member_can_use_the_public_form(world: Any, as_user: Any) -> None:
    # /c/ is sessionless: the staff session's clinic and two-factor rules do not interfere.
    staff = as_user(world.clinician_b)
    assert staff.get(form_url(world.clinic_a)).status_code == 200
    assert submit(staff, world.clinic_a).status_code == 302
    assert ConsultationRequest.objects.get().clinic == world.clinic_a


def test_a_simultaneous_double_submit_is_caught_by_the_database(
    world: Any, client: Client, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from ketacare.intake import actions

    # Two requests racing past the "already sent today?" check: the unique key decides.
    monkeypatch.setattr(actions, "_already_submitted", lambda key: False)
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, world.clinic_a).status_code == 302
        assert submit(client, world.clinic_a).status_code == 302
    assert ConsultationRequest.objects.count() == 1 and len(mail.outbox) == 1
    assert AuditEntry.objects.filter(action="intake.request.submitted").count() == 1
