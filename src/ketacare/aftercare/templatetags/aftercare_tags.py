"""The aftercare section of the chart: integration notes, follow-up (booster, review tasks)
and habits against goals beside the scale trajectory."""

from __future__ import annotations

from typing import Any

from django import template

from ketacare.accounts.permissions import Perm, has_perm
from ketacare.aftercare.followup import episode_followups
from ketacare.aftercare.habit_data import habit_charts, week_rows
from ketacare.aftercare.models import FollowUpTask, IntegrationNote, TaskStatus
from ketacare.measures.scheduling import clinic_today
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
    followups = episode_followups(patient.clinic, patient)
    tasks = list(
        FollowUpTask.objects.filter(
            patient=patient, clinic=patient.clinic, status=TaskStatus.OPEN
        ).order_by("created_at")
    )
    return {
        "patient": patient,
        "notes": notes,
        "boosters": [f for f in followups if f.booster is not None and f.booster.due],
        "tasks": tasks,
        "weeks": week_rows(patient, clinic_today(patient.clinic), 4),
        "charts": habit_charts(patient),
        "can_log": has_perm(membership, Perm.HABIT_RECORD),
        "can_write_notes": has_perm(membership, Perm.INTEGRATION_WRITE),
    }
