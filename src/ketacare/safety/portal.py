"""What any patient-facing page (this app's link page, the patient portal) shows of a safety
plan: `safety_plan_for_patient(patient)` and the template `safety/_safety_plan_body.html`,
which takes the context of `safety_plan_context`."""

from __future__ import annotations

from typing import Any

from ketacare.patients.models import Patient
from ketacare.safety.crisis_models import PLAN_FIELDS, SafetyPlanVersion
from ketacare.safety.resources import crisis_context


def safety_plan_for_patient(patient: Patient) -> SafetyPlanVersion | None:
    """The patient's current safety plan (the newest version), or None."""
    return SafetyPlanVersion.objects.filter(patient=patient).order_by("-version").first()


def plan_steps(plan: SafetyPlanVersion | None) -> list[dict[str, str]]:
    if plan is None:
        return []
    return [
        {"name": name, "label": label, "help": help_text, "text": getattr(plan, name)}
        for name, label, help_text in PLAN_FIELDS
        if getattr(plan, name) or name != "reasons_for_living"
    ]


def safety_plan_context(
    patient: Patient | None, plan: SafetyPlanVersion | None = None
) -> dict[str, Any]:
    """The context `safety/_safety_plan_body.html` needs: the plan (current unless given), its
    steps, and the clinic's crisis resources (its country's lines, its crisis number and hours:
    `resources.crisis_context`, as on the /r/ pages)."""
    if plan is None and patient is not None:
        plan = safety_plan_for_patient(patient)
    clinic = patient.clinic if patient is not None else None
    return {
        "plan": plan,
        "plan_steps": plan_steps(plan),
        **crisis_context(clinic),
        "clinic_name": clinic.name if clinic else "",
    }
