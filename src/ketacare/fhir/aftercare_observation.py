"""Lifestyle habits → FHIR R4 Observation (one per habit per day logged).

- Sleep: `habit-sleep-{pk}`, LOINC 93832-4 "Sleep duration", value in hours (UCUM h), from
  bed and wake times; category `activity`. Components give the bed and wake times as text.
- Activity: `habit-activity-{pk}`, LOINC 55411-3 "Exercise duration", value in minutes (UCUM
  min), category `activity` (as the HL7 US Physical Activity IG's examples do); the kind of
  activity is `note`.
- Alcohol: `habit-alcohol-{pk}`: standard drinks that day. shared/reference/instruments.md §9
  gives LOINC only for AUDIT-C items (68519-8 is "drinks on a typical drinking day", an answer
  list, not a daily count), so this is coded in the platform's own system
  `urn:ketacare:habit` (`standard-drinks-day`), category `social-history`; value in the
  UCUM annotation `{drink}`.
- Therapy attendance stays in the weekly summary (no Observation).

The codes 93832-4 and 55411-3 are those the issue names; they were checked against the HL7
Personal Health Record IG (sleep observation value set) and the US Physical Activity IG.
`effectiveDateTime` is the day logged; `performer` is the patient when they logged it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.aftercare.models import HabitLog, HabitSource
from ketacare.clinical.habits import sleep_minutes
from ketacare.fhir.clinical_common import (
    Source,
    concept,
    in_clinic,
    patient_reference,
    prune,
    token_matches,
)
from ketacare.fhir.measures_search import Search, date_range
from ketacare.fhir.patient_resource import fhir_instant

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
HABIT_SYSTEM = "urn:ketacare:habit"
HABIT_ID = re.compile(r"^habit-(?P<kind>sleep|activity|alcohol)-(?P<pk>[1-9]\d{0,17})$")


@dataclass(frozen=True)
class HabitKind:
    code: str  # in the id
    system: str
    loinc: str
    display: str
    category: str
    field: str  # the HabitLog field that must be logged

    def codings(self) -> list[tuple[str, str]]:
        return [(self.system, self.loinc)]


KINDS = {
    "sleep": HabitKind("sleep", LOINC, "93832-4", "Sleep duration", "activity", "wake_time"),
    "activity": HabitKind(
        "activity", LOINC, "55411-3", "Exercise duration", "activity", "active_minutes"
    ),
    "alcohol": HabitKind(
        "alcohol",
        HABIT_SYSTEM,
        "standard-drinks-day",
        "Standard drinks of alcohol in the day",
        "social-history",
        "drinks",
    ),
}


def parse_habit_id(resource_id: str) -> tuple[HabitKind, int] | None:
    match = HABIT_ID.match(resource_id)
    return (KINDS[match["kind"]], int(match["pk"])) if match else None


def _value(kind: HabitKind, log: HabitLog) -> dict[str, Any]:
    if kind.code == "sleep":
        assert log.bed_time is not None and log.wake_time is not None
        hours = Decimal(sleep_minutes(log.bed_time, log.wake_time)) / 60
        return {"value": float(round(hours, 2)), "unit": "h", "system": UCUM, "code": "h"}
    if kind.code == "activity":
        return {"value": log.active_minutes, "unit": "min", "system": UCUM, "code": "min"}
    return {"value": float(log.drinks or 0), "unit": "drinks", "system": UCUM, "code": "{drink}"}


def habit_to_fhir(kind: HabitKind, log: HabitLog) -> dict[str, Any]:
    components = []
    if kind.code == "sleep" and log.bed_time and log.wake_time:
        components = [
            {"code": {"text": "Went to bed"}, "valueString": log.bed_time.strftime("%H:%M")},
            {"code": {"text": "Woke up"}, "valueString": log.wake_time.strftime("%H:%M")},
        ]
    performer = [patient_reference(log.patient_id)] if log.source == HabitSource.PATIENT else []
    return prune(
        {
            "resourceType": "Observation",
            "id": f"habit-{kind.code}-{log.pk}",
            "meta": {"lastUpdated": fhir_instant(log.recorded_at)},
            "status": "final",
            "category": [concept(CATEGORY, kind.category)],
            "code": concept(kind.system, kind.loinc, kind.display, text=kind.display),
            "subject": patient_reference(log.patient_id),
            "effectiveDateTime": log.day.isoformat(),
            "performer": performer,
            "valueQuantity": _value(kind, log),
            "component": components,
            "note": [{"text": log.activity_kind}]
            if kind.code == "activity" and log.activity_kind
            else [],
        }
    )


def _rows(kind: HabitKind) -> QuerySet[HabitLog]:
    return HabitLog.objects.filter(**{f"{kind.field}__isnull": False})


def day_filter(prefix: str, start: datetime, end: datetime) -> Q:
    """A `date` search on the logged day (a whole-day interval, as the search gives). A day is
    the clinic's calendar day: a date-time given in another zone (`…T04:30:00Z`) is first
    read on the clinic's clock (the current zone, `http.fhir_endpoint`)."""
    first: date = timezone.localtime(start).date()
    after: date = timezone.localtime(end).date()
    if after <= first:  # a date-time search: the day it falls in
        after = date.fromordinal(first.toordinal() + 1)
    if prefix == "eq":
        return Q(day__gte=first, day__lt=after)
    if prefix == "ne":
        return ~Q(day__gte=first, day__lt=after)
    if prefix in ("gt", "ge"):
        return Q(day__gte=after if prefix == "gt" else first)
    return Q(day__lt=first) if prefix == "lt" else Q(day__lt=after)


def _day(log: HabitLog) -> date:
    return log.day


def _reader(kind: HabitKind) -> Callable[[HabitLog], dict[str, Any]]:
    return lambda log: habit_to_fhir(kind, log)


def habit_sources(clinic: Clinic, search: Search) -> list[Source]:
    """One source per habit the search selects (by `code` and `category`)."""
    sources = []
    for kind in KINDS.values():
        if not all(token_matches(v, kind.codings()) for v in search.values("code")):
            continue
        if not all(
            token_matches(v, [(CATEGORY, kind.category)]) for v in search.values("category")
        ):
            continue
        rows = in_clinic(_rows(kind), clinic, search, "patient")
        for value in search.values("date"):
            rows = rows.filter(day_filter(*date_range("date", value)))
        sources.append(Source(rows.order_by("-day", "-pk"), _day, _reader(kind)))
    return sources


def habit_row(clinic: Clinic, kind: HabitKind, pk: int) -> HabitLog | None:
    return _rows(kind).filter(pk=pk, clinic=clinic, patient__clinic=clinic).first()
