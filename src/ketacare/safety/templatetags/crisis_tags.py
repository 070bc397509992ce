"""The chart's crisis section: a link to the crisis records, dosing blocks and safety plan.

It runs no query (the chart has a fixed query budget); the open flags already show at the top
of the chart, and the page it links to shows the records, blocks and plan."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.patients.models import Patient

register = template.Library()


@register.inclusion_tag("safety/_crisis_section.html")
def crisis_section(patient: Patient) -> dict[str, Any]:
    return {"patient": patient}
