"""Risk flags on the chart: an alert at the top while any flag is open, and the list."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.patients.models import Patient
from ketacare.safety.models import FlagStatus, RiskFlag

register = template.Library()


@register.inclusion_tag("safety/_flags_alert.html")
def risk_flags_alert(patient: Patient) -> dict[str, Any]:
    open_flags = list(
        RiskFlag.objects.filter(patient=patient, status=FlagStatus.OPEN).order_by("-raised_at")
    )
    return {"open_flags": open_flags}


@register.inclusion_tag("safety/_section.html")
def safety_section(patient: Patient) -> dict[str, Any]:
    flags = list(
        RiskFlag.objects.filter(patient=patient)
        .select_related("assessment", "raised_by", "acknowledged_by", "resolved_by")
        .order_by("-raised_at")[:20]
    )
    return {"patient": patient, "flags": flags}
