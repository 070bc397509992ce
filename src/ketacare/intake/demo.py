"""Demo consultation requests: a dozen open ones in different states, a few closed, and a
small newsletter list with its consent history.

All fictional: names from a fixed list, phones in the 555-01xx range reserved for fiction,
emails at example.com. Rows are inserted directly (the demo load is audited once as a whole).
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import timedelta

from django.utils import timezone

from ketacare.accounts.models import Clinic, Role, User, hash_token
from ketacare.intake.models import (
    ConsentEvent,
    ConsentEventKind,
    ConsentSource,
    ConsultationRequest,
    ContactAttempt,
    ContactChannel,
    ContactOutcome,
    HelpWith,
    NewsletterSubscriber,
    PreferredTime,
    RequestStatus,
    StatusChange,
    SubscriberStatus,
)
from ketacare.intake.newsletter import token_for_nonce
from ketacare.intake.wording import CURRENT_CONTACT_CONSENT, CURRENT_NEWSLETTER_CONSENT

S = RequestStatus
# The open queue a coordinator finds on Monday morning, then a few closed requests.
STATES = [S.NEW] * 5 + [S.CONTACTED] * 4 + [S.EVALUATION_BOOKED] * 3 + [S.NOT_A_FIT, S.NO_RESPONSE]
NAMES = (
    ("Avery", "Holt"),
    ("Bianca", "Ferreira"),
    ("Caleb", "Nguyen"),
    ("Dana", "Whitfield"),
    ("Elias", "Marsh"),
    ("Fatima", "Qureshi"),
    ("Gideon", "Park"),
    ("Hana", "Kowalski"),
    ("Isaac", "Duarte"),
    ("Jolene", "Baptiste"),
    ("Kofi", "Mensah"),
    ("Lena", "Sorensen"),
    ("Marco", "Villa"),
    ("Nadia", "Haddad"),
)
HELP = (
    ([HelpWith.TRD], ""),
    ([HelpWith.DEPRESSION, HelpWith.ANXIETY], ""),
    ([HelpWith.PTSD], ""),
    ([HelpWith.CHRONIC_PAIN], ""),
    ([HelpWith.ANXIETY], ""),
    ([HelpWith.TRD, HelpWith.PTSD], ""),
    ([HelpWith.OTHER], "Postpartum depression"),
    ([HelpWith.CHRONIC_PAIN, HelpWith.DEPRESSION], ""),
)
MESSAGES = (
    "I have tried four antidepressants over six years. My psychiatrist suggested ketamine.",
    "Looking for information about cost and whether insurance covers it.",
    "Fibromyalgia for ten years, nothing has helped much. Can I come in the evening?",
    "",
    "My therapist recommended your clinic. I work nights, mornings are best.",
    "Is there a waiting list?",
)
REFERRERS = ("", "", "Dr. Rosa Lindqvist, Harbor Psychiatry", "", "Sam Patel, LCSW")
NOT_A_FIT = "Uncontrolled hypertension reported; advised to see their primary care doctor first."


def load_requests(clinic: Clinic, rng: random.Random) -> list[ConsultationRequest]:
    intake = User.objects.filter(memberships__clinic=clinic, memberships__role=Role.INTAKE).first()
    now = timezone.now()
    created = []
    names = rng.sample(NAMES, len(STATES))
    for i, status in enumerate(STATES):
        given, family = names[i]
        help_with, other = rng.choice(HELP)
        method = rng.choice(["phone", "phone", "sms", "email"])
        submitted = now - timedelta(hours=rng.randint(2, 20) + 18 * i)
        email = f"{given}.{family}.{clinic.slug}@example.com".lower()
        request = ConsultationRequest.objects.create(
            clinic=clinic,
            given_name=given,
            family_name=family,
            email=email if method == "email" or rng.random() < 0.6 else "",
            phone=f"555-01{rng.randint(0, 99):02d}",
            preferred_contact=method,
            preferred_time=rng.choice(PreferredTime.values),
            help_with=[str(h) for h in help_with],
            other_text=other,
            referring_clinician=rng.choice(REFERRERS),
            message=rng.choice(MESSAGES),
            consent_to_contact=True,
            consent_text_version=CURRENT_CONTACT_CONSENT,
            consented_at=submitted,
            newsletter_opt_in=False,
            submitted_at=submitted,
            status_changed_at=submitted,
            client_network="198.51.100.0/24",
            dedupe_key=hashlib.sha256(f"demo|{clinic.pk}|{i}".encode()).hexdigest(),
        )
        _history(request, status, intake, rng)
        created.append(request)
    _subscribers(clinic, rng)
    return created


def _history(
    request: ConsultationRequest, status: str, by: User | None, rng: random.Random
) -> None:
    if status == S.NEW:
        return
    at = request.submitted_at + timedelta(hours=rng.randint(1, 6))
    channel = ContactChannel.EMAIL if request.preferred_contact == "email" else ContactChannel.PHONE
    first_outcome = ContactOutcome.VOICEMAIL if status == S.NO_RESPONSE else ContactOutcome.REACHED
    ContactAttempt.objects.create(
        consultation=request, at=at, channel=channel, outcome=first_outcome, by=by, recorded_at=at
    )
    steps = [(S.NEW, S.CONTACTED, "Contact attempt recorded.")]
    if status == S.EVALUATION_BOOKED:
        steps.append((S.CONTACTED, S.EVALUATION_BOOKED, "Evaluation with the prescriber booked."))
    elif status == S.NOT_A_FIT:
        steps.append((S.CONTACTED, S.NOT_A_FIT, NOT_A_FIT))
    elif status == S.NO_RESPONSE:
        later = at + timedelta(days=3)
        ContactAttempt.objects.create(
            consultation=request,
            at=later,
            channel=ContactChannel.SMS,
            outcome=ContactOutcome.MESSAGE_SENT,
            by=by,
            recorded_at=later,
        )
        steps.append((S.CONTACTED, S.NO_RESPONSE, "Two attempts over a week, no reply."))
    for n, (old, new, reason) in enumerate(steps):
        StatusChange.objects.create(
            consultation=request,
            from_status=old,
            to_status=new,
            reason=reason,
            by=by,
            at=at + timedelta(hours=n),
        )
    request.status = status
    request.status_reason = steps[-1][2]
    request.status_changed_at = at + timedelta(hours=len(steps) - 1)
    request.save(update_fields=["status", "status_reason", "status_changed_at"])


def _subscribers(clinic: Clinic, rng: random.Random) -> None:
    for i, status in enumerate(
        [SubscriberStatus.CONFIRMED] * 3 + [SubscriberStatus.PENDING, SubscriberStatus.UNSUBSCRIBED]
    ):
        given, family = NAMES[(i * 3 + 1) % len(NAMES)]
        asked = timezone.now() - timedelta(days=rng.randint(10, 90))
        nonce = secrets.token_hex(16)
        subscriber = NewsletterSubscriber.objects.create(
            clinic=clinic,
            email=f"{given}.{family}.news.{clinic.slug}@example.com".lower(),
            status=status,
            confirm_token_hash=hash_token(secrets.token_urlsafe(32))
            if status == SubscriberStatus.PENDING
            else None,
            confirm_sent_at=asked,
            unsubscribe_nonce=nonce,
            unsubscribe_token_hash=hash_token(token_for_nonce(nonce)),
            created_at=asked,
            confirmed_at=asked + timedelta(minutes=7)
            if status != SubscriberStatus.PENDING
            else None,
            unsubscribed_at=asked + timedelta(days=5)
            if status == SubscriberStatus.UNSUBSCRIBED
            else None,
        )
        events = [(ConsentEventKind.REQUESTED, ConsentSource.CONSULTATION_FORM, asked)]
        if status != SubscriberStatus.PENDING:
            events.append(
                (ConsentEventKind.CONFIRMED, ConsentSource.EMAIL_LINK, asked + timedelta(minutes=7))
            )
        if status == SubscriberStatus.UNSUBSCRIBED:
            events.append(
                (ConsentEventKind.UNSUBSCRIBED, ConsentSource.ONE_CLICK, asked + timedelta(days=5))
            )
        for kind, source, at in events:
            ConsentEvent.objects.create(
                subscriber=subscriber,
                event=kind,
                source=source,
                at=at,
                network="198.51.100.0/24",
                wording_version=CURRENT_NEWSLETTER_CONSENT
                if kind != ConsentEventKind.UNSUBSCRIBED
                else "",
            )
