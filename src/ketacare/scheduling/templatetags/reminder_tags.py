"""Reminders of one appointment, for its detail page: what was sent, when, and how it went."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.scheduling.models import AppointmentReminder

register = template.Library()


@register.inclusion_tag("scheduling_public/_reminders.html")
def appointment_reminders(appointment: Any) -> dict[str, Any]:
    """Each reminder row with its message's status, attempts and last error (one query). A row
    with channel "none" means the patient had no email and no phone when it was due."""
    reminders = list(
        AppointmentReminder.objects.filter(appointment=appointment)
        .select_related("notification")
        .order_by("-lead_hours", "channel")
    )
    return {"appointment": appointment, "reminders": reminders}
