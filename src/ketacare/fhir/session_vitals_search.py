"""Session readings (vitals at the chair or from a monitor) in the Observation search.

A reading yields one vital-signs Observation per sign it holds, `Observation/reading-{pk}-{kind}`
(kind: bp, hr, spo2, rr, temp), exactly as `GET /fhir/Observation/{id}` and the device feed's
answer render it (`device_store.reading_to_fhir`), with the monitor's identifier when it came
from one. One `Source` per kind, so the search pages them newest first together with the score
Observations and the chart's vital signs. A reading superseded by a correction is left out: the
correction is the value in force (its original stays readable by id).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import Source, in_clinic, token_matches
from ketacare.fhir.device_feed import BP, KINDS, LOINC, Kind
from ketacare.fhir.device_store import reading_to_fhir, received_key
from ketacare.fhir.measures_search import Search, date_filter, date_range
from ketacare.fhir.observation import CATEGORY_SYSTEM
from ketacare.treatments.models import VitalReading

VITAL_SIGNS = "vital-signs"


def _present(kind: Kind) -> Q:
    if kind is BP:
        return Q(systolic_mmhg__isnull=False, diastolic_mmhg__isnull=False)
    return Q(**{f"{kind.field}__isnull": False})


def _source(kind: Kind, rows: Any) -> Source:
    def to_fhir(reading: VitalReading) -> dict[str, Any]:
        return reading_to_fhir(reading, kind, received_key(reading))

    return Source(rows, lambda reading: reading.taken_at, to_fhir)


def session_reading_sources(clinic: Clinic, search: Search) -> list[Source]:
    """One source per vital sign the search selects (by `code` and `category`)."""
    sources = []
    for kind in KINDS:
        codings = [(LOINC, code) for code in kind.codes]
        if not all(token_matches(v, codings) for v in search.values("code")):
            continue
        wanted = [(CATEGORY_SYSTEM, VITAL_SIGNS)]
        if not all(token_matches(v, wanted) for v in search.values("category")):
            continue
        rows = in_clinic(
            VitalReading.objects.filter(_present(kind), corrections__isnull=True),
            clinic,
            search,
            "session__patient",
        )
        for value in search.values("date"):
            rows = rows.filter(date_filter("taken_at", *date_range("date", value)))
        rows = rows.select_related("session", "received_as").order_by("-taken_at", "-pk")
        sources.append(_source(kind, rows))
    return sources
