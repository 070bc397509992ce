"""The days an aftercare record may carry: a session held, a day of habits, a goal's start.

Past days are not bounded by a window (notes and diaries are typed up from paper, README), but
a day before the patient was born cannot be right: it is a slip in the year (1900 for 2019).
A goal may start later, but not years ahead: 3026 for 2026 is the same slip the other way.
"""

from __future__ import annotations

from datetime import date, timedelta

from ketacare.accounts.actions import ActionError
from ketacare.patients.models import Patient

# As for appointments (scheduling/forms.py): nothing is planned more than two years ahead.
MAX_DAYS_AHEAD = 2 * 366


def before_birth(what: str, day: date, patient: Patient) -> str:
    """The refusal of a day before the patient's date of birth ("" when it is not)."""
    if day >= patient.birth_date:
        return ""
    return (
        f"{what} {day:%d %b %Y} is before the patient was born "
        f"({patient.birth_date:%d %b %Y}); check the year."
    )


def years_ahead(what: str, day: date, today: date) -> str:
    """The refusal of a day more than two years after `today` ("" when it is not)."""
    if day <= today + timedelta(days=MAX_DAYS_AHEAD):
        return ""
    return f"{what} {day:%d %b %Y} is more than two years ahead; check the year."


def refuse_before_birth(field: str, what: str, day: date, patient: Patient) -> None:
    """ActionError on `field` when `day` is before the patient's date of birth."""
    problem = before_birth(what, day, patient)
    if problem:
        raise ActionError(field, problem)
