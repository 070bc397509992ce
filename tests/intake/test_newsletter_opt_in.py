"""Newsletter double opt-in: ticking the box only asks; the person is subscribed once they press
"Confirm" on the page the emailed one-time link opens. Nothing reveals whether an address is
already on the list."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.intake.models import ConsentEvent, NewsletterSubscriber
from tests.intake.intake_helpers import submit


def ask(client: Client, clinic: Any, capture: Any, email: str = "news@example.com") -> str:
    """Submit the form with the newsletter ticked; return the confirmation link's path."""
    with capture(execute=True):
        response = submit(client, clinic, email=email, newsletter="on")
    assert response.status_code == 302 and response["Location"].endswith("?newsletter=1")
    confirm = [m for m in mail.outbox if "confirm your newsletter" in m.subject]
    assert confirm, "no confirmation email"
    return re.search(r"http://testserver(/c/\S+/newsletter/confirm/\S+/)", confirm[-1].body)[1]


def test_asking_leaves_the_subscriber_pending_and_emails_a_confirmation_link(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    path = ask(client, world.clinic_a, django_capture_on_commit_callbacks)
    subscriber = NewsletterSubscriber.objects.get()
    assert subscriber.clinic == world.clinic_a and subscriber.status == "pending"
    [event] = subscriber.events.all()
    assert (event.event, event.source) == ("requested", "consultation_form")
    assert event.wording_version == "newsletter-2026-01" and event.network == "127.0.0.0/24"
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert token not in str(NewsletterSubscriber.objects.values().get())  # only its hash
    assert len(mail.outbox) == 2  # the acknowledgement and the confirmation


def test_opening_the_link_only_shows_a_button_and_pressing_it_confirms(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    path = ask(client, world.clinic_a, django_capture_on_commit_callbacks)
    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="confirm"' in page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer" and "noindex" in page["X-Robots-Tag"]
    # A mail scanner that follows the link subscribes no one.
    assert NewsletterSubscriber.objects.get().status == "pending"
    done = client.post(path)
    assert done.status_code == 200 and 'data-testid="confirmed"' in done.content.decode()
    subscriber = NewsletterSubscriber.objects.get()
    assert subscriber.status == "confirmed" and subscriber.confirmed_at is not None
    assert [e.event for e in subscriber.events.all()] == ["requested", "confirmed"]
    assert AuditEntry.objects.filter(action="intake.newsletter.confirmed").count() == 1


def test_confirmation_link_works_once(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    path = ask(client, world.clinic_a, django_capture_on_commit_callbacks)
    assert client.post(path).status_code == 200
    again = client.post(path)
    assert again.status_code == 404 and 'data-testid="link-invalid"' in again.content.decode()
    assert client.get(path).status_code == 404
    assert ConsentEvent.objects.filter(event="confirmed").count() == 1


def test_confirmation_link_expires_after_seven_days(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    path = ask(client, world.clinic_a, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        assert client.post(path).status_code == 404
    assert NewsletterSubscriber.objects.get().status == "pending"


def test_a_token_only_works_at_its_own_clinic(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    path = ask(client, world.clinic_a, django_capture_on_commit_callbacks)
    other = path.replace(f"/c/{world.clinic_a.slug}/", f"/c/{world.clinic_b.slug}/")
    assert client.post(other).status_code == 404
    assert NewsletterSubscriber.objects.get().status == "pending"


def test_newsletter_needs_an_email_address(world: Any, client: Client) -> None:
    response = submit(client, world.clinic_a, email="", newsletter="on")
    assert response.status_code == 400
    assert "to receive the newsletter" in response.content.decode()
    assert NewsletterSubscriber.objects.count() == 0


def test_not_ticking_the_box_subscribes_no_one(world: Any, client: Client) -> None:
    submit(client, world.clinic_a)
    assert NewsletterSubscriber.objects.count() == 0


def test_asking_again_reveals_nothing_and_does_not_flood_the_inbox(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    path = ask(client, world.clinic_a, django_capture_on_commit_callbacks)
    client.post(path)
    mail.outbox.clear()
    # Someone types the same address again (another day, so it is a new request).
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        with django_capture_on_commit_callbacks(execute=True):
            response = submit(client, world.clinic_a, email="news@example.com", newsletter="on")
        thanks = client.get(response["Location"]).content.decode()
    # The page says the same thing whether or not the address is subscribed.
    assert "unless you are already subscribed" in thanks
    assert [m.subject for m in mail.outbox if "confirm" in m.subject] == []
    assert NewsletterSubscriber.objects.get().status == "confirmed"


def test_a_pending_confirmation_is_resent_at_most_hourly(
    world: Any, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    from ketacare.intake.newsletter import do_request_subscription

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            do_request_subscription(world.clinic_a, "x@example.com", network="")
    assert len(mail.outbox) == 1
    with (
        time_machine.travel(timezone.now() + timedelta(hours=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        do_request_subscription(world.clinic_a, "x@example.com", network="")
    assert len(mail.outbox) == 2
    assert ConsentEvent.objects.filter(event="requested").count() == 2


def test_wrong_tokens_are_rate_limited(world: Any, client: Client) -> None:
    base = f"/c/{world.clinic_a.slug}/newsletter/confirm/"
    statuses = [client.get(f"{base}guess{i}/").status_code for i in range(31)]
    assert statuses[:30] == [404] * 30 and statuses[30] == 429
