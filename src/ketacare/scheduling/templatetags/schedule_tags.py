"""The appointments section of the chart: the next appointments, past and cancelled ones
collapsed, and the booking links (one per active plan for a series)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from ketacare.accounts.permissions import Perm, has_perm
from ketacare.measures.scheduling import clinic_zone
from ketacare.patients.models import Patient
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.scheduling.models import ACTIVE_STATUSES, Appointment

register = template.Library()

UPCOMING = 10
PAST = 20


@register.inclusion_tag("scheduling/_chart_section.html", takes_context=True)
def appointments_section(context: Any, patient: Patient) -> dict[str, Any]:
    request = context.get("request")
    zone = clinic_zone(patient.clinic)
    now = timezone.now()
    mine = Appointment.objects.filter(patient=patient, clinic_id=patient.clinic_id).select_related(
        "resource", "clinician"
    )
    upcoming = list(
        mine.filter(ends_at__gte=now, status__in=ACTIVE_STATUSES).order_by("starts_at")[:UPCOMING]
    )
    shown = {a.pk for a in upcoming}
    past = [
        a
        for a in mine.exclude(pk__in=shown)
        .filter(starts_at__lt=now)
        .order_by("-starts_at")[: PAST + 1]
    ]
    cancelled_ahead = list(
        mine.filter(starts_at__gte=now).exclude(status__in=ACTIVE_STATUSES).order_by("starts_at")
    )
    past = cancelled_ahead + past
    can_book = has_perm(getattr(request, "membership", None), Perm.APPOINTMENT_BOOK)
    plans = (
        list(TreatmentPlan.objects.filter(patient=patient, status=PlanStatus.ACTIVE))
        if can_book
        else []
    )
    return {
        "patient": patient,
        "upcoming": [(a, a.starts_at.astimezone(zone)) for a in upcoming],
        "past": [(a, a.starts_at.astimezone(zone)) for a in past[: PAST + len(cancelled_ahead)]],
        "more_past": len(past) > PAST + len(cancelled_ahead),
        "can_book": can_book,
        "plans": plans,
    }
