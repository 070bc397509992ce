"""`{% crisis_bar %}`: the crisis lines and the clinic's number, on every portal page."""

from __future__ import annotations

import re
from typing import Any

from django import template

from ketacare.safety.crisis import CRISIS_LINES, DEFAULT_CLINIC_HOURS, EMERGENCY, LIFELINE

register = template.Library()


def clinic_tel(phone: str) -> str:
    return re.sub(r"[^0-9+]", "", phone or "")


def crisis_context(clinic: Any) -> dict[str, Any]:
    return {
        "crisis_clinic": clinic,
        "crisis_clinic_tel": clinic_tel(clinic.phone) if clinic is not None else "",
        "crisis_lines": CRISIS_LINES,
        "crisis_lifeline": LIFELINE,
        "crisis_emergency": EMERGENCY,
        "crisis_clinic_hours": DEFAULT_CLINIC_HOURS,
    }


@register.inclusion_tag("portal/_crisis_bar.html", takes_context=True)
def crisis_bar(context: Any) -> dict[str, Any]:
    request = context.get("request")
    clinic = getattr(request, "portal_clinic", None)
    return crisis_context(clinic)


@register.inclusion_tag("portal/_crisis_panel.html", takes_context=True)
def crisis_panel(context: Any, open_now: bool = False) -> dict[str, Any]:
    """The full list of crisis lines; `open_now` shows it as an alert (after a risk answer)."""
    request = context.get("request")
    clinic = getattr(request, "portal_clinic", None)
    return {**crisis_context(clinic), "open_now": open_now}


@register.simple_tag
def portal_nav_links() -> list[dict[str, str]]:
    """The menu entries registered in `ketacare.portal.nav` whose URL exists."""
    from django.urls import NoReverseMatch, reverse

    from ketacare.portal import nav

    links = []
    for item in nav.items():
        try:
            links.append({"label": item.label, "url": reverse(item.url_name)})
        except NoReverseMatch:
            continue
    return links
