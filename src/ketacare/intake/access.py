"""The one gatekeeper for consultation requests and newsletter subscribers.

Both are fetched through the active clinic, so another clinic's record is simply not found;
the refusal looks exactly like a missing record (404) and is written to the audit log.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from ketacare.accounts.access import require
from ketacare.accounts.audit import Outcome, audit
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.intake.models import ConsultationRequest, NewsletterSubscriber


class RequestNotFound(Http404):
    pass


def clinic_requests(clinic: Clinic) -> QuerySet[ConsultationRequest]:
    """Every query for requests starts here, through the tenant."""
    return ConsultationRequest.objects.filter(clinic=clinic)


def clinic_subscribers(clinic: Clinic) -> QuerySet[NewsletterSubscriber]:
    return NewsletterSubscriber.objects.filter(clinic=clinic)


def _refuse(request: HttpRequest, object_type: str, object_id: object) -> None:
    audit(
        request,
        "intake.access.refused",
        outcome=Outcome.DENIED,
        object_type=object_type,
        object_id=str(object_id)[:64],
        detail={"path": request.path},
    )
    raise RequestNotFound("No such record.")


def access_request(
    request: HttpRequest, request_id: object, perm: Perm = Perm.INTAKE_QUEUE
) -> ConsultationRequest:
    clinic = getattr(request, "clinic", None)
    found = None
    if clinic is not None and str(request_id).isdigit():
        found = (
            clinic_requests(clinic)
            .select_related("clinic", "converted_patient")
            .filter(pk=int(str(request_id)))
            .first()
        )
    if found is None:
        _refuse(request, "consultation_request", request_id)
    require(request, perm)
    assert found is not None
    return found


def access_subscriber(request: HttpRequest, subscriber_id: object) -> NewsletterSubscriber:
    clinic = getattr(request, "clinic", None)
    found = None
    if clinic is not None and str(subscriber_id).isdigit():
        found = clinic_subscribers(clinic).filter(pk=int(str(subscriber_id))).first()
    if found is None:
        _refuse(request, "newsletter_subscriber", subscriber_id)
    require(request, Perm.NEWSLETTER_MANAGE)
    assert found is not None
    return found
