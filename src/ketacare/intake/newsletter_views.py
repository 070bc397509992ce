"""Staff pages for the newsletter list: subscribers with their consent history, the CSV
export of confirmed subscribers (audited), and unsubscribing someone who asked by phone."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core import csvsafe
from ketacare.intake.access import access_subscriber, clinic_subscribers
from ketacare.intake.models import ConsentEvent, ConsentEventKind, SubscriberStatus
from ketacare.intake.newsletter import do_staff_unsubscribe, unsubscribe_url
from ketacare.intake.wording import newsletter_consent_text

PAGE_SIZE = 50
EXPORT_COLUMNS = [
    "email",
    "status",
    "asked_at",
    "confirmed_at",
    "wording_version",
    "unsubscribe_url",
]


@staff_view(Perm.NEWSLETTER_MANAGE)
def subscriber_list(request: ClinicRequest) -> HttpResponse:
    shown = request.GET.get("status", "")
    if shown not in SubscriberStatus.values:
        shown = ""
    subscribers = clinic_subscribers(request.clinic)
    counts = dict(
        subscribers.order_by()
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    if shown:
        subscribers = subscribers.filter(status=shown)
    subscribers = subscribers.prefetch_related(
        Prefetch("events", queryset=ConsentEvent.objects.select_related("by"))
    ).order_by("email")
    page = Paginator(subscribers, PAGE_SIZE).get_page(request.GET.get("page"))
    audit(
        request,
        "intake.newsletter.viewed",
        detail={"status": shown or "all", "page": page.number},
    )
    versions = {
        v for s in page.object_list for v in (e.wording_version for e in s.events.all()) if v
    }
    return render(
        request,
        "intake/newsletter.html",
        {
            "page": page,
            "shown": shown,
            "tabs": [
                ("", "All", sum(counts.values())),
                *[(v, label, counts.get(v, 0)) for v, label in SubscriberStatus.choices],
            ],
            "confirmed_count": counts.get(SubscriberStatus.CONFIRMED, 0),
            "wordings": sorted(
                (v, newsletter_consent_text(request.clinic.name, v)) for v in versions
            ),
        },
    )


@staff_view(Perm.NEWSLETTER_MANAGE)
def export(request: ClinicRequest) -> HttpResponse:
    """Confirmed subscribers only: the list a mailing may go to, each with the unsubscribe link
    the mailing must carry (for a mailing tool's merge field)."""
    subscribers = list(
        clinic_subscribers(request.clinic)
        .filter(status=SubscriberStatus.CONFIRMED)
        .select_related("clinic")
        .prefetch_related("events")
        .order_by("email")
    )
    audit(request, "intake.newsletter.exported", detail={"rows": len(subscribers)})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for subscriber in subscribers:
        events = list(subscriber.events.all())
        asked = next((e for e in reversed(events) if e.event == ConsentEventKind.REQUESTED), None)
        confirmed = next(
            (e for e in reversed(events) if e.event == ConsentEventKind.CONFIRMED), None
        )
        agreed = confirmed or asked
        writer.writerow(
            csvsafe.row(
                [
                    subscriber.email,
                    subscriber.status,
                    asked.at.isoformat() if asked else "",
                    subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else "",
                    agreed.wording_version if agreed else "",
                    unsubscribe_url(subscriber),
                ]
            )
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="newsletter-{request.clinic.slug}-{stamp}.csv"'
    )
    return response


@staff_view(Perm.NEWSLETTER_MANAGE)
@require_POST
def staff_unsubscribe(request: ClinicRequest, subscriber_id: int) -> HttpResponse:
    subscriber = access_subscriber(request, subscriber_id)
    if do_staff_unsubscribe(actor_from_request(request), subscriber):
        messages.success(request, f"{subscriber.email} is unsubscribed.")
    else:
        messages.info(request, f"{subscriber.email} was already unsubscribed.")
    return redirect("intake:newsletter")
