"""The aftercare section of the chart: integration notes, follow-up (booster, review tasks)
and habits against goals beside the scale trajectory."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.accounts.permissions import Perm, has_perm
from ketacare.aftercare.models import IntegrationNote
from ketacare.patients.models import Patient

register = template.Library()


@register.inclusion_tag("aftercare/_chart_section.html", takes_context=True)
def aftercare_section(context: template.Context, patient: Patient) -> dict[str, Any]:
    request = context.get("request")
    membership = getattr(request, "membership", None)
    notes = list(
        IntegrationNote.objects.filter(patient=patient, clinic=patient.clinic).select_related(
            "therapist"
        )[:5]
    )
    return {
        "patient": patient,
        "notes": notes,
        "can_write_notes": has_perm(membership, Perm.INTEGRATION_WRITE),
    }
