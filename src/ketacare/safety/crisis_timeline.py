"""The crisis workflow's part of the patient's risk timeline (the timeline page itself is the
escalation work's): `crisis_timeline_events(patient)` → (time, kind, text), oldest first."""

from __future__ import annotations

from datetime import datetime

from ketacare.measures.scheduling import clinic_zone
from ketacare.patients.models import Patient
from ketacare.safety.crisis_models import CrisisStep, DosingBlock, SafetyPlanVersion

Event = tuple[datetime, str, str]


def _step_text(step: CrisisStep) -> str:
    parts = [step.get_kind_display()]
    if step.who:
        parts.append(step.who)
    if step.method:
        parts.append(f"by {step.method}")
    if step.disposition:
        parts.append(step.disposition.replace("_", " "))
    if step.follow_up_at:
        # On the clinic's clock: the stored time is UTC, and the timeline text is built here,
        # not by a template that would localise it.
        local = step.follow_up_at.astimezone(clinic_zone(step.record.patient.clinic))
        parts.append(f"follow-up {local:%Y-%m-%d %H:%M}")
    if step.note:
        parts.append(step.note[:200])
    author = step.author.display_name if step.author else "system"
    return " · ".join(parts) + f" (recorded by {author})"


def crisis_timeline_events(patient: Patient) -> list[Event]:
    events: list[Event] = []
    for crisis in patient.crisis_records.all():
        events.append((crisis.opened_at, "crisis.opened", f"Crisis record opened: {crisis.reason}"))
    steps = CrisisStep.objects.filter(record__patient=patient).select_related(
        "author", "record__patient__clinic"
    )
    for step in steps:
        # When it happened, not when it was written down: steps are often documented late
        # and out of order (a stay recorded after the disposition still came first).
        events.append((step.occurred_at, f"crisis.{step.kind}", _step_text(step)))
    for block in DosingBlock.objects.filter(patient=patient).select_related("cleared_by"):
        events.append((block.blocked_at, "dosing.blocked", f"Dosing blocked: {block.reason}"))
        if block.cleared_at is not None:
            who = block.cleared_by.display_name if block.cleared_by else "—"
            events.append(
                (
                    block.cleared_at,
                    "dosing.cleared",
                    f"Dosing block cleared by {who}: {block.clear_reason}",
                )
            )
    for plan in SafetyPlanVersion.objects.filter(patient=patient):
        events.append(
            (
                plan.created_at,
                "safety_plan.saved",
                f"Safety plan version {plan.version} saved; "
                f"review due {plan.review_due_on:%Y-%m-%d}",
            )
        )
    return sorted(events, key=lambda e: e[0])
