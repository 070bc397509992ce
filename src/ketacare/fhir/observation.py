"""Assessment → FHIR R4 score Observations, derived on read (there is no Observation table).

An assessment yields at most one Observation (a scale has a total or a risk level, never both;
a test keeps it so, because searching and paging count assessments):
- `assessment-{pk}-total`: the total as `valueInteger`, coded with the scale's total LOINC
  code (44261-6 for the PHQ-9, …) or, where LOINC has none, the local code
  `http://ketacare.org/fhir/CodeSystem/scores|{scale}-total`; `interpretation.text` = band.
- `assessment-{pk}-risk`: the C-SSRS screener's risk level, LOINC 93374-7 "Suicide risk level",
  `valueCodeableConcept` with the local code (none/low/moderate/high) and, for Low only, the
  LOINC answer LA9194-7 (the only one confirmed, instruments.md §5).
Both are category `survey`, `derivedFrom` the assessment's QuestionnaireResponse, and
`entered-in-error` when the assessment is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from ketacare.clinical.scales import SCALES, Scale
from ketacare.clinical.scales.cssrs import CODE as CSSRS
from ketacare.clinical.scales.cssrs import RISK_ANSWER_LOINC, RISK_LEVEL_LOINC
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.questionnaire import KETACARE_FHIR, LOINC
from ketacare.fhir.response_resource import response_id
from ketacare.measures.models import Assessment, AssessmentStatus

CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
SURVEY = "survey"
SCORES_SYSTEM = f"{KETACARE_FHIR}/CodeSystem/scores"
RISK_SYSTEM = f"{KETACARE_FHIR}/CodeSystem/cssrs-risk-level"
TOTAL, RISK = "total", "risk"
OBSERVATION_ID = re.compile(r"^assessment-(?P<pk>[1-9]\d{0,17})-(?P<kind>total|risk)$")
# LOINC displays as given by the sources in shared/reference (instruments.md, US Core example);
# totals not listed here carry only `code.text`, so no display string is made up.
LOINC_DISPLAYS = {
    "44261-6": "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]",
    "101698-9": "PTSD PCL-5 score",
    "72514-3": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    RISK_LEVEL_LOINC: "Suicide risk level",
}


@dataclass(frozen=True)
class ObservationCode:
    """One code an Observation of ours may carry, and which assessments produce it."""

    system: str
    code: str
    kind: str
    scale: Scale


def total_code(scale: Scale) -> tuple[str, str]:
    if scale.total_loinc:
        return LOINC, scale.total_loinc
    return SCORES_SYSTEM, f"{scale.code}-total"


def observation_codes() -> list[ObservationCode]:
    codes = [
        ObservationCode(*total_code(scale), TOTAL, scale)
        for scale in SCALES.values()
        if scale.max_total is not None
    ]
    codes.append(ObservationCode(LOINC, RISK_LEVEL_LOINC, RISK, SCALES[CSSRS]))
    return codes


def with_observations() -> Q:
    """Assessments that yield an Observation."""
    return Q(total__isnull=False) | (Q(scale_code=CSSRS) & ~Q(risk_level=""))


def matching(codes: Iterable[ObservationCode]) -> Q:
    """Assessments whose Observation carries one of `codes` (no codes: none)."""
    condition = Q(pk__in=[])
    for found in codes:
        if found.kind == TOTAL:
            condition |= Q(scale_code=found.scale.code, total__isnull=False)
        else:
            condition |= Q(scale_code=found.scale.code) & ~Q(risk_level="")
    return condition


def observation_kind(assessment: Assessment) -> str | None:
    if assessment.total is not None:
        return TOTAL
    if assessment.scale_code == CSSRS and assessment.risk_level:
        return RISK
    return None


def observation_id(assessment: Assessment, kind: str) -> str:
    return f"assessment-{assessment.pk}-{kind}"


def parse_observation_id(resource_id: str) -> tuple[int, str] | None:
    match = OBSERVATION_ID.match(resource_id)
    return (int(match["pk"]), match["kind"]) if match else None


def observation_to_fhir(assessment: Assessment, kind: str) -> dict[str, Any]:
    scale = SCALES[assessment.scale_code]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": observation_id(assessment, kind),
        "meta": {"lastUpdated": fhir_instant(assessment.recorded_at)},
        "status": (
            "entered-in-error"
            if assessment.status == AssessmentStatus.ENTERED_IN_ERROR
            else "final"
        ),
        "category": [
            {"coding": [{"system": CATEGORY_SYSTEM, "code": SURVEY, "display": "Survey"}]}
        ],
    }
    if kind == TOTAL:
        system, code = total_code(scale)
        resource["code"] = _concept(system, code, f"{scale.name}: total score")
    else:
        resource["code"] = _concept(LOINC, RISK_LEVEL_LOINC, f"{scale.name}: risk level")
    resource["subject"] = {"reference": f"Patient/{assessment.patient_id}"}
    resource["effectiveDateTime"] = fhir_instant(assessment.administered_at)
    resource["issued"] = fhir_instant(assessment.recorded_at)
    if kind == TOTAL:
        resource["valueInteger"] = assessment.total
        if assessment.band:
            resource["interpretation"] = [{"text": assessment.band}]
    else:
        resource["valueCodeableConcept"] = _risk_value(assessment.risk_level)
    resource["derivedFrom"] = [{"reference": f"QuestionnaireResponse/{response_id(assessment)}"}]
    return resource


def _concept(system: str, code: str, text: str) -> dict[str, Any]:
    coding: dict[str, Any] = {"system": system, "code": code}
    if system == LOINC and code in LOINC_DISPLAYS:
        coding["display"] = LOINC_DISPLAYS[code]
    return {"coding": [coding], "text": text}


def _risk_value(level: str) -> dict[str, Any]:
    codings: list[dict[str, Any]] = []
    if level in RISK_ANSWER_LOINC:
        codings.append(
            {"system": LOINC, "code": RISK_ANSWER_LOINC[level], "display": level.capitalize()}
        )
    # Moderate and High have no confirmed LOINC answer codes (instruments.md §5) and "none" is
    # our own level, so the local code is always given.
    codings.append({"system": RISK_SYSTEM, "code": level, "display": level.capitalize()})
    return {"coding": codings, "text": level.capitalize()}
