"""The risk timeline section of the chart (issue #7 item 6)."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.accounts.permissions import Perm, has_perm
from ketacare.patients.models import Patient
from ketacare.safety.timeline import risk_timeline

register = template.Library()


@register.inclusion_tag("safety/_timeline.html", takes_context=True)
def risk_timeline_section(context: dict[str, Any], patient: Patient) -> dict[str, Any]:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    return {
        "patient": patient,
        "entries": risk_timeline(patient)[:100],
        "can_raise": has_perm(membership, Perm.SAFETY_FLAG_RAISE),
    }
