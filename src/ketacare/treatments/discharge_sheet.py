"""What the printed discharge instructions say: the rules from `clinical.discharge`, the
times (discharged; when the patient would have been ready to leave), the escort, and whom
to call — the clinic's number and opening hours, then the emergency number and crisis lines
of the clinic's country and its own extra lines (`safety.resources`, set at
/safety/settings/: 911 and 988 in the US)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from ketacare.clinical.discharge import DISCHARGE_INSTRUCTIONS
from ketacare.measures.scheduling import clinic_zone
from ketacare.safety.crisis import DEFAULT_CLINIC_HOURS, CrisisLine
from ketacare.safety.resources import resources_for, tel
from ketacare.scheduling.models import ClinicHours
from ketacare.treatments.models import SessionStatus, TreatmentSession

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clinic_hours_text(session: TreatmentSession, fallback: str = DEFAULT_CLINIC_HOURS) -> str:
    rows = ClinicHours.objects.filter(clinic=session.clinic).order_by("weekday")
    parts = [f"{DAYS[h.weekday]} {h.opens:%H:%M}–{h.closes:%H:%M}" for h in rows]
    return ", ".join(parts) if parts else fallback


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

    @property
    def calls(self) -> list[tuple[str, str]]:
        """(name, what to do) per line, with the number written out: the sheet is printed."""
        return [(line.name, printed(line)) for line in self.crisis_lines]


def printed(line: CrisisLine) -> str:
    text = line.action
    if line.tel and line.tel not in tel(text):  # "Call any time" needs its number on paper
        text += f" ({line.tel})"
    return f"{text} {line.note}" if line.note else text


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
    found = resources_for(session.clinic)  # the emergency line comes first
    return DischargeSheet(
        clinic_name=session.clinic.name,
        clinic_phone=found.clinic_phone,
        clinic_hours=clinic_hours_text(session, found.hours),
        patient_name=session.patient.display_name,
        discharged_at=left.astimezone(zone) if left else None,
        ready_at=session.ready_at.astimezone(zone) if session.ready_at else None,
        escort_name=session.escort_name,
        instructions=tuple(patient_wording(line) for line in DISCHARGE_INSTRUCTIONS),
        crisis_lines=found.lines,
    )
