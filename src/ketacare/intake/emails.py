"""The two emails the public form causes: the acknowledgement and the newsletter confirmation.

Both are plain text and contain nothing the visitor typed (no name, no message): a contact
form that echoes its input into email to any address is a spam relay, and a name next to a
ketamine clinic's name is health information in someone's inbox. Both go through
notify (`queue_notification`), written in the submitting transaction and handed to the
delivery task only once it commits.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from ketacare.accounts.models import Clinic
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel, NotificationLog
from ketacare.safety.resources import crisis_text

ACK_PURPOSE = "intake.acknowledgement"
CONFIRM_PURPOSE = "intake.newsletter.confirm"


def absolute(path: str) -> str:
    return f"{settings.KETACARE_BASE_URL}{path}"


def _crisis_lines(clinic: Clinic) -> str:
    """The crisis lines of the clinic's country and its own (safety settings)."""
    return "If you are in danger or in crisis now:\n" + "\n".join(crisis_text(clinic)) + "\n"


def _call_clinic(clinic: Clinic) -> str:
    return f" at {clinic.phone}" if clinic.phone else ""


def acknowledgement(clinic: Clinic) -> tuple[str, str]:
    subject = f"{clinic.name}: we received your consultation request"
    body = (
        f"Thank you for contacting {clinic.name}.\n\n"
        "We received your request for a consultation. Someone from our intake team will "
        "contact you in the way you chose, usually within two business days.\n\n"
        f"If you did not send this request, you can ignore this email, or call us"
        f"{_call_clinic(clinic)}.\n\n"
        "This email address does not receive replies; please do not send health details "
        "by email.\n\n"
        f"{_crisis_lines(clinic)}"
    )
    return subject, body


def newsletter_confirmation(clinic: Clinic, token: str) -> tuple[str, str]:
    url = absolute(
        reverse(
            "intake_public:newsletter_confirm",
            kwargs={"clinic_slug": clinic.slug, "token": token},
        )
    )
    subject = f"{clinic.name}: please confirm your newsletter subscription"
    body = (
        f"Someone (we hope you) asked to receive the {clinic.name} newsletter at this "
        "address.\n\n"
        f"To confirm, open this link and press “Confirm”:\n{url}\n\n"
        "The link works once, for 7 days. If you did not ask for the newsletter, ignore this "
        "email: you will not be subscribed and will not hear from us again about it.\n"
    )
    return subject, body


def queue_email(
    clinic: Clinic, to: str, subject: str, body: str, *, purpose: str, reference: str
) -> NotificationLog:
    """Write the message down now; hand it to delivery when the transaction commits."""
    log = queue_notification(
        channel=Channel.EMAIL,
        to=to,
        subject=subject,
        body=body,
        purpose=purpose,
        reference=reference,
        clinic=clinic,
    )
    log_id = log.pk
    transaction.on_commit(lambda: _enqueue_delivery(log_id))
    return log


def _enqueue_delivery(log_id: int) -> None:
    # The delivery task lives with the measures worker (measures/tasks.py); import late, as
    # building a task needs Django set up.
    from ketacare.measures.tasks import send_notification

    send_notification.enqueue(log_id)
