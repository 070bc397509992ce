"""The sessions section of the chart: sessions so far, and today's appointments to start."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.accounts.permissions import Perm, has_perm
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.models import Patient
from ketacare.scheduling.dayview import day_bounds
from ketacare.scheduling.models import Appointment, AppointmentStatus, AppointmentType
from ketacare.treatments.models import TreatmentSession

register = template.Library()


@register.inclusion_tag("treatments/_chart_section.html", takes_context=True)
def sessions_section(context: template.Context, patient: Patient) -> dict[str, Any]:
    request = context.get("request")
    sessions = list(
        TreatmentSession.objects.filter(patient=patient, clinic=patient.clinic)
        .select_related("appointment__resource")
        .order_by("-created_at")[:20]
    )
    # The clinic's whole day (23 or 25 h on a clock change), chosen in the query: taking the
    # first ten pending appointments and keeping today's among them hid today's behind ten
    # earlier ones left booked (no-shows nobody closed).
    starts, ends = day_bounds(clinic_today(patient.clinic), clinic_zone(patient.clinic))
    startable = list(
        Appointment.objects.filter(
            patient=patient,
            clinic=patient.clinic,
            type=AppointmentType.TREATMENT,
            status__in=(
                AppointmentStatus.BOOKED,
                AppointmentStatus.CONFIRMED,
                AppointmentStatus.CHECKED_IN,
            ),
            treatment_session__isnull=True,
            starts_at__gte=starts,
            starts_at__lt=ends,
        )
        .select_related("resource")
        .order_by("starts_at")[:10]
    )
    return {
        "patient": patient,
        "sessions": sessions,
        "startable": startable,
        "can_run": has_perm(getattr(request, "membership", None), Perm.SESSION_RUN),
        "csrf_token": context.get("csrf_token"),
    }
