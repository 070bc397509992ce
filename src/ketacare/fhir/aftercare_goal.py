"""Habit goals → FHIR R4 Goal.

- `id` = `goal-{pk}`; `lifecycleStatus` active, or completed once ended; `category.text`
  "Lifestyle"; `description.text` = e.g. "Active minutes a week, at least: 150".
- `target.measure`: LOINC 55411-3 (exercise duration) for activity, 93832-4 (sleep duration)
  for sleep, the platform's `urn:ketacare:habit` codes for drinks and wake regularity;
  `target.detailQuantity` with the comparator (≥ or ≤) in the text, because R4 Goal target
  quantities carry no comparator: `detailRange` is used instead (low for "at least", high for
  "at most").
- `startDate`, `statusDate` (the end), `expressedBy` = the clinician (display), `note`.
"""

from __future__ import annotations

import re
from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.aftercare.models import HabitGoal
from ketacare.clinical.habits import GoalKind
from ketacare.fhir.clinical_common import in_clinic, patient_reference, prune
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
HABIT_SYSTEM = "urn:ketacare:habit"
GOAL_PARAMS = ("patient",)
GOAL_ID = re.compile(r"^goal-(?P<pk>[1-9]\d{0,17})$")

# kind: (measure system, code, display, UCUM unit, "low" = at least / "high" = at most)
MEASURES = {
    GoalKind.ACTIVE_MINUTES_WEEK_MIN: (
        LOINC,
        "55411-3",
        "Exercise duration (per week)",
        "min",
        "low",
    ),
    GoalKind.DRINKS_WEEK_MAX: (
        HABIT_SYSTEM,
        "standard-drinks-week",
        "Standard drinks a week",
        "{drink}",
        "high",
    ),
    GoalKind.WAKE_WITHIN_MIN: (
        HABIT_SYSTEM,
        "wake-time-spread",
        "Wake time spread from usual",
        "min",
        "high",
    ),
    GoalKind.SLEEP_AVG_MIN: (LOINC, "93832-4", "Sleep duration (average)", "min", "low"),
}


def parse_goal_id(resource_id: str) -> int | None:
    match = GOAL_ID.match(resource_id)
    return int(match["pk"]) if match else None


def goal_to_fhir(goal: HabitGoal) -> dict[str, Any]:
    system, code, display, unit, side = MEASURES[GoalKind(goal.kind)]
    quantity = {"value": goal.target, "unit": unit, "system": UCUM, "code": unit}
    return prune(
        {
            "resourceType": "Goal",
            "id": f"goal-{goal.pk}",
            "meta": {"lastUpdated": fhir_instant(goal.set_at)},
            "lifecycleStatus": "active" if goal.ends_on is None else "completed",
            "category": [{"text": "Lifestyle"}],
            "description": {"text": f"{goal.label}: {goal.target}"},
            "subject": patient_reference(goal.patient_id),
            "startDate": goal.starts_on.isoformat(),
            "statusDate": goal.ends_on.isoformat() if goal.ends_on else None,
            "expressedBy": {"display": goal.set_by.display_name},
            "target": [
                {
                    "measure": {
                        "coding": [{"system": system, "code": code, "display": display}],
                        "text": display,
                    },
                    "detailRange": {side: quantity},
                }
            ],
            "note": [{"text": goal.note}] if goal.note else [],
        }
    )


def run_goal_search(clinic: Clinic, search: Search) -> Any:
    rows = in_clinic(HabitGoal.objects.filter(clinic=clinic), clinic, search, "patient")
    return rows.select_related("set_by").order_by("-starts_on", "-pk")


def goal_row(clinic: Clinic, pk: int) -> HabitGoal | None:
    return (
        HabitGoal.objects.filter(pk=pk, clinic=clinic, patient__clinic=clinic)
        .select_related("set_by")
        .first()
    )
