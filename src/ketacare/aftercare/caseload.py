"""A therapist's caseload, and the patients dosed recently with no integration session.

"Dosed" = a treatment session whose dosing started. "Covered" = an integration note held on or
after the dosing day, or an integration appointment (booked, confirmed, checked in or done)
starting on or after it. The window is the clinic setting `integration_gap_days` (default 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Max

from ketacare.accounts.models import Clinic, User
from ketacare.aftercare.models import IntegrationNote
from ketacare.measures.scheduling import clinic_zone
from ketacare.patients.models import Patient
from ketacare.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentType
from ketacare.treatments.models import TreatmentSession


@dataclass(frozen=True)
class CaseloadRow:
    patient: Patient
    last_note_on: date | None
    next_session: datetime | None
    drafts: int


def caseload(clinic: Clinic, therapist: User, now: datetime) -> list[CaseloadRow]:
    notes = (
        IntegrationNote.objects.filter(clinic=clinic, therapist=therapist)
        .values("patient_id")
        .annotate(last=Max("held_on"))
    )
    last_by_patient = {row["patient_id"]: row["last"] for row in notes}
    upcoming = Appointment.objects.filter(
        clinic=clinic,
        clinician=therapist,
        type=AppointmentType.INTEGRATION,
        status__in=ACTIVE_STATUSES,
        starts_at__gte=now,
    ).order_by("starts_at")
    next_by_patient: dict[object, datetime] = {}
    for appt in upcoming:
        next_by_patient.setdefault(appt.patient_id, appt.starts_at)
    drafts: dict[object, int] = {}
    for pid in IntegrationNote.objects.filter(
        clinic=clinic, therapist=therapist, status="draft"
    ).values_list("patient_id", flat=True):
        drafts[pid] = drafts.get(pid, 0) + 1
    ids = set(last_by_patient) | set(next_by_patient)
    patients = Patient.objects.filter(clinic=clinic, pk__in=ids)
    rows = [
        CaseloadRow(p, last_by_patient.get(p.pk), next_by_patient.get(p.pk), drafts.get(p.pk, 0))
        for p in patients
    ]
    return sorted(rows, key=lambda r: (r.next_session is None, r.patient.display_name))


@dataclass(frozen=True)
class GapRow:
    patient: Patient
    dosed_on: date
    session_id: int


def integration_gaps(clinic: Clinic, today: date, days: int) -> list[GapRow]:
    """Patients dosed in the last `days` days (today included) with no integration after."""
    zone = clinic_zone(clinic)
    since = datetime.combine(today - timedelta(days=days), datetime.min.time(), tzinfo=zone)
    latest: dict[object, TreatmentSession] = {}
    for session in (
        TreatmentSession.objects.filter(clinic=clinic, dosing_started_at__gte=since)
        .select_related("patient")
        .order_by("dosing_started_at")
    ):
        latest[session.patient_id] = session  # the most recent dosing per patient
    rows = []
    for session in latest.values():
        assert session.dosing_started_at is not None
        dosed_on = session.dosing_started_at.astimezone(zone).date()
        start = datetime.combine(dosed_on, datetime.min.time(), tzinfo=zone)
        noted = IntegrationNote.objects.filter(
            patient_id=session.patient_id, held_on__gte=dosed_on
        ).exists()
        booked = Appointment.objects.filter(
            patient_id=session.patient_id,
            type=AppointmentType.INTEGRATION,
            status__in=ACTIVE_STATUSES,
            starts_at__gte=start,
        ).exists()
        if not noted and not booked:
            rows.append(GapRow(session.patient, dosed_on, session.pk))
    return sorted(rows, key=lambda r: (r.dosed_on, r.patient.display_name))
