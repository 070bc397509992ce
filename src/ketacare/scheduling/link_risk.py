"""Risk words a patient writes on their appointment link (`/a/<token>/`): a cancellation's
reason is read like a portal message (`clinical.risk_words`), and risk words raise a high flag
for the care team in the same transaction as the cancellation (issue 7 item 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import record
from ketacare.clinical.risk_words import find_risk_phrases
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.models import FlagSource, RiskFlag, RiskLevel
from ketacare.safety.patient_help import recent_patient_flag
from ketacare.scheduling import reminders
from ketacare.scheduling.models import Appointment

# How much of the patient's own words a flag's reason quotes (the form keeps 500; a longer
# reason it refused is quoted up to this).
QUOTED_CHARS = 2000


def _risk_reason(appointment: Appointment, words: str, found: tuple[str, ...]) -> str:
    quoted = words if len(words) <= QUOTED_CHARS else words[:QUOTED_CHARS] + "…"
    return (
        "Risk words in the reason the patient gave for cancelling their "
        f"{appointment.get_type_display().lower()} of {reminders.local_when(appointment)} on "
        f"the appointment link ({', '.join(f'“{p}”' for p in found)}): “{quoted}”. "
        "Review today (C-SSRS ideas, clinical.md §16b)."
    )


def do_scan_cancel_reason(
    appointment: Appointment, ip: str, reason: str, *, cancelled: bool = False
) -> RiskFlag | None:
    """Raise a high flag for risk words in a cancellation reason (None: there were none).

    The same words for the same patient within minutes, while that flag is still open, join it
    (a double tap, a reload that posts again), as `safety.patient_help.press_help` does; other
    words, or a flag already acknowledged, raise a new one. Audited
    `scheduling.appointment_link.risk_words` (without the words: they are on the flag)."""
    words = (reason or "").replace("\x00", " ").strip()
    risk = find_risk_phrases(words)
    if not risk.concerning:
        return None
    actor = reminders.patient_actor(appointment, ip)
    patient = appointment.patient
    text = _risk_reason(appointment, words, risk.found)
    with transaction.atomic():
        # Two posts at once queue here, so only one raises a flag.
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        flag = recent_patient_flag(patient, reason=text)
        raised = flag is None
        if flag is None:
            flag = do_raise_flag(
                actor, patient, level=RiskLevel.HIGH, source=FlagSource.PATIENT_REQUEST, reason=text
            )
        record(
            actor,
            "scheduling.appointment_link.risk_words",
            object_type="appointment",
            object_id=appointment.pk,
            patient_id=patient.pk,
            clinic_id=appointment.clinic_id,
            detail={"flag": flag.pk, "raised": raised, "cancelled": cancelled},
        )
    return flag


@dataclass(frozen=True)
class Cancelled:
    appointment: Appointment
    flag: RiskFlag | None  # the flag the reason raised (or joined), if it had risk words


def do_cancel_by_link_scanned(appointment: Appointment, ip: str, reason: str) -> Cancelled:
    """Cancel through the link (`reminders.do_cancel_by_link`) and read the reason for risk
    words, in one transaction. The cancellation runs in a savepoint: when it is refused (the
    visit started meanwhile) the flag still stands, and the ActionError is raised after the
    commit."""
    refused: ActionError | None = None
    with transaction.atomic():
        try:
            with transaction.atomic():
                fresh = reminders.do_cancel_by_link(appointment, ip, reason)
        except ActionError as problem:
            refused = problem
        flag = do_scan_cancel_reason(appointment, ip, reason, cancelled=refused is None)
    if refused is not None:
        raise refused
    return Cancelled(fresh, flag)
