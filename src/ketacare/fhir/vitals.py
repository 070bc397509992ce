"""Vital signs → FHIR R4 vital-signs Observations (category `vital-signs`), derived on read.

- `vitals-bp-{evaluation}`: baseline BP, panel 85354-9 with components 8480-6 (systolic) and
  8462-4 (diastolic) in `mm[Hg]`;
- `vitals-hr-{evaluation}`: heart rate 8867-4, `/min`;
- `vitals-spo2-{evaluation}`: SpO2 59408-5 and 2708-6 (both, as US Core does), `%`;
- `weight-{measurement}`: body weight 29463-7, `kg`;
- `height-{measurement}`: body height 8302-2, `cm` (measurements with a height);
- `bmi-{measurement}`: BMI 39156-5, `kg/m2`, derivedFrom the weight and height.

Codes and UCUM units are those of instruments.md §12. Evaluation vitals carry no time of their
own: `effectiveDateTime` is when the evaluation was started; `status` is `final` once the
evaluation is signed, `preliminary` while it is a draft. A BP with one side missing gives that
component a `dataAbsentReason`. Weight and height copied onto an evaluation are not repeated:
they are the chart's measurements. BMI uses the measurement's own height only.

Each kind is one `Source` (one row → one Observation), so the Observation search can page
them together with the score Observations (`clinical_common.page_of`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet

from ketacare.accounts.models import Clinic
from ketacare.evaluations.models import Evaluation
from ketacare.fhir.clinical_common import Source, in_clinic, patient_reference, token_matches
from ketacare.fhir.measures_search import Search, date_filter, date_range, run_observation_search
from ketacare.fhir.observation import CATEGORY_SYSTEM, observation_kind, observation_to_fhir
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.questionnaire import LOINC
from ketacare.measures.models import Assessment
from ketacare.patients.models import BodyMeasurement

UCUM = "http://unitsofmeasure.org"
VITAL_SIGNS = "vital-signs"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
VITALS_ID = re.compile(
    r"^(?P<kind>vitals-bp|vitals-hr|vitals-spo2|weight|height|bmi)-(?P<pk>[1-9]\d{0,17})$"
)


@dataclass(frozen=True)
class VitalKind:
    prefix: str  # the id without "-{pk}"
    codes: tuple[tuple[str, str], ...]  # (LOINC code, text)
    evaluation: bool  # from an Evaluation (else a BodyMeasurement)
    present: Q  # rows that yield this Observation
    build: Callable[[Any], dict[str, Any]]

    def codings(self) -> list[tuple[str, str]]:
        return [(LOINC, code) for code, _ in self.codes]


def _quantity(value: Decimal | int, unit: str, code: str) -> dict[str, Any]:
    number: int | float = value if isinstance(value, int) else float(value)
    return {"value": number, "unit": unit, "system": UCUM, "code": code}


def _bp(evaluation: Evaluation) -> dict[str, Any]:
    def component(code: str, text: str, value: int | None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "code": {"coding": [{"system": LOINC, "code": code}], "text": text}
        }
        if value is None:
            found["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT, "code": "unknown"}]}
        else:
            found["valueQuantity"] = _quantity(value, "mmHg", "mm[Hg]")
        return found

    return {
        "component": [
            component("8480-6", "Systolic blood pressure", evaluation.systolic_mmhg),
            component("8462-4", "Diastolic blood pressure", evaluation.diastolic_mmhg),
        ]
    }


KINDS: dict[str, VitalKind] = {
    kind.prefix: kind
    for kind in (
        VitalKind(
            "vitals-bp",
            (("85354-9", "Blood pressure"),),
            True,
            Q(systolic_mmhg__isnull=False) | Q(diastolic_mmhg__isnull=False),
            _bp,
        ),
        VitalKind(
            "vitals-hr",
            (("8867-4", "Heart rate"),),
            True,
            Q(heart_rate_bpm__isnull=False),
            lambda e: {"valueQuantity": _quantity(e.heart_rate_bpm, "beats/minute", "/min")},
        ),
        VitalKind(
            "vitals-spo2",
            (("59408-5", "Oxygen saturation by pulse oximetry"), ("2708-6", "")),
            True,
            Q(spo2_pct__isnull=False),
            lambda e: {"valueQuantity": _quantity(e.spo2_pct, "%", "%")},
        ),
        VitalKind(
            "weight",
            (("29463-7", "Body weight"),),
            False,
            Q(),
            lambda m: {"valueQuantity": _quantity(m.weight_kg, "kg", "kg")},
        ),
        VitalKind(
            "height",
            (("8302-2", "Body height"),),
            False,
            Q(height_cm__isnull=False),
            lambda m: {"valueQuantity": _quantity(m.height_cm, "cm", "cm")},
        ),
        VitalKind(
            "bmi",
            (("39156-5", "Body mass index (BMI)"),),
            False,
            Q(height_cm__isnull=False),
            lambda m: {
                "valueQuantity": _quantity(m.bmi_with(None), "kg/m2", "kg/m2"),
                "derivedFrom": [
                    {"reference": f"Observation/weight-{m.pk}"},
                    {"reference": f"Observation/height-{m.pk}"},
                ],
            },
        ),
    )
}


def parse_vitals_id(resource_id: str) -> tuple[VitalKind, int] | None:
    match = VITALS_ID.match(resource_id)
    return (KINDS[match["kind"]], int(match["pk"])) if match else None


def vital_to_fhir(kind: VitalKind, row: Evaluation | BodyMeasurement) -> dict[str, Any]:
    text = kind.codes[0][1]
    codings = [{"system": LOINC, "code": code} for code, _ in kind.codes]
    if isinstance(row, Evaluation):
        status = "final" if row.is_signed else "preliminary"
        effective = row.created_at
        issued = row.signed_at or row.last_edited_at
    else:
        status, effective, issued = "final", row.measured_at, row.recorded_at
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": f"{kind.prefix}-{row.pk}",
        "meta": {"lastUpdated": fhir_instant(issued)},
        "status": status,
        "category": [
            {
                "coding": [
                    {"system": CATEGORY_SYSTEM, "code": VITAL_SIGNS, "display": "Vital Signs"}
                ],
                "text": "Vital Signs",
            }
        ],
        "code": {"coding": codings, "text": text},
        "subject": patient_reference(row.patient_id),
        "effectiveDateTime": fhir_instant(effective),
        "issued": fhir_instant(issued),
    }
    resource.update(kind.build(row))
    return resource


def _rows(kind: VitalKind) -> QuerySet[Any]:
    if kind.evaluation:
        return Evaluation.objects.filter(kind.present)
    return BodyMeasurement.objects.filter(kind.present)


def _time_field(kind: VitalKind) -> str:
    return "created_at" if kind.evaluation else "measured_at"


def _readers(
    kind: VitalKind, field: str
) -> tuple[Callable[[Any], Any], Callable[[Any], dict[str, Any]]]:
    def time(row: Any) -> Any:
        return getattr(row, field)

    def to_fhir(row: Any) -> dict[str, Any]:
        return vital_to_fhir(kind, row)

    return time, to_fhir


def vital_sources(clinic: Clinic, search: Search) -> list[Source]:
    """One source per kind of vital sign the search selects (by `code` and `category`)."""
    sources = []
    for kind in KINDS.values():
        if not all(token_matches(v, kind.codings()) for v in search.values("code")):
            continue
        wanted = [(CATEGORY_SYSTEM, VITAL_SIGNS)]
        if not all(token_matches(v, wanted) for v in search.values("category")):
            continue
        field = _time_field(kind)
        rows = in_clinic(_rows(kind), clinic, search, "patient")
        for value in search.values("date"):
            rows = rows.filter(date_filter(field, *date_range("date", value)))
        sources.append(Source(rows.order_by(f"-{field}", "-pk"), *_readers(kind, field)))
    return sources


def vital_row(clinic: Clinic, kind: VitalKind, pk: int) -> Evaluation | BodyMeasurement | None:
    row: Evaluation | BodyMeasurement | None = (
        _rows(kind).filter(pk=pk, patient__clinic=clinic).first()
    )
    return row


# Vital signs join an Observation search only when it names a `code` or a `category`
# (`category=vital-signs`, `category=survey,vital-signs`, `code=8867-4`, …). A search by patient
# and date alone returns score Observations only, as before this change: existing clients and
# tests count on it. Set True to return every Observation when neither is given.
VITALS_WITHOUT_CODE_OR_CATEGORY = True


def observation_sources(clinic: Clinic, search: Search) -> list[Source]:
    """The score Observations (one per assessment) and the vital signs, for one search."""

    def score(assessment: Assessment) -> dict[str, Any]:
        kind = observation_kind(assessment)
        assert kind is not None  # run_observation_search keeps only these
        return observation_to_fhir(assessment, kind)

    sources = [Source(run_observation_search(clinic, search), lambda a: a.administered_at, score)]
    if VITALS_WITHOUT_CODE_OR_CATEGORY or search.values("code") or search.values("category"):
        sources += vital_sources(clinic, search)
    from ketacare.fhir.aftercare_observation import habit_sources  # aftercare habits
    from ketacare.fhir.session_vitals_search import session_reading_sources  # at the chair

    sources += habit_sources(clinic, search)
    if VITALS_WITHOUT_CODE_OR_CATEGORY or search.values("code") or search.values("category"):
        sources += session_reading_sources(clinic, search)
    return sources
