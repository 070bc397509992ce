"""Patient search within one clinic: by name (accent- and case-insensitive), MRN or birth date."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.patients.models import Patient, normalise

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")
MRN_PATTERN = re.compile(r"^[A-Za-z]{0,6}\d{1,10}$")


@dataclass(frozen=True)
class PatientQuery:
    text: str = ""
    birth_date: date | None = None

    @property
    def is_empty(self) -> bool:
        return not self.text and self.birth_date is None


def parse_date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def search_patients(clinic: Clinic, query: PatientQuery) -> QuerySet[Patient]:
    patients = clinic.patients.all()
    if query.birth_date is not None:
        patients = patients.filter(birth_date=query.birth_date)
    for token in query.text.split():
        as_date = parse_date(token)
        if as_date is not None:
            patients = patients.filter(birth_date=as_date)
        elif MRN_PATTERN.match(token) and any(ch.isdigit() for ch in token):
            patients = patients.filter(mrn__iendswith=token.upper().lstrip("0") or token)
        else:
            patients = patients.filter(search_name__contains=normalise(token))
    return patients.order_by("legal_family_name", "legal_given_name", "mrn")
