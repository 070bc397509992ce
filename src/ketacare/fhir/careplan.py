"""TreatmentPlan → FHIR R4 CarePlan, and CarePlan search.

- `id` = the plan's pk; `status` draft → draft, active → active, on_hold → on-hold,
  completed → completed, stopped → revoked; `intent` plan.
- `instantiatesCanonical` = the PlanDefinition of the protocol version the plan was written
  under (`plandefinition.definition_url`); `title` = protocol name and version; `description`
  = the goals; `period.start` = starts on (and `end` when the plan was closed); `created`;
  `author.display` = the signing prescriber (display only: there is no Practitioner endpoint).
- `note`: the current phase, and the reason when the plan is on hold or stopped (R4 CarePlan
  has no statusReason).
- `goal` → contained `Goal`s, one per target ("PHQ-9 total < 5"): `target.measure` the scale's
  total code (as the score Observations carry it), `detailQuantity` with the comparator.
- `activity`: first one planned `detail` (kind Appointment) describing the session schedule of
  the current phase (`scheduledTiming` from the plan's frequency, else the phase's), then one
  `reference` per appointment booked under the plan (cpa-1: never both in one activity).
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from ketacare.accounts.models import Clinic
from ketacare.clinical.protocols import Frequency, Protocol, WeightBasis
from ketacare.clinical.scales import SCALES
from ketacare.fhir.clinical_common import (
    in_clinic,
    instant,
    patient_reference,
    prune,
    user_display,
)
from ketacare.fhir.measures_search import Search
from ketacare.fhir.observation import total_code
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.plandefinition import definition_url
from ketacare.fhir.r4 import number, repeat_of
from ketacare.plans.actions import plan_protocol
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.scheduling.models import Appointment

CAREPLAN_PARAMS = ("patient", "status")
CAREPLAN_ID = re.compile(r"^[1-9]\d{0,17}$")
STATUS = {
    PlanStatus.DRAFT: "draft",
    PlanStatus.ACTIVE: "active",
    PlanStatus.ON_HOLD: "on-hold",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.STOPPED: "revoked",
}
ACTIVITY_STATUS = {
    PlanStatus.DRAFT: "not-started",
    PlanStatus.ACTIVE: "in-progress",
    PlanStatus.ON_HOLD: "on-hold",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.STOPPED: "stopped",
}
GOAL_STATUS = {
    PlanStatus.DRAFT: "proposed",
    PlanStatus.ACTIVE: "active",
    PlanStatus.ON_HOLD: "on-hold",
    PlanStatus.COMPLETED: "completed",
    PlanStatus.STOPPED: "cancelled",
}
COMPARATORS = {"lt": ("<", "<"), "le": ("<=", "≤")}
UCUM = "http://unitsofmeasure.org"


def parse_careplan_id(resource_id: str) -> int | None:
    return int(resource_id) if CAREPLAN_ID.match(resource_id) else None


def _goal(plan: TreatmentPlan, n: int, target: dict[str, Any]) -> dict[str, Any]:
    scale = SCALES[target["scale"]]
    comparator, sign = COMPARATORS.get(target.get("comparison", "lt"), COMPARATORS["lt"])
    system, code = total_code(scale)
    return {
        "resourceType": "Goal",
        "id": f"target-{n}",
        "lifecycleStatus": GOAL_STATUS[PlanStatus(plan.status)],
        "description": {"text": f"{scale.name} total {sign} {target['target']}"},
        "subject": patient_reference(plan.patient_id),
        "target": [
            {
                "measure": {
                    "coding": [{"system": system, "code": code}],
                    "text": f"{scale.name}: total score",
                },
                "detailQuantity": {
                    "value": target["target"],
                    "comparator": comparator,
                    "unit": "score",
                    "system": UCUM,
                    "code": "{score}",
                },
            }
        ],
    }


def _dose(plan: TreatmentPlan, protocol: Protocol) -> str:
    rule = protocol.dose_for(plan.phase)
    value = plan.dose_value if plan.dose_value is not None else rule.value
    text = f"{number(value)} {rule.unit}"
    if rule.is_weight_based:
        basis = WeightBasis(plan.weight_basis) if plan.weight_basis else rule.weight_basis
        text += f" ({basis.label})"
    if rule.duration_min is not None:
        text += f" over {rule.duration_min} min"
    return text


def _schedule(plan: TreatmentPlan, protocol: Protocol) -> dict[str, Any]:
    """The planned-sessions activity of the current phase."""
    phase = protocol.phase(plan.phase)
    if plan.frequency_count and plan.frequency_per_days:
        frequencies: tuple[Frequency, ...] = (
            Frequency(plan.frequency_count, plan.frequency_per_days),
        )
    else:
        frequencies = phase.frequencies
    sessions = plan.sessions_planned or phase.sessions
    repeat = repeat_of(frequencies) or {}
    if sessions:
        repeat["count"] = sessions
    if plan.starts_on:
        repeat["boundsPeriod"] = {"start": plan.starts_on.isoformat()}
    schedule = " or ".join(f.describe() for f in frequencies)
    if sessions:
        schedule += f", {sessions} sessions"
    reason = plan.status_reason.strip()
    return {
        "detail": prune(
            {
                "kind": "Appointment",
                "instantiatesCanonical": [
                    definition_url(plan.clinic, protocol.code, protocol.version)
                ],
                "code": {"text": f"Treatment session: {protocol.route.label}, {phase.label}"},
                "status": ACTIVITY_STATUS[PlanStatus(plan.status)],
                "statusReason": (
                    {"text": reason}
                    if reason and plan.status in (PlanStatus.ON_HOLD, PlanStatus.STOPPED)
                    else None
                ),
                "scheduledTiming": {"repeat": repeat} if repeat else None,
                "description": f"{phase.label}: {schedule}; dose {_dose(plan, protocol)}.",
            }
        )
    }


def _appointment_activity(appointment: Appointment) -> dict[str, Any]:
    label = appointment.get_type_display()
    if appointment.session_number:
        label += f" {appointment.session_number}"
    return {
        "reference": {
            "reference": f"Appointment/{appointment.pk}",
            "display": f"{label}, {appointment.starts_at:%Y-%m-%d}",
        }
    }


def _notes(plan: TreatmentPlan, protocol: Protocol) -> list[dict[str, str]]:
    notes = [{"text": f"Current phase: {protocol.phase(plan.phase).label}."}]
    reason = plan.status_reason.strip()
    if reason and plan.status in (PlanStatus.ON_HOLD, PlanStatus.STOPPED):
        notes.append({"text": f"{plan.get_status_display()}: {reason}"})
    return notes


def careplan_to_fhir(plan: TreatmentPlan) -> dict[str, Any]:
    """`plan` as a CarePlan; its appointments should be prefetched (`careplan_rows`)."""
    protocol = plan_protocol(plan)
    status = PlanStatus(plan.status)
    goals = [_goal(plan, n, target) for n, target in enumerate(plan.targets or [], start=1)]
    closed = status in (PlanStatus.COMPLETED, PlanStatus.STOPPED)
    period = prune(
        {
            "start": plan.starts_on.isoformat() if plan.starts_on else None,
            "end": fhir_instant(plan.updated_at) if closed else None,
        }
    )
    return prune(
        {
            "resourceType": "CarePlan",
            "id": str(plan.pk),
            "meta": {"lastUpdated": fhir_instant(plan.updated_at)},
            "contained": goals,
            "instantiatesCanonical": [definition_url(plan.clinic, protocol.code, protocol.version)],
            "status": STATUS[status],
            "intent": "plan",
            "title": f"{protocol.name}, protocol version {protocol.version}",
            "description": plan.goals.strip(),
            "subject": patient_reference(plan.patient_id),
            "period": period,
            "created": instant(plan.created_at),
            "author": user_display(plan.signed_by),
            "goal": [{"reference": f"#{goal['id']}"} for goal in goals],
            "activity": [
                _schedule(plan, protocol),
                *(_appointment_activity(a) for a in plan.appointments.all()),
            ],
            "note": _notes(plan, protocol),
        }
    )


def careplan_rows(clinic: Clinic) -> QuerySet[TreatmentPlan]:
    return (
        TreatmentPlan.objects.filter(clinic=clinic)
        .select_related("clinic", "signed_by")
        .prefetch_related(
            Prefetch("appointments", queryset=Appointment.objects.order_by("starts_at", "pk"))
        )
    )


def run_careplan_search(clinic: Clinic, search: Search) -> QuerySet[TreatmentPlan]:
    """Plans of `clinic` matching the search, newest first."""
    rows = in_clinic(careplan_rows(clinic), clinic, search, "patient")
    for value in search.values("status"):
        wanted = Q(pk__in=[])
        for ours, theirs in STATUS.items():
            if theirs == value:
                wanted |= Q(status=ours)
        rows = rows.filter(wanted)
    return rows.order_by("-created_at", "-pk")


def careplan_row(clinic: Clinic, pk: int) -> TreatmentPlan | None:
    return careplan_rows(clinic).filter(pk=pk).first()
