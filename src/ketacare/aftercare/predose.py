"""The alcohol item of the pre-dose checklist (called from treatments.checks).

Drinks logged (by staff or the patient) from the clinic's `alcohol_window_days` before the
dosing day through the dosing day, against its `alcohol_limit_drinks` (clinical.md §17; the
rule is clinical.habits.alcohol_before_dosing). The item appears only when something was
logged in that window: with no habit logs there is nothing to read, and the checklist's typed
items and the conversation at the chair cover alcohol as before.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from ketacare.aftercare.models import HabitLog
from ketacare.aftercare.settings_store import settings_for
from ketacare.clinical.habits import AlcoholCheck, alcohol_before_dosing
from ketacare.patients.models import Patient

if TYPE_CHECKING:
    from ketacare.treatments.checks import AutoCheck
    from ketacare.treatments.models import TreatmentSession


def alcohol_check(patient: Patient, dosing_day: date) -> AlcoholCheck | None:
    conf = settings_for(patient.clinic_id)
    start = dosing_day - timedelta(days=conf.alcohol_window_days)
    drinks = {
        day: amount
        for day, amount in HabitLog.objects.filter(
            patient=patient, day__gte=start, day__lte=dosing_day, drinks__isnull=False
        ).values_list("day", "drinks")
        if amount is not None
    }
    if not drinks:
        return None
    return alcohol_before_dosing(
        drinks, dosing_day, conf.alcohol_limit_drinks, conf.alcohol_window_days
    )


def alcohol_auto_checks(session: TreatmentSession, today: date) -> list[AutoCheck]:
    from ketacare.treatments.checks import AutoCheck

    result = alcohol_check(session.patient, today)
    if result is None:
        return []
    return [
        AutoCheck(
            "alcohol_before_dosing",
            "Alcohol before dosing within the clinic's limit (from the habit log)",
            result.ok,
            " ".join(result.reasons),
        )
    ]
