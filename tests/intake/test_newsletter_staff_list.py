"""The subscriber list for staff: separate from requests, with consent history; the export
holds confirmed subscribers only, is formula-safe, and is audited."""

from __future__ import annotations

import csv
import io
from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Role
from ketacare.intake.models import ConsentEvent, NewsletterSubscriber
from ketacare.intake.newsletter import do_request_subscription, unsubscribe_url
from tests.conftest import make_staff


def subscribe(clinic: Any, email: str, confirm: bool = True) -> NewsletterSubscriber:
    do_request_subscription(clinic, email, network="203.0.113.0/24")
    subscriber = NewsletterSubscriber.objects.get(clinic=clinic, email=email)
    if confirm:
        subscriber.status = "confirmed"
        subscriber.save()
        ConsentEvent.objects.create(
            subscriber=subscriber,
            event="confirmed",
            source="email_link",
            wording_version="newsletter-2026-01",
        )
    return subscriber


def test_intake_and_admin_see_subscribers_with_their_consent_history(
    world: Any, as_user: Any
) -> None:
    subscribe(world.clinic_a, "reader@example.com")
    subscribe(world.clinic_a, "waiting@example.com", confirm=False)
    subscribe(world.clinic_b, "elsewhere@example.com")
    for user in (world.intake_a, world.admin_a):
        body = as_user(user).get("/intake/newsletter/").content.decode()
        assert "reader@example.com" in body and "waiting@example.com" in body
        assert "elsewhere@example.com" not in body
        assert "Asked to subscribe" in body and "Confirmed by email" in body
        assert "newsletter-2026-01" in body and "203.0.113.0/24" in body
    for user in (world.prescriber_a, world.nurse_a, world.director_a):
        assert as_user(user).get("/intake/newsletter/").status_code == 403


def test_export_holds_confirmed_subscribers_only_and_is_audited(world: Any, as_user: Any) -> None:
    reader = subscribe(world.clinic_a, "reader@example.com")
    subscribe(world.clinic_a, "waiting@example.com", confirm=False)
    subscribe(world.clinic_b, "elsewhere@example.com")
    response = as_user(world.intake_a).get("/intake/newsletter/export.csv")
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["email"] for r in rows] == ["reader@example.com"]
    assert rows[0]["unsubscribe_url"] == unsubscribe_url(reader)
    assert rows[0]["wording_version"] == "newsletter-2026-01" and rows[0]["asked_at"]
    entry = AuditEntry.objects.get(action="intake.newsletter.exported")
    assert entry.detail == {"rows": 1} and entry.actor_label == "intake@a.test"
    assert entry.clinic_id == world.clinic_a.pk


def test_export_is_formula_safe(world: Any, as_user: Any) -> None:
    subscribe(world.clinic_a, "=cmd@example.com")
    text = as_user(world.admin_a).get("/intake/newsletter/export.csv").content.decode()
    assert "'=cmd@example.com" in text


def test_refused_export_is_not_served(world: Any, as_user: Any) -> None:
    subscribe(world.clinic_a, "reader@example.com")
    response = as_user(world.prescriber_a).get("/intake/newsletter/export.csv")
    assert response.status_code == 403 and b"reader@example.com" not in response.content
    assert not AuditEntry.objects.filter(action="intake.newsletter.exported").exists()


def test_staff_can_unsubscribe_someone_who_asked_by_phone(world: Any, as_user: Any) -> None:
    subscriber = subscribe(world.clinic_a, "reader@example.com")
    response = as_user(world.intake_a).post(f"/intake/newsletter/{subscriber.pk}/unsubscribe/")
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    last = subscriber.events.last()
    assert last is not None and (last.source, last.by) == ("staff", world.intake_a)


def test_another_clinics_subscriber_is_not_found(world: Any, as_user: Any) -> None:
    subscriber = subscribe(world.clinic_a, "reader@example.com")
    intake_b = make_staff(world.clinic_b, Role.INTAKE, "intake@b.test")
    response = as_user(intake_b).post(f"/intake/newsletter/{subscriber.pk}/unsubscribe/")
    assert response.status_code == 404
    subscriber.refresh_from_db()
    assert subscriber.status == "confirmed"
