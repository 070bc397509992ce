"""Consultation requests and their follow-up, and the clinic's newsletter subscribers.

- `ConsultationRequest` — what a visitor sent from the public form; its `status` moves through
  `TRANSITIONS` (actions.py) and every move is kept in `StatusChange` (and the audit log).
- `ContactAttempt` — each call, text or email intake staff made to the person.
- `NewsletterSubscriber` and `ConsentEvent` — the double opt-in newsletter list and its
  consent history (requested → confirmed → unsubscribed), kept apart from requests.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.patients.models import ContactMethod, Patient

MESSAGE_MAX = 2000


class HelpWith(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    TRD = "treatment_resistant_depression", "Treatment-resistant depression"
    PTSD = "ptsd", "PTSD"
    ANXIETY = "anxiety", "Anxiety"
    CHRONIC_PAIN = "chronic_pain", "Chronic pain"
    OTHER = "other", "Something else"


class PreferredTime(models.TextChoices):
    ANY = "any", "Any time"
    MORNING = "morning", "Morning (8 am – 12 pm)"
    AFTERNOON = "afternoon", "Afternoon (12 – 5 pm)"
    EVENING = "evening", "Evening (5 – 8 pm)"


class RequestStatus(models.TextChoices):
    NEW = "new", "New"
    CONTACTED = "contacted", "Contacted"
    EVALUATION_BOOKED = "evaluation_booked", "Evaluation booked"
    CONVERTED = "converted", "Converted to patient"
    NOT_A_FIT = "not_a_fit", "Not a fit"
    NO_RESPONSE = "no_response", "No response"


OPEN_STATUSES = (RequestStatus.NEW, RequestStatus.CONTACTED, RequestStatus.EVALUATION_BOOKED)


class ConsultationRequest(models.Model):
    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="consultation_requests"
    )
    given_name = models.CharField("first name", max_length=100)
    family_name = models.CharField("last name", max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    preferred_contact = models.CharField(
        max_length=10, choices=ContactMethod.choices, default=ContactMethod.PHONE
    )
    preferred_time = models.CharField(
        max_length=10, choices=PreferredTime.choices, default=PreferredTime.ANY
    )
    # A list of HelpWith values: people often come for more than one (depression and anxiety).
    help_with = models.JSONField(default=list)
    other_text = models.CharField(max_length=200, blank=True)
    referring_clinician = models.CharField(max_length=200, blank=True)
    message = models.TextField(max_length=MESSAGE_MAX, blank=True)
    # Phrases of `clinical.risk_words` found in what the person wrote (message, "other"): the
    # request goes to the top of the queue with a warning; it never replaces reading it.
    risk_phrases = models.JSONField(default=list, blank=True)

    consent_to_contact = models.BooleanField()
    consent_text_version = models.CharField(max_length=40)
    consented_at = models.DateTimeField()
    newsletter_opt_in = models.BooleanField(default=False)

    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.NEW
    )
    status_reason = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(default=timezone.now)
    # The sender's network (IPv4 /24, IPv6 /48), never the full address: enough to spot a
    # flood from one place, not enough to identify a household.
    client_network = models.CharField(max_length=64, blank=True)
    # sha256(clinic, normalised email or phone, clinic-local day): a double submit (two clicks,
    # a reload, a second tab) hits the unique constraint and stores nothing twice.
    dedupe_key = models.CharField(max_length=64)

    converted_patient = models.ForeignKey(
        Patient, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], name="consultation_once_per_day"),
            # Nothing is kept from someone who did not agree to be contacted.
            models.CheckConstraint(
                condition=Q(consent_to_contact=True), name="consultation_has_consent"
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "status", "submitted_at"], name="consult_queue"),
        ]

    def __str__(self) -> str:
        return f"Consultation request #{self.pk} ({self.get_status_display()})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def help_with_labels(self) -> list[str]:
        labels = dict(HelpWith.choices)
        return [str(labels.get(code, code)) for code in self.help_with]


class ContactChannel(models.TextChoices):
    PHONE = "phone", "Phone call"
    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    IN_PERSON = "in_person", "In person"


class ContactOutcome(models.TextChoices):
    REACHED = "reached", "Spoke with them"
    VOICEMAIL = "voicemail", "Left a voicemail"
    NO_ANSWER = "no_answer", "No answer"
    MESSAGE_SENT = "message_sent", "Message sent"
    WRONG_NUMBER = "wrong_number", "Wrong number / bounced"


class ContactAttempt(models.Model):
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="attempts"
    )
    at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=12, choices=ContactChannel.choices)
    outcome = models.CharField(max_length=14, choices=ContactOutcome.choices)
    note = models.CharField(max_length=1000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_outcome_display()}"


class StatusChange(models.Model):
    consultation = models.ForeignKey(
        ConsultationRequest, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=20, choices=RequestStatus.choices)
    to_status = models.CharField(max_length=20, choices=RequestStatus.choices)
    reason = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


# --- newsletter -------------------------------------------------------------------------------


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class NewsletterSubscriber(models.Model):
    clinic = models.ForeignKey(
        Clinic, on_delete=models.CASCADE, related_name="newsletter_subscribers"
    )
    email = models.EmailField()
    status = models.CharField(
        max_length=14, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING
    )
    # SHA-256 of the one-time confirmation token; emptied (NULL) once used.
    confirm_token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True)
    confirm_sent_at = models.DateTimeField(null=True, blank=True)
    # The unsubscribe token is derived from this nonce with the server's secret key (so every
    # mailing can carry it); only its SHA-256 is stored, for the lookup.
    unsubscribe_nonce = models.CharField(max_length=32)
    unsubscribe_token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "email"], name="one_subscription_per_email"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_status_display()})"


class ConsentEventKind(models.TextChoices):
    REQUESTED = "requested", "Asked to subscribe"
    CONFIRMED = "confirmed", "Confirmed by email"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class ConsentSource(models.TextChoices):
    CONSULTATION_FORM = "consultation_form", "Consultation request form"
    EMAIL_LINK = "email_link", "Link in email"
    ONE_CLICK = "one_click", "One-click unsubscribe (mail program)"
    STAFF = "staff", "Staff, at the person's request"


class ConsentEvent(models.Model):
    subscriber = models.ForeignKey(
        NewsletterSubscriber, on_delete=models.CASCADE, related_name="events"
    )
    event = models.CharField(max_length=14, choices=ConsentEventKind.choices)
    source = models.CharField(max_length=20, choices=ConsentSource.choices)
    at = models.DateTimeField(default=timezone.now)
    network = models.CharField(max_length=64, blank=True)
    wording_version = models.CharField(max_length=40, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.event} via {self.source}"
