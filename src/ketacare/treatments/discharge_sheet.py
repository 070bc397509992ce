"""What the printed discharge instructions say: the rules from `clinical.discharge`, the
times (discharged; when the patient would have been ready to leave), the escort, and whom
to call — the clinic's number and opening hours, then 911 and 988 (`safety.crisis`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ketacare.clinical.discharge import DISCHARGE_INSTRUCTIONS
from ketacare.measures.scheduling import clinic_zone
from ketacare.safety.crisis import CRISIS_LINES, DEFAULT_CLINIC_HOURS, CrisisLine
from ketacare.scheduling.models import ClinicHours
from ketacare.treatments.models import SessionStatus, TreatmentSession

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clinic_hours_text(session: TreatmentSession) -> str:
    rows = ClinicHours.objects.filter(clinic=session.clinic).order_by("weekday")
    parts = [f"{DAYS[h.weekday]} {h.opens:%H:%M}–{h.closes:%H:%M}" for h in rows]
    return ", ".join(parts) if parts else DEFAULT_CLINIC_HOURS


@dataclass(frozen=True)
class DischargeSheet:
    clinic_name: str
    clinic_phone: str
    clinic_hours: str
    patient_name: str
    discharged_at: datetime | None
    ready_at: datetime | None
    escort_name: str
    instructions: tuple[str, ...]
    crisis_lines: tuple[CrisisLine, ...]


def patient_wording(line: str) -> str:
    """The instruction without its source citation (the patient needs the rule, not §6c)."""
    return re.sub(r"\s*\(clinical\.md[^)]*\)", "", line)


def sheet_available(session: TreatmentSession) -> bool:
    """Only a discharged patient goes home with the sheet: a session whose dosing was stopped
    is discharged through the same gates first, and one transferred out leaves for emergency
    care, not home."""
    return session.status == SessionStatus.DISCHARGED


def discharge_sheet(session: TreatmentSession) -> DischargeSheet:
    zone = clinic_zone(session.clinic)
    left = session.discharged_at
    return DischargeSheet(
        clinic_name=session.clinic.name,
        clinic_phone=session.clinic.phone,
        clinic_hours=clinic_hours_text(session),
        patient_name=session.patient.display_name,
        discharged_at=left.astimezone(zone) if left else None,
        ready_at=session.ready_at.astimezone(zone) if session.ready_at else None,
        escort_name=session.escort_name,
        instructions=tuple(patient_wording(line) for line in DISCHARGE_INSTRUCTIONS),
        crisis_lines=CRISIS_LINES,
    )
