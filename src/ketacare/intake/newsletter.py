"""The newsletter list: double opt-in, one-click unsubscribe, consent history.

- Asking (from the consultation form) makes the subscriber `pending` and emails a one-time
  confirmation link (`confirm_token_hash` = SHA-256 of a 256-bit token, valid
  `CONFIRM_VALID`, emptied once used). Only pressing "Confirm" on that page subscribes:
  the GET only shows the button, because mail scanners open links on their own.
- Every mailing carries an unsubscribe link and the RFC 8058 headers from
  `list_unsubscribe_headers`. The unsubscribe token is an HMAC of a stored random nonce with
  the server's secret key, so it can be put in every future mailing without being stored;
  only its SHA-256 is kept for the lookup. (Rotating KETACARE_SECRET_KEY invalidates links
  already sent; staff can still unsubscribe someone by hand.)
- Every change is a `ConsentEvent` (what, when, how, from which network, which wording) and
  an audit entry.
"""

from __future__ import annotations

import base64
import secrets
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, hash_token
from ketacare.intake.emails import CONFIRM_PURPOSE, absolute, newsletter_confirmation, queue_email
from ketacare.intake.models import (
    ConsentEvent,
    ConsentEventKind,
    ConsentSource,
    NewsletterSubscriber,
    SubscriberStatus,
)
from ketacare.intake.wording import CURRENT_NEWSLETTER_CONSENT

CONFIRM_VALID = timedelta(days=7)
# Asking again while a confirmation is pending re-sends it only after this long, so the form
# cannot be used to flood someone's inbox.
RESEND_AFTER = timedelta(hours=1)
UNSUBSCRIBE_SALT = "ketacare.intake.newsletter.unsubscribe"
PUBLIC_LABEL = "public-newsletter"


def _public_actor(clinic: Clinic, network: str) -> Actor:
    return Actor(label=PUBLIC_LABEL, clinic_id=clinic.pk, ip=network)


def unsubscribe_token(subscriber: NewsletterSubscriber) -> str:
    return token_for_nonce(subscriber.unsubscribe_nonce)


def token_for_nonce(nonce: str) -> str:
    digest = salted_hmac(UNSUBSCRIBE_SALT, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def unsubscribe_url(subscriber: NewsletterSubscriber) -> str:
    return absolute(
        reverse(
            "intake_public:newsletter_unsubscribe",
            kwargs={"clinic_slug": subscriber.clinic.slug, "token": unsubscribe_token(subscriber)},
        )
    )


def list_unsubscribe_headers(subscriber: NewsletterSubscriber) -> dict[str, str]:
    """RFC 2369 + RFC 8058 headers every mailing to this subscriber must carry."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def mailing_footer(subscriber: NewsletterSubscriber) -> str:
    """The plain-text footer every mailing ends with."""
    return (
        "\n--\nYou receive this because you confirmed your subscription to the "
        f"{subscriber.clinic.name} newsletter.\n"
        f"Unsubscribe with one click: {unsubscribe_url(subscriber)}\n"
    )


def _event(
    subscriber: NewsletterSubscriber,
    kind: str,
    source: str,
    *,
    network: str = "",
    wording: str = "",
    by_id: int | None = None,
    at: datetime | None = None,
) -> ConsentEvent:
    return ConsentEvent.objects.create(
        subscriber=subscriber,
        event=kind,
        source=source,
        network=network,
        wording_version=wording,
        by_id=by_id,
        at=at or timezone.now(),
    )


def do_request_subscription(
    clinic: Clinic, email: str, *, network: str, now: datetime | None = None
) -> None:
    """Someone ticked "send me the newsletter". Says nothing back about the address's status:
    whether an address is on a ketamine clinic's list is private."""
    now = now or timezone.now()
    email = email.strip().lower()
    with transaction.atomic():
        subscriber = (
            NewsletterSubscriber.objects.select_for_update().filter(clinic=clinic, email=email)
        ).first()
        if subscriber is not None and subscriber.status == SubscriberStatus.CONFIRMED:
            return
        if (
            subscriber is not None
            and subscriber.status == SubscriberStatus.PENDING
            and subscriber.confirm_sent_at is not None
            and now - subscriber.confirm_sent_at < RESEND_AFTER
        ):
            return
        raw = secrets.token_urlsafe(32)
        if subscriber is None:
            nonce = secrets.token_hex(16)
            try:
                with transaction.atomic():
                    subscriber = NewsletterSubscriber.objects.create(
                        clinic=clinic,
                        email=email,
                        status=SubscriberStatus.PENDING,
                        confirm_token_hash=hash_token(raw),
                        confirm_sent_at=now,
                        unsubscribe_nonce=nonce,
                        unsubscribe_token_hash=hash_token(token_for_nonce(nonce)),
                        created_at=now,
                    )
            except IntegrityError:
                return  # the same address was added by a simultaneous request; it got the email
        else:
            subscriber.status = SubscriberStatus.PENDING
            subscriber.confirm_token_hash = hash_token(raw)
            subscriber.confirm_sent_at = now
            subscriber.save(update_fields=["status", "confirm_token_hash", "confirm_sent_at"])
        _event(
            subscriber,
            ConsentEventKind.REQUESTED,
            ConsentSource.CONSULTATION_FORM,
            network=network,
            wording=CURRENT_NEWSLETTER_CONSENT,
            at=now,
        )
        subject, body = newsletter_confirmation(clinic, raw)
        queue_email(
            clinic,
            email,
            subject,
            body,
            purpose=CONFIRM_PURPOSE,
            reference=f"newsletter_subscriber:{subscriber.pk}",
        )
        record(
            _public_actor(clinic, network),
            "intake.newsletter.requested",
            object_type="newsletter_subscriber",
            object_id=subscriber.pk,
            clinic_id=clinic.pk,
        )


def find_pending(
    clinic: Clinic, token: str, now: datetime | None = None
) -> NewsletterSubscriber | None:
    """The subscriber a confirmation token belongs to, if it can still be used."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        return None
    subscriber = NewsletterSubscriber.objects.filter(
        clinic=clinic, confirm_token_hash=hash_token(token), status=SubscriberStatus.PENDING
    ).first()
    if subscriber is None or subscriber.confirm_sent_at is None:
        return None
    if now - subscriber.confirm_sent_at > CONFIRM_VALID:
        return None
    return subscriber


def do_confirm_subscription(
    clinic: Clinic, token: str, *, network: str, now: datetime | None = None
) -> NewsletterSubscriber | None:
    """Confirm with the one-time token. None when the token is unknown, used or expired."""
    now = now or timezone.now()
    with transaction.atomic():
        found = find_pending(clinic, token, now)
        if found is None:
            return None
        subscriber = NewsletterSubscriber.objects.select_for_update().get(pk=found.pk)
        if subscriber.confirm_token_hash != found.confirm_token_hash:
            return None  # used a moment ago in another tab
        requested = subscriber.events.filter(event=ConsentEventKind.REQUESTED).last()
        subscriber.status = SubscriberStatus.CONFIRMED
        subscriber.confirmed_at = now
        subscriber.confirm_token_hash = None
        subscriber.save(update_fields=["status", "confirmed_at", "confirm_token_hash"])
        _event(
            subscriber,
            ConsentEventKind.CONFIRMED,
            ConsentSource.EMAIL_LINK,
            network=network,
            wording=requested.wording_version if requested else CURRENT_NEWSLETTER_CONSENT,
            at=now,
        )
        record(
            _public_actor(clinic, network),
            "intake.newsletter.confirmed",
            object_type="newsletter_subscriber",
            object_id=subscriber.pk,
            clinic_id=clinic.pk,
        )
    return subscriber


def find_by_unsubscribe_token(clinic: Clinic, token: str) -> NewsletterSubscriber | None:
    if not token or len(token) > 100:
        return None
    return NewsletterSubscriber.objects.filter(
        clinic=clinic, unsubscribe_token_hash=hash_token(token)
    ).first()


def _unsubscribe(
    subscriber: NewsletterSubscriber,
    actor: Actor,
    *,
    source: str,
    network: str,
    by_id: int | None,
) -> bool:
    """True when this call unsubscribed them; False when they already were (no new event)."""
    with transaction.atomic():
        locked = NewsletterSubscriber.objects.select_for_update().get(pk=subscriber.pk)
        if locked.status == SubscriberStatus.UNSUBSCRIBED:
            return False
        now = timezone.now()
        locked.status = SubscriberStatus.UNSUBSCRIBED
        locked.unsubscribed_at = now
        locked.confirm_token_hash = None
        locked.save(update_fields=["status", "unsubscribed_at", "confirm_token_hash"])
        _event(locked, ConsentEventKind.UNSUBSCRIBED, source, network=network, by_id=by_id, at=now)
        record(
            actor,
            "intake.newsletter.unsubscribed",
            object_type="newsletter_subscriber",
            object_id=locked.pk,
            clinic_id=locked.clinic_id,
            detail={"source": source},
        )
    subscriber.refresh_from_db()
    return True


def do_unsubscribe(
    clinic: Clinic, token: str, *, network: str, one_click: bool
) -> NewsletterSubscriber | None:
    """Unsubscribe by the token from a mailing. None when the token is unknown."""
    subscriber = find_by_unsubscribe_token(clinic, token)
    if subscriber is None:
        return None
    _unsubscribe(
        subscriber,
        _public_actor(clinic, network),
        source=ConsentSource.ONE_CLICK if one_click else ConsentSource.EMAIL_LINK,
        network=network,
        by_id=None,
    )
    return subscriber


def do_staff_unsubscribe(actor: Actor, subscriber: NewsletterSubscriber) -> bool:
    """A person asked the clinic (phone, front desk) to take them off the list."""
    return _unsubscribe(
        subscriber, actor, source=ConsentSource.STAFF, network="", by_id=actor.user_id
    )
