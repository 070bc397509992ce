"""The appointments section of the chart."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.patients.models import Patient

register = template.Library()


@register.inclusion_tag("scheduling/_chart_section.html")
def appointments_section(patient: Patient) -> dict[str, Any]:
    return {"patient": patient}
