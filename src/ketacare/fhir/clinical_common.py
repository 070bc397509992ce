"""What the clinical-record resources (Condition, MedicationStatement, AllergyIntolerance,
vital-signs Observation, Consent) share: clinic scoping, merged paging, display references.

Every resource here is derived on read from rows of the apps. A search may draw on several
kinds of row (a MedicationStatement is a current medication *or* an antidepressant trial), so
paging merges several querysets, each ordered newest first:

- `total` is the sum of the querysets' counts (one row yields exactly one resource);
- for the page `[offset, offset + count)`, the first `offset + count` rows of each queryset are
  read, merged by time (then by source, then by the queryset's own order) and sliced.

That is exact, costs one COUNT and one bounded SELECT per source, and keeps the order stable
between pages. Very deep pages read more rows; patient-scoped searches are small.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Model, QuerySet
from django.utils import timezone

from ketacare.accounts.models import Clinic, User
from ketacare.fhir.measures_search import Search, patient_key
from ketacare.fhir.patient_resource import fhir_instant

Moment = datetime | date


@dataclass(frozen=True)
class Source:
    """One kind of row and the FHIR resource each row becomes."""

    rows: QuerySet[Any]  # already scoped to a clinic and ordered newest first
    time: Callable[[Any], Moment]
    to_fhir: Callable[[Any], dict[str, Any]]


def page_of(sources: Sequence[Source], offset: int, count: int) -> tuple[int, list[dict[str, Any]]]:
    """(total, the resources of the page), newest first across all sources."""
    total = sum(source.rows.count() for source in sources)
    if count == 0 or offset >= total:
        return total, []
    if len(sources) == 1:
        source = sources[0]
        return total, [source.to_fhir(row) for row in source.rows[offset : offset + count]]
    end = offset + count
    items: list[tuple[tuple[Moment, int, int], Source, Model]] = []
    for rank, source in enumerate(sources):
        for position, row in enumerate(source.rows[:end]):
            items.append(((_instant(source.time(row)), -rank, -position), source, row))
    items.sort(key=lambda item: item[0], reverse=True)
    return total, [source.to_fhir(row) for _, source, row in items[offset:end]]


def _instant(moment: Moment) -> datetime:
    """A sortable instant: a day (a habit log) counts from its start in the server's zone,
    since Python cannot order a date against a date-time."""
    if isinstance(moment, datetime):
        return moment
    return datetime.combine(moment, time.min, timezone.get_current_timezone())


def in_clinic(rows: QuerySet[Any], clinic: Clinic, search: Search, path: str) -> QuerySet[Any]:
    """`rows` of `clinic`'s patients, narrowed to each `patient` value (`path` leads from the
    row to its patient; "" when the rows are patients). A patient id that cannot be ours
    matches nothing."""
    rows = rows.filter(**{f"{path}__clinic" if path else "clinic": clinic})
    for value in search.values("patient"):
        key = patient_key(value)
        if key is None:
            return rows.none()
        rows = rows.filter(**{f"{path}_id" if path else "pk": key})
    return rows


def token_values(value: str) -> list[tuple[str | None, str]]:
    """A token search value as (system, code) alternatives: `a,b` matches either."""
    alternatives: list[tuple[str | None, str]] = []
    for part in value.split(","):
        part = part.strip()
        if "|" in part:
            system, _, code = part.partition("|")
            alternatives.append((system, code))
        else:
            alternatives.append((None, part))
    return alternatives


def token_matches(value: str, codings: Sequence[tuple[str, str]]) -> bool:
    """Does any alternative of `value` name one of `codings` ((system, code) pairs)?"""
    return any(
        code == have_code and system in (None, have_system)
        for system, code in token_values(value)
        for have_system, have_code in codings
    )


def user_display(user: User | None) -> dict[str, str] | None:
    """A display-only reference to a staff member (there is no Practitioner endpoint)."""
    if user is None:
        return None
    return {"display": user.display_name}


def patient_reference(patient_id: uuid.UUID | str, display: str = "") -> dict[str, str]:
    reference = {"reference": f"Patient/{patient_id}"}
    if display:
        reference["display"] = display
    return reference


def instant(moment: datetime | None) -> str | None:
    return fhir_instant(moment) if moment is not None else None


def last_updated(*moments: datetime | None) -> dict[str, str]:
    """`meta` with `lastUpdated` = the latest of `moments` (the times a record derived on
    read last changed: a session's steps, a message's reading); {} when none is known."""
    known = [moment for moment in moments if moment is not None]
    return {"lastUpdated": fhir_instant(max(known))} if known else {}


def coding(system: str, code: str, display: str = "") -> dict[str, str]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str = "", text: str = "") -> dict[str, Any]:
    found: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        found["text"] = text
    return found


def prune(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop elements whose value is None, "" or empty (FHIR allows no empty elements)."""
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}
