"""Evaluations' medication history → FHIR R4 MedicationStatement.

Two kinds of row, both recorded on an evaluation:
- `CurrentMedication` → `med-{pk}`: status `active`, dosage text "{dose} mg daily".
- `AntidepressantTrialRecord` → `trial-{pk}`: status from the reason stopped (still taking →
  `active`; unknown → `completed`; any other reason → `stopped`, with `statusReason.text` =
  the reason), dosage text "{dose} mg/day for {weeks} weeks", and one `note` with the
  response, improvement, dose adequacy and whether it was in the current episode. A trial has
  no dates, so there is no `effective[x]`.

`medicationCodeableConcept.text` is the name as typed. An RxNorm coding is added only for the
names shared/reference/instruments.md §13 gives codes for (esketamine nasal spray, SPRAVATO);
no other code is made up. `dateAsserted` = recorded at. Medications of every evaluation are
listed, drafts included (a statement says what was reported at that evaluation).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.evaluations.models import (
    AntidepressantTrialRecord,
    CurrentMedication,
    ReasonStoppedChoice,
    ResponseChoice,
)
from ketacare.fhir.clinical_common import Source, in_clinic, patient_reference, prune
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
MEDICATION_STATEMENT_PARAMS = ("patient",)
MEDICATION_STATEMENT_ID = re.compile(r"^(?P<kind>med|trial)-(?P<pk>[1-9]\d{0,17})$")
MED, TRIAL = "med", "trial"
# instruments.md §13 (✅ rows only): RxCUI 2201623 esketamine Nasal Spray (SCDF),
# 2201625 esketamine Nasal Spray [Spravato] (SBDF).
RXNORM_BY_NAME = {
    "esketamine nasal spray": ("2201623", "esketamine Nasal Spray"),
    "spravato": ("2201625", "esketamine Nasal Spray [Spravato]"),
    "spravato nasal spray": ("2201625", "esketamine Nasal Spray [Spravato]"),
    "esketamine nasal spray [spravato]": ("2201625", "esketamine Nasal Spray [Spravato]"),
}


def parse_medication_statement_id(resource_id: str) -> tuple[str, int] | None:
    match = MEDICATION_STATEMENT_ID.match(resource_id)
    return (match["kind"], int(match["pk"])) if match else None


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _medication(name: str) -> dict[str, Any]:
    medication: dict[str, Any] = {"text": name}
    known = RXNORM_BY_NAME.get(" ".join(name.lower().split()))
    if known:
        medication["coding"] = [{"system": RXNORM, "code": known[0], "display": known[1]}]
    return medication


def medication_to_fhir(medication: CurrentMedication) -> dict[str, Any]:
    dose = medication.daily_dose_mg
    return prune(
        {
            "resourceType": "MedicationStatement",
            "id": f"{MED}-{medication.pk}",
            "meta": {"lastUpdated": fhir_instant(medication.recorded_at)},
            "status": "active",
            "medicationCodeableConcept": _medication(medication.name),
            "subject": patient_reference(medication.evaluation.patient_id),
            "dateAsserted": fhir_instant(medication.recorded_at),
            "note": (
                [{"text": f"Drug class: {medication.get_drug_class_display()}."}]
                if medication.drug_class
                else []
            ),
            "dosage": [{"text": f"{_number(dose)} mg daily"}] if dose is not None else [],
        }
    )


def _trial_status(trial: AntidepressantTrialRecord) -> str:
    if trial.reason_stopped == ReasonStoppedChoice.STILL_TAKING:
        return "active"
    if trial.reason_stopped == ReasonStoppedChoice.UNKNOWN:
        return "completed"
    return "stopped"


def _trial_note(trial: AntidepressantTrialRecord) -> str:
    parts = ["Antidepressant trial"]
    if trial.in_current_episode:
        parts[0] += " in the current episode"
    parts.append(f"response: {ResponseChoice(trial.response).label}")
    if trial.improvement_pct is not None:
        parts.append(f"improvement: {_number(trial.improvement_pct)}%")
    if trial.dose_adequate is not None:
        parts.append(f"dose adequate: {'yes' if trial.dose_adequate else 'no'}")
    if trial.reason_stopped != ReasonStoppedChoice.STILL_TAKING:
        parts.append(f"reason stopped: {ReasonStoppedChoice(trial.reason_stopped).label}")
    return "; ".join(parts) + "."


def _trial_dosage(trial: AntidepressantTrialRecord) -> str:
    text = f"{_number(trial.dose_mg)} mg/day" if trial.dose_mg is not None else ""
    if trial.weeks_at_dose is not None:
        weeks = f"{_number(trial.weeks_at_dose)} weeks"
        text = f"{text} for {weeks}" if text else f"{weeks} at dose"
    return text


def trial_to_fhir(trial: AntidepressantTrialRecord) -> dict[str, Any]:
    status = _trial_status(trial)
    dosage = _trial_dosage(trial)
    return prune(
        {
            "resourceType": "MedicationStatement",
            "id": f"{TRIAL}-{trial.pk}",
            "meta": {"lastUpdated": fhir_instant(trial.recorded_at)},
            "status": status,
            "statusReason": (
                [{"text": ReasonStoppedChoice(trial.reason_stopped).label}]
                if status == "stopped"
                else []
            ),
            "medicationCodeableConcept": _medication(trial.drug),
            "subject": patient_reference(trial.evaluation.patient_id),
            "dateAsserted": fhir_instant(trial.recorded_at),
            "note": [{"text": _trial_note(trial)}],
            "dosage": [{"text": dosage}] if dosage else [],
        }
    )


def medication_statement_sources(clinic: Clinic, search: Search) -> list[Source]:
    meds = in_clinic(CurrentMedication.objects.all(), clinic, search, "evaluation__patient")
    trials = in_clinic(
        AntidepressantTrialRecord.objects.all(), clinic, search, "evaluation__patient"
    )
    return [
        Source(
            meds.select_related("evaluation").order_by("-recorded_at", "-pk"),
            lambda row: row.recorded_at,
            medication_to_fhir,
        ),
        Source(
            trials.select_related("evaluation").order_by("-recorded_at", "-pk"),
            lambda row: row.recorded_at,
            trial_to_fhir,
        ),
    ]


def medication_statement_row(
    clinic: Clinic, kind: str, pk: int
) -> CurrentMedication | AntidepressantTrialRecord | None:
    model = CurrentMedication if kind == MED else AntidepressantTrialRecord
    return (
        model.objects.filter(pk=pk, evaluation__patient__clinic=clinic)
        .select_related("evaluation")
        .first()
    )
