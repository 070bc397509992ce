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
    entries = risk_timeline(patient)
    return {
        "patient": patient,
        "entries": entries[:SHOWN_ON_CHART],
        # The chart shows the newest; the rest are on the whole timeline's page, and the
        # section says so (older flags were cut off without a word).
        "total": len(entries),
        "can_raise": has_perm(membership, Perm.SAFETY_FLAG_RAISE),
    }


SHOWN_ON_CHART = 100
