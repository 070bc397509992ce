"""The chart's crisis section: open/closed crisis records, today's dosing block, the plan."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.patients.models import Patient
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.dosing_block import dosing_block_reasons
from ketacare.safety.portal import safety_plan_for_patient

register = template.Library()


@register.inclusion_tag("safety/_crisis_section.html")
def crisis_section(patient: Patient) -> dict[str, Any]:
    return {
        "patient": patient,
        "records": list(CrisisRecord.objects.filter(patient=patient)[:5]),
        "blocked": dosing_block_reasons(patient),
        "plan": safety_plan_for_patient(patient),
    }
