"""One-click unsubscribe (RFC 8058): a mail program's POST works with no cookie and no CSRF
token; the link opened in a browser shows a single button. Every change is a consent event."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.audit import AuditEntry
from ketacare.intake.models import NewsletterSubscriber
from ketacare.intake.newsletter import (
    do_confirm_subscription,
    do_request_subscription,
    list_unsubscribe_headers,
    mailing_footer,
    unsubscribe_token,
    unsubscribe_url,
)


@pytest.fixture
def subscriber(world: Any) -> NewsletterSubscriber:
    do_request_subscription(world.clinic_a, "reader@example.com", network="")
    found = NewsletterSubscriber.objects.get()
    found.status = "confirmed"
    found.save()
    return found


def path_for(subscriber: NewsletterSubscriber) -> str:
    return unsubscribe_url(subscriber).removeprefix("http://testserver")


def test_every_mailing_gets_rfc_8058_headers_and_a_footer_link(
    subscriber: NewsletterSubscriber,
) -> None:
    headers = list_unsubscribe_headers(subscriber)
    url = unsubscribe_url(subscriber)
    assert headers == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    assert url.startswith("http://testserver/c/alpha-clinic/newsletter/unsubscribe/")
    assert url in mailing_footer(subscriber)
    # The same link every time (it is derived, not stored), and only its hash is kept.
    assert unsubscribe_url(subscriber) == url
    assert unsubscribe_token(subscriber) not in str(NewsletterSubscriber.objects.values().get())


def test_one_click_post_from_a_mail_program_unsubscribes_without_csrf(
    subscriber: NewsletterSubscriber,
) -> None:
    mail_program = Client(enforce_csrf_checks=True)
    response = mail_program.post(path_for(subscriber), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed" and subscriber.unsubscribed_at is not None
    last = subscriber.events.last()
    assert last is not None and (last.event, last.source) == ("unsubscribed", "one_click")
    assert AuditEntry.objects.filter(action="intake.newsletter.unsubscribed").count() == 1


def test_opening_the_link_shows_one_button_and_changes_nothing(
    subscriber: NewsletterSubscriber, client: Client
) -> None:
    page = client.get(path_for(subscriber))
    body = page.content.decode()
    assert page.status_code == 200 and 'data-testid="unsubscribe"' in body
    assert page["Referrer-Policy"] == "no-referrer"
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"
    done = client.post(path_for(subscriber))
    assert 'data-testid="unsubscribed"' in done.content.decode()
    subscriber.refresh_from_db()
    last = subscriber.events.last()
    assert last is not None and last.source == "email_link"


def test_unsubscribing_twice_is_harmless_and_recorded_once(
    subscriber: NewsletterSubscriber, client: Client
) -> None:
    assert client.post(path_for(subscriber)).status_code == 200
    assert client.post(path_for(subscriber)).status_code == 200
    assert client.get(path_for(subscriber)).status_code == 200  # "you are unsubscribed"
    assert subscriber.events.filter(event="unsubscribed").count() == 1


def test_a_pending_subscriber_can_unsubscribe_and_the_confirm_link_dies(world: Any) -> None:
    do_request_subscription(world.clinic_a, "p@example.com", network="")
    pending = NewsletterSubscriber.objects.get()
    Client().post(path_for(pending))
    pending.refresh_from_db()
    assert pending.status == "unsubscribed" and pending.confirm_token_hash is None


def test_unknown_token_or_other_clinic_gets_the_invalid_page(
    subscriber: NewsletterSubscriber, world: Any, client: Client
) -> None:
    wrong = client.post(f"/c/{world.clinic_a.slug}/newsletter/unsubscribe/nope/")
    assert wrong.status_code == 404 and 'data-testid="link-invalid"' in wrong.content.decode()
    other_clinic = path_for(subscriber).replace("/alpha-clinic/", f"/{world.clinic_b.slug}/")
    assert client.post(other_clinic).status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"


def test_resubscribing_after_unsubscribing_needs_a_new_confirmation(
    subscriber: NewsletterSubscriber, world: Any
) -> None:
    Client().post(path_for(subscriber))
    do_request_subscription(world.clinic_a, "reader@example.com", network="")
    subscriber.refresh_from_db()
    assert subscriber.status == "pending"
    assert [e.event for e in subscriber.events.all()][-2:] == ["unsubscribed", "requested"]
    assert do_confirm_subscription(world.clinic_a, "not-the-token", network="") is None
