"""The chart's "Questionnaires due" section, as an inclusion tag:

    {% load due_tags %}{% due_section patient %}

Shows the patient's open due items (due / overdue), data completeness, the recent
self-report links with their status, and — for roles with Perm.SELF_REPORT_SEND — the form
that sends a new link. Four queries whatever the history's length.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone

from ketacare.accounts.permissions import Perm, has_perm
from ketacare.clinical.scales import SCALES
from ketacare.measures.calendar_rules import SESSION_LOOKAHEAD_DAYS
from ketacare.measures.models import DueAssessment, DueStatus, SelfReportLink
from ketacare.measures.scheduling import clinic_today, completeness, due_state
from ketacare.measures.selfreport_actions import FINISHING_GRACE
from ketacare.measures.selfreport_forms import SendLinkForm
from ketacare.notify.models import NotificationLog
from ketacare.patients.models import Patient

register = template.Library()

SHOWN_ITEMS = 20


def link_status(link: SelfReportLink, now: datetime | None = None) -> str:
    """completed / revoked / finishing / expired / opened / sent (what staff see on the chart).
    "finishing": past its expiry but opened in time, so the patient may still send it for
    FINISHING_GRACE (not "expired" while answers can still arrive)."""
    now = now or timezone.now()
    if link.completed_at:
        return "completed"
    if link.revoked_at:
        return "revoked"
    if link.expires_at <= now:
        opened_in_time = link.opened_at is not None and link.opened_at < link.expires_at
        if opened_in_time and now < link.expires_at + FINISHING_GRACE:
            return "finishing"
        return "expired"
    if link.opened_at:
        return "opened"
    return "sent"


def links_for_patient(patient: Patient, limit: int = 10) -> list[SelfReportLink]:
    return list(
        SelfReportLink.objects.filter(patient=patient)
        .select_related("created_by")
        .order_by("-created_at")[:limit]
    )


def notification_states(links: list[SelfReportLink]) -> dict[int, NotificationLog]:
    """The latest message about each link (one query)."""
    refs = [f"selfreportlink:{link.pk}" for link in links]
    found: dict[int, NotificationLog] = {}
    for log in NotificationLog.objects.filter(reference__in=refs).order_by("created_at"):
        found[int(log.reference.split(":", 1)[1])] = log
    return found


def scale_name(code: str) -> str:
    scale = SCALES.get(code)
    return scale.name.split(" (")[0] if scale else code


@register.inclusion_tag("measures_clinic/_due_section.html", takes_context=True)
def due_section(context: template.Context, patient: Patient) -> dict[str, Any]:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    today = clinic_today(patient.clinic)
    items = list(
        # Also the next week's before-session items, listed as upcoming.
        DueAssessment.objects.filter(
            patient=patient,
            status=DueStatus.OPEN,
            due_on__lte=today + timedelta(days=SESSION_LOOKAHEAD_DAYS),
        )
        .order_by("due_on", "pk")
        .only("pk", "scale_code", "due_on", "overdue_on", "reason", "last_reminded_at", "status")[
            :SHOWN_ITEMS
        ]
    )
    links = links_for_patient(patient)
    messages_by_link = notification_states(links)
    can_send = has_perm(membership, Perm.SELF_REPORT_SEND)
    return {
        "patient": patient,
        "csrf_token": context.get("csrf_token"),
        "items": [(item, due_state(item, today), scale_name(item.scale_code)) for item in items],
        "completeness": completeness(patient, today),
        "links": [
            (
                link,
                link_status(link),
                messages_by_link.get(link.pk),
                [scale_name(code) for code in link.scale_codes],
            )
            for link in links
        ],
        "can_send": can_send,
        "form": SendLinkForm(patient=patient) if can_send else None,
    }
