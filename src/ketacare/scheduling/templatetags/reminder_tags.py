"""Reminders of one appointment, for its detail page: what was sent, when, and how it went."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("scheduling_public/_reminders.html")
def appointment_reminders(appointment: Any) -> dict[str, Any]:
    return {"appointment": appointment, "reminders": []}
