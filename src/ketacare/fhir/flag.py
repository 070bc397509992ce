"""Risk flags → FHIR R4 Flag, and C-SSRS screens → RiskAssessment.

Flag (`flag-{pk}`):
- `status` active while the flag is open or acknowledged, inactive once resolved;
- `category` flag-category `safety`; `code` = the flag's source (urn:ketacare:risk-flag-source)
  with the level and reason as text;
- the level coded in the R4 core extension `flag-priority` (context Flag, valueCodeableConcept;
  http://hl7.org/fhir/R4/extension-flag-priority.html): the R4 code system
  `http://hl7.org/fhir/flag-priority-code` (PL low, PM medium, PH high priority; its value set
  is an exemplar from IHE PCD alert priorities) and the exact level in the local
  `http://ketacare.org/fhir/CodeSystem/risk-flag-level` (low, moderate, high). A flag's level
  is its priority here: it sets how soon an unacknowledged flag escalates;
- `period.start` = raised; `period.end` once resolved: when its crisis record was closed (a
  high flag), else when a clinician resolved it (`resolved_at`, safety.resolve);
- `subject` the patient; `author` (display only) who raised it; the extension `flag-detail`
  references the QuestionnaireResponse that raised it (PHQ-9, C-SSRS, QIDS-SR16).
Searches: `patient`, `status` (active | inactive).

RiskAssessment (`risk-{assessment pk}`), one per C-SSRS screen (shared/reference/instruments.md
§5: panel LOINC 93373-9; no total score, risk from the items):
- `status` final (amended → not used; entered in error → entered-in-error);
- `code` LOINC 93373-9; `method` text "Columbia triage";
- `prediction[0].outcome` text "Suicidal behavior", `qualitativeRisk` from the risk-probability
  code system (low / moderate / high; no positive answer → negligible);
- `basis` the QuestionnaireResponse of the screen. Search: `patient`.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import (
    coding,
    concept,
    in_clinic,
    instant,
    patient_reference,
    prune,
    user_display,
)
from ketacare.fhir.measures_search import Search
from ketacare.fhir.outcome import FhirError
from ketacare.fhir.patient_search import param_expression
from ketacare.fhir.questionnaire import KETACARE_FHIR, LOINC
from ketacare.fhir.response_resource import response_id
from ketacare.measures.models import Assessment, AssessmentStatus
from ketacare.safety.models import FlagStatus, RiskFlag, RiskLevel

FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_SOURCE = "urn:ketacare:risk-flag-source"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
FLAG_PRIORITY = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_PRIORITY_CODES = "http://hl7.org/fhir/flag-priority-code"
FLAG_LEVEL = f"{KETACARE_FHIR}/CodeSystem/risk-flag-level"
FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"
PRIORITIES = {
    RiskLevel.LOW: ("PL", "Low priority"),
    RiskLevel.MODERATE: ("PM", "Medium priority"),
    RiskLevel.HIGH: ("PH", "High priority"),
}
CSSRS_CODE = "cssrs_recent"
CSSRS_PANEL = "93373-9"  # instruments.md §5

FLAG_PARAMS = ("patient", "status")
RISK_PARAMS = ("patient",)
FLAG_ID = re.compile(r"^flag-(?P<pk>[1-9]\d{0,17})$")
RISK_ID = re.compile(r"^risk-(?P<pk>[1-9]\d{0,17})$")
ACTIVE = (FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED)
RISK_LEVELS = {
    "none": ("negligible", "Negligible likelihood"),  # every screener question answered No
    "low": ("low", "Low likelihood"),
    "moderate": ("moderate", "Moderate likelihood"),
    "high": ("high", "High likelihood"),
}


def parse_flag_id(resource_id: str) -> int | None:
    match = FLAG_ID.match(resource_id)
    return int(match["pk"]) if match else None


def parse_risk_id(resource_id: str) -> int | None:
    match = RISK_ID.match(resource_id)
    return int(match["pk"]) if match else None


def flag_crisis(flag: RiskFlag) -> Any:
    """The crisis record of a flag: the one it opened, else the one it joined (CrisisFlag)."""
    opened = getattr(flag, "crisis_record", None)
    if opened is not None:
        return opened
    joined = getattr(flag, "joined_crisis", None)
    return joined.crisis if joined is not None else None


def flag_level(flag: RiskFlag) -> list[dict[str, Any]]:
    """The flag's level as the `flag-priority` extension (PL/PM/PH and our exact level)."""
    level = RiskLevel(flag.level)
    code, display = PRIORITIES[level]
    return [
        {
            "url": FLAG_PRIORITY,
            "valueCodeableConcept": {
                "coding": [
                    coding(FLAG_PRIORITY_CODES, code, display),
                    coding(FLAG_LEVEL, level.value, f"{level.label} suicide risk"),
                ],
                "text": f"{level.label} suicide risk",
            },
        }
    ]


def flag_detail(flag: RiskFlag) -> list[dict[str, Any]]:
    """The record that raised the flag, as the R4 core extension `flag-detail` (context Flag,
    valueReference): the answered scale as `QuestionnaireResponse/qr-{n}`, which reads."""
    if flag.assessment_id is None:
        return []
    reference = f"QuestionnaireResponse/qr-{flag.assessment_id}"
    return [{"url": FLAG_DETAIL, "valueReference": {"reference": reference}}]


def flag_to_fhir(flag: RiskFlag) -> dict[str, Any]:
    end = None
    if flag.status == FlagStatus.RESOLVED:
        crisis = flag_crisis(flag)
        end = crisis.closed_at if crisis is not None else flag.resolved_at
    return prune(
        {
            "resourceType": "Flag",
            "id": f"flag-{flag.pk}",
            "meta": {"lastUpdated": instant(end or flag.acknowledged_at or flag.raised_at)},
            "extension": flag_level(flag) + flag_detail(flag),
            "status": "active" if flag.status in ACTIVE else "inactive",
            "category": [concept(FLAG_CATEGORY, "safety", "Safety")],
            "code": concept(
                FLAG_SOURCE,
                flag.source,
                flag.get_source_display(),
                text=f"{flag.get_level_display()} suicide risk: {flag.reason}",
            ),
            "subject": patient_reference(flag.patient_id),
            "period": prune({"start": instant(flag.raised_at), "end": instant(end)}),
            "author": user_display(flag.raised_by),
        }
    )


def run_flag_search(clinic: Clinic, search: Search) -> QuerySet[RiskFlag]:
    rows = in_clinic(RiskFlag.objects.all(), clinic, search, "patient")
    for value in search.values("status"):
        wanted = {part.strip() for part in value.split(",")}
        unknown = wanted - {"active", "inactive"}
        if unknown:
            raise FhirError(
                400,
                "invalid",
                f"Search parameter 'status': use active or inactive, not {sorted(unknown)[0]!r}.",
                param_expression("status"),
            )
        match = Q(pk__in=[])
        if "active" in wanted:
            match |= Q(status__in=ACTIVE)
        if "inactive" in wanted:
            match |= Q(status=FlagStatus.RESOLVED)
        rows = rows.filter(match)
    return rows.select_related("raised_by", "crisis_record", "joined_crisis__crisis").order_by(
        "-raised_at", "-pk"
    )


def flag_row(clinic: Clinic, pk: int) -> RiskFlag | None:
    return (
        RiskFlag.objects.filter(pk=pk, patient__clinic=clinic)
        .select_related("raised_by", "crisis_record", "joined_crisis__crisis")
        .first()
    )


def risk_assessment_to_fhir(assessment: Assessment) -> dict[str, Any]:
    # An incomplete screen has no level until its answers reach moderate or high (a floor;
    # clinical/scales/cssrs.py): "preliminary", and no qualitative risk rather than a
    # "negligible" that nobody assessed.
    known = RISK_LEVELS.get(assessment.risk_level or "")
    if assessment.status == AssessmentStatus.ENTERED_IN_ERROR:
        status = "entered-in-error"
    else:
        status = "final" if assessment.complete else "preliminary"
    return prune(
        {
            "resourceType": "RiskAssessment",
            "id": f"risk-{assessment.pk}",
            "meta": {"lastUpdated": instant(assessment.recorded_at)},
            "status": status,
            "method": {"text": "Columbia triage (C-SSRS screener, recent)"},
            "code": concept(
                LOINC, CSSRS_PANEL, "Columbia - suicide severity rating scale screener - recent"
            ),
            "subject": patient_reference(assessment.patient_id),
            "occurrenceDateTime": instant(assessment.administered_at),
            "performer": user_display(assessment.administered_by),
            "basis": [{"reference": f"QuestionnaireResponse/{response_id(assessment)}"}],
            "prediction": [
                prune(
                    {
                        "outcome": {"text": "Suicidal behavior"},
                        "qualitativeRisk": concept(RISK_PROBABILITY, *known) if known else None,
                        "rationale": " ".join(assessment.explanation or [])[:1000] or None,
                    }
                )
            ],
        }
    )


def run_risk_search(clinic: Clinic, search: Search) -> QuerySet[Assessment]:
    rows = in_clinic(Assessment.objects.filter(scale_code=CSSRS_CODE), clinic, search, "patient")
    return rows.select_related("administered_by").order_by("-administered_at", "-pk")


def risk_row(clinic: Clinic, pk: int) -> Assessment | None:
    return (
        Assessment.objects.filter(pk=pk, scale_code=CSSRS_CODE, patient__clinic=clinic)
        .select_related("administered_by")
        .first()
    )
