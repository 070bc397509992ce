"""Search parameters for Questionnaire, QuestionnaireResponse and Observation.

Parsing is as strict as for Patient (`patient_search.py`): an unknown parameter, a modifier
or a malformed value answers 400 naming it; a repeated parameter ANDs; an empty value is
ignored. Comma OR lists are accepted for `code` and `category` only. Searches on patient data
run inside one clinic, through `clinic.patients`: another clinic's patient id simply matches
nothing.

- `patient`: `Patient/{id}` or a bare id.
- `code`: a token, `system|code`, `|code` (no system: matches nothing of ours) or a bare code.
- `date` (Observation) / `authored` (QuestionnaireResponse): `YYYY`, `YYYY-MM`, `YYYY-MM-DD`
  or a full date-time, after a prefix eq (default), ne, gt, ge, lt or le. A value without a
  time zone is read in the current zone: the token's clinic's (`http.fhir_endpoint`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.clinical.scales import SCALES, Scale
from ketacare.fhir.observation import (
    CATEGORY_SYSTEM,
    SURVEY,
    matching,
    observation_codes,
    with_observations,
)
from ketacare.fhir.outcome import FhirError
from ketacare.fhir.patient_search import (
    MAX_PAGE_SIZE,
    RESULT_PARAMS,
    non_negative,
    param_expression,
)
from ketacare.fhir.questionnaire import LOINC, questionnaire_codes, scale_for_canonical
from ketacare.measures.models import Assessment

QUESTIONNAIRE_PARAMS = ("code", "url")
RESPONSE_PARAMS = ("patient", "questionnaire", "authored")
OBSERVATION_PARAMS = ("patient", "code", "date", "category")
OR_LIST_PARAMS = frozenset({"code", "category"})
IGNORED_PARAMS = ("_format",)
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
DATE_VALUE = re.compile(
    r"^(?P<prefix>[a-z]{2})?(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?P<time>T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


@dataclass(frozen=True)
class Search:
    terms: tuple[tuple[str, str], ...]  # as given, for paging links
    count: int
    offset: int

    @property
    def used(self) -> list[str]:
        """Which parameters were searched on (never their values)."""
        return sorted({name for name, _ in self.terms})

    def values(self, name: str) -> list[str]:
        return [value for term, value in self.terms if term == name]


def _bad(diagnostics: str, name: str) -> FhirError:
    """400 `invalid` whose expression names the search parameter (`param_expression`)."""
    return FhirError(400, "invalid", diagnostics, param_expression(name))


def parse_search(params: Iterable[tuple[str, str]], allowed: tuple[str, ...]) -> Search:
    terms: list[tuple[str, str]] = []
    result: dict[str, int] = {}
    for name, raw in params:
        value = raw.strip()
        if name in IGNORED_PARAMS:
            continue
        if name in RESULT_PARAMS:
            if not value:
                continue
            if name in result:
                raise _bad(f"Search parameter '{name}' is given more than once.", name)
            result[name] = non_negative(name, value)
            continue
        if name not in allowed:
            base, _, modifier = name.partition(":")
            if modifier and base in allowed:
                raise _bad(
                    f"Search parameter '{name}': the modifier ':{modifier}' is not supported.",
                    name,
                )
            supported = ", ".join((*allowed, *RESULT_PARAMS))
            raise _bad(f"Unknown search parameter '{name}'. Supported: {supported}.", name)
        if not value:
            continue
        if "," in value and name not in OR_LIST_PARAMS:
            raise _bad(f"Search parameter '{name}': OR lists (a,b) are not supported.", name)
        terms.append((name, value))
    return Search(
        terms=tuple(terms),
        count=min(result.get("_count", settings.FHIR_PAGE_SIZE_DEFAULT), MAX_PAGE_SIZE),
        offset=result.get("_offset", 0),
    )


# --- values ------------------------------------------------------------------------------


def patient_key(value: str) -> uuid.UUID | None:
    """The patient id a `patient` value names; None when it cannot be one of ours."""
    reference = value.removeprefix("Patient/")
    if "/" in reference:
        raise _bad("Search parameter 'patient' takes 'Patient/{id}' or an id.", "patient")
    try:
        return uuid.UUID(reference)
    except ValueError:
        return None


def token(value: str) -> tuple[str | None, str]:
    """(system, code); system None when not given, "" when explicitly none (`|code`)."""
    if "|" in value:
        system, _, code = value.partition("|")
        return system, code
    return None, value


def _date_range(name: str, value: str) -> tuple[str, datetime, datetime]:
    """(prefix, start, end): the half-open interval of instants the value stands for."""
    # '+' in an unencoded query string arrives as a space.
    match = DATE_VALUE.match(value.replace(" ", "+"))
    if match is None:
        raise _bad(
            f"Search parameter '{name}' takes a date (YYYY, YYYY-MM, YYYY-MM-DD) or a date-time "
            "(YYYY-MM-DDThh:mm:ss+zz:zz), optionally after a prefix such as ge or lt.",
            name,
        )
    prefix = match["prefix"] or "eq"
    if prefix not in DATE_PREFIXES:
        raise _bad(
            f"Search parameter '{name}': the prefix '{prefix}' is not supported; use one of "
            f"{', '.join(DATE_PREFIXES)}.",
            name,
        )
    year, month, day = int(match["year"]), int(match["month"] or 1), int(match["day"] or 1)
    zone = timezone.get_current_timezone()
    outside = _bad(
        f"Search parameter '{name}': {value} is outside the years this server can search.",
        name,
    )
    try:
        if match["time"]:
            start = datetime.fromisoformat(value[len(match["prefix"] or "") :].replace(" ", "+"))
            if start.tzinfo is None:
                start = start.replace(tzinfo=zone)
            seconds = match["time"].count(":") >= 2  # hh:mm:ss, not hh:mm
            end = start + timedelta(seconds=1 if seconds else 60)
        else:
            start = datetime(year, month, day, tzinfo=zone)
    except ValueError as problem:
        raise _bad(f"Search parameter '{name}': {value} is not a date.", name) from problem
    except OverflowError as problem:
        raise outside from problem
    try:
        if not match["time"]:  # a date-time's end (its second or minute) is set above
            if match["day"]:
                end = start + timedelta(days=1)
            elif match["month"]:
                end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zone)
            else:
                end = datetime(year + 1, 1, 1, tzinfo=zone)
        # The database compares in UTC: an instant before year 1 or after 9999 there fails
        # while the query runs (OverflowError, a 500), so it is refused here.
        start.astimezone(UTC)
        end.astimezone(UTC)
    except (ValueError, OverflowError) as problem:
        raise outside from problem
    return prefix, start, end


def _date_filter(field: str, prefix: str, start: datetime, end: datetime) -> Q:
    if prefix == "eq":
        return Q(**{f"{field}__gte": start, f"{field}__lt": end})
    if prefix == "ne":
        return ~Q(**{f"{field}__gte": start, f"{field}__lt": end})
    if prefix == "gt":
        return Q(**{f"{field}__gte": end})
    if prefix == "ge":
        return Q(**{f"{field}__gte": start})
    if prefix == "lt":
        return Q(**{f"{field}__lt": start})
    return Q(**{f"{field}__lt": end})


# Public names for the other searches of the facade (vitals.py).
date_range = _date_range
date_filter = _date_filter


# --- running -----------------------------------------------------------------------------


def searched_patient(clinic: Clinic, search: Search) -> str:
    """The one patient of `clinic` a search is about (for the audit entry), or ""."""
    keys = {patient_key(value) for value in search.values("patient")}
    key = keys.pop() if len(keys) == 1 else None
    if key is None:
        return ""
    return str(key) if clinic.patients.filter(pk=key).exists() else ""


def _clinic_assessments(clinic: Clinic, search: Search) -> QuerySet[Assessment]:
    assessments = Assessment.objects.filter(patient__clinic=clinic)
    for value in search.values("patient"):
        key = patient_key(value)
        if key is None:
            return assessments.none()
        assessments = assessments.filter(patient_id=key)
    return assessments


def run_observation_search(clinic: Clinic, search: Search) -> QuerySet[Assessment]:
    """Assessments of `clinic` whose Observation matches, newest first (stable for paging)."""
    assessments = _clinic_assessments(clinic, search).filter(with_observations())
    codes = observation_codes()
    for value in search.values("code"):
        wanted = [token(part.strip()) for part in value.split(",")]
        assessments = assessments.filter(
            matching(
                c
                for c in codes
                if any(code == c.code and system in (None, c.system) for system, code in wanted)
            )
        )
    for value in search.values("category"):
        wanted = [token(part.strip()) for part in value.split(",")]
        if not any(code == SURVEY and system in (None, CATEGORY_SYSTEM) for system, code in wanted):
            return assessments.none()
    for value in search.values("date"):
        assessments = assessments.filter(
            _date_filter("administered_at", *_date_range("date", value))
        )
    return assessments.order_by("-administered_at", "-pk")


def run_response_search(clinic: Clinic, search: Search) -> QuerySet[Assessment]:
    """Assessments of `clinic` as QuestionnaireResponses, newest first."""
    assessments = _clinic_assessments(clinic, search)
    for value in search.values("questionnaire"):
        scale, version = scale_for_canonical(value)
        if scale is None:
            return assessments.none()
        assessments = assessments.filter(scale_code=scale.code)
        if version is not None:
            assessments = assessments.filter(scale_version=version)
    for value in search.values("authored"):
        assessments = assessments.filter(
            _date_filter("administered_at", *_date_range("authored", value))
        )
    return assessments.select_related("administered_by").order_by("-administered_at", "-pk")


def run_questionnaire_search(search: Search) -> list[Scale]:
    scales = list(SCALES.values())
    for value in search.values("code"):
        wanted = [token(part.strip()) for part in value.split(",")]
        scales = [
            scale
            for scale in scales
            if any(
                system in (None, LOINC) and code in questionnaire_codes(scale)
                for system, code in wanted
            )
        ]
    for value in search.values("url"):
        scale, version = scale_for_canonical(value)
        scales = [s for s in scales if s is scale and version in (None, s.version)]
    return scales
