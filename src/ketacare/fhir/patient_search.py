"""Patient search parameters: parse them strictly, then run them inside one clinic.

Supported: `name`, `birthdate`, `identifier`, and the result parameters `_count`, `_offset`
(`_format` is checked by the endpoint wrapper). Anything else, including modifiers such as
`name:exact` and comma-separated OR lists, is refused with a 400 that names it. Repeating a
search parameter ANDs the values, as in FHIR; an empty value is ignored.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.fhir.outcome import FhirError
from ketacare.fhir.patient_resource import mrn_system
from ketacare.patients.models import Patient, normalise
from ketacare.patients.search import PatientQuery, search_patients

SEARCH_PARAMS = ("name", "birthdate", "identifier")
RESULT_PARAMS = ("_count", "_offset")
IGNORED_PARAMS = ("_format",)
MAX_PAGE_SIZE = 100
# FHIR date search prefixes we apply (http://hl7.org/fhir/R4/search.html#prefix);
# sa, eb and ap are refused.
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le")
DATE_PARAM = re.compile(
    r"^(?P<prefix>[a-z]{2})?(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2}))?)?$"
)


@dataclass(frozen=True)
class DateTerm:
    """A birthdate condition: `prefix` applied to the day range [first, last]."""

    prefix: str
    first: date
    last: date


@dataclass(frozen=True)
class IdentifierTerm:
    system: str | None  # None: any system; "": explicitly no system
    value: str  # "": any value


@dataclass(frozen=True)
class PatientSearch:
    terms: tuple[tuple[str, str], ...]  # the search parameters as given, for paging links
    name_tokens: tuple[str, ...] = ()
    birthdates: tuple[DateTerm, ...] = ()
    identifiers: tuple[IdentifierTerm, ...] = ()
    count: int = 20
    offset: int = 0

    @property
    def used(self) -> list[str]:
        """Which parameters were searched on (never their values: those go nowhere)."""
        return sorted({name for name, _ in self.terms})


def param_expression(name: str) -> str:
    """Where a search parameter's problem is, for `OperationOutcome.issue.expression`: R4 has
    no FHIRPath for a URL parameter, so this follows its `issue.location` rule for HTTP
    parameters, "http." + the parameter name as given (`http.birthdate`, `http.name:exact`)."""
    return f"http.{name}"


def _bad(diagnostics: str, name: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics, param_expression(name))


def parse_patient_search(
    params: Iterable[tuple[str, str]], *, allow_result_params: bool = True
) -> PatientSearch:
    terms: list[tuple[str, str]] = []
    result: dict[str, int] = {}
    names: list[str] = []
    birthdates: list[DateTerm] = []
    identifiers: list[IdentifierTerm] = []
    for name, raw in params:
        value = raw.strip()
        if name in IGNORED_PARAMS:
            continue
        if name in RESULT_PARAMS and allow_result_params:
            if not value:
                continue
            if name in result:
                raise _bad(f"Search parameter '{name}' is given more than once.", name)
            result[name] = non_negative(name, value)
            continue
        if name not in SEARCH_PARAMS:
            raise _bad(_unknown_message(name, allow_result_params), name)
        if not value:
            continue
        if "," in value:
            raise _bad(f"Search parameter '{name}': OR lists (a,b) are not supported.", name)
        terms.append((name, value))
        if name == "name":
            names.extend(value.split())
        elif name == "birthdate":
            birthdates.append(_date_term(value))
        else:
            identifiers.append(_identifier_term(value))
    default = settings.FHIR_PAGE_SIZE_DEFAULT
    return PatientSearch(
        terms=tuple(terms),
        name_tokens=tuple(names),
        birthdates=tuple(birthdates),
        identifiers=tuple(identifiers),
        count=min(result.get("_count", default), MAX_PAGE_SIZE),
        offset=result.get("_offset", 0),
    )


def _unknown_message(name: str, allow_result_params: bool) -> str:
    base, _, modifier = name.partition(":")
    if modifier and base in SEARCH_PARAMS:
        return f"Search parameter '{name}': the modifier ':{modifier}' is not supported."
    supported = SEARCH_PARAMS + (RESULT_PARAMS if allow_result_params else ())
    return f"Unknown search parameter '{name}'. Supported: {', '.join(supported)}."


# `_count`/`_offset` above this are refused: no clinic has that many results, and a larger
# number overflows the database's OFFSET (SQLite: 500 "datatype mismatch").
MAX_RESULT_NUMBER = 10**9


def non_negative(name: str, value: str) -> int:
    # ASCII digits only: str.isdigit() also takes "²", which int() then refuses (a 500).
    if not (value.isascii() and value.isdigit()):
        raise _bad(f"Search parameter '{name}' must be a whole number of 0 or more.", name)
    number = int(value)
    if number > MAX_RESULT_NUMBER:
        raise _bad(f"Search parameter '{name}' must be at most {MAX_RESULT_NUMBER}.", name)
    return number


def _date_term(value: str) -> DateTerm:
    match = DATE_PARAM.match(value)
    if match is None:
        raise _bad(
            "Search parameter 'birthdate' takes a date: YYYY-MM-DD (or YYYY-MM, YYYY), "
            "optionally after a prefix such as eq, ge or le.",
            "birthdate",
        )
    prefix = match["prefix"] or "eq"
    if prefix not in DATE_PREFIXES:
        raise _bad(
            f"Search parameter 'birthdate': the prefix '{prefix}' is not supported; "
            f"use one of {', '.join(DATE_PREFIXES)}.",
            "birthdate",
        )
    year = int(match["year"])
    try:
        if match["day"]:
            first = last = date(year, int(match["month"]), int(match["day"]))
        elif match["month"]:
            month = int(match["month"])
            first = date(year, month, 1)
            last = date(year, month, calendar.monthrange(year, month)[1])
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
    except ValueError as problem:
        raise _bad(
            f"Search parameter 'birthdate': {value[len(prefix) :]} is not a date.", "birthdate"
        ) from problem
    return DateTerm(prefix, first, last)


def _identifier_term(value: str) -> IdentifierTerm:
    if "|" in value:
        system, _, code = value.partition("|")
        return IdentifierTerm(system, code)
    return IdentifierTerm(None, value)


def run_patient_search(clinic: Clinic, search: PatientSearch) -> QuerySet[Patient]:
    """The matching patients of `clinic` only, in a stable order for paging."""
    # Words with digits are never MRNs or dates here: `name` searches names only, so they
    # skip search_patients' MRN/date reading and match the name text directly.
    words = [t for t in search.name_tokens if not any(ch.isdigit() for ch in t)]
    patients = search_patients(clinic, PatientQuery(" ".join(words)))
    for token in search.name_tokens:
        if token not in words:
            patients = patients.filter(search_name__contains=normalise(token))
    for term in search.birthdates:
        patients = _filter_birthdate(patients, term)
    own_system = mrn_system(clinic)
    for ident in search.identifiers:
        if ident.system is not None and ident.system != own_system:
            # Another clinic's MRNs, or identifiers without a system: we hold none here.
            return patients.none()
        if ident.value:
            patients = patients.filter(mrn__iexact=ident.value)
    return patients.select_related("clinic")


def _filter_birthdate(patients: QuerySet[Patient], term: DateTerm) -> QuerySet[Patient]:
    if term.prefix == "eq":
        return patients.filter(birth_date__range=(term.first, term.last))
    if term.prefix == "ne":
        return patients.exclude(birth_date__range=(term.first, term.last))
    if term.prefix == "gt":
        return patients.filter(birth_date__gt=term.last)
    if term.prefix == "ge":
        return patients.filter(birth_date__gte=term.first)
    if term.prefix == "lt":
        return patients.filter(birth_date__lt=term.first)
    return patients.filter(birth_date__lte=term.last)
