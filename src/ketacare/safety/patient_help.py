"""A patient's own "I need help now", from any patient-facing page (issue #7 item 1).

The self-report link pages call `measures.selfreport_actions.do_request_help` (which keeps its
own repeat window on the link); any other patient page — the portal — calls `do_patient_help`
with the signed-in patient and renders `safety/_crisis_resources.html` with
`resources.crisis_context(patient.clinic)` in the same response, and the button is
`safety/_help_now.html` with `help_action` set to its own POST endpoint.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.models import FlagSource, FlagStatus, RiskFlag, RiskLevel

# A second press within this window adds no second flag (the first is still open).
REPEAT_WINDOW = timedelta(minutes=10)


def do_patient_help(actor: Actor, patient: Patient, page: str) -> RiskFlag:
    """Raise (or return the still-open recent) high flag for a patient asking for help."""
    now = timezone.now()
    with transaction.atomic():
        Patient.objects.select_for_update().filter(pk=patient.pk).first()
        recent = RiskFlag.objects.filter(
            patient=patient,
            source=FlagSource.PATIENT_REQUEST,
            status=FlagStatus.OPEN,
            raised_at__gte=now - REPEAT_WINDOW,
        ).first()
        if recent is not None:
            return recent
        flag = do_raise_flag(
            actor,
            patient,
            level=RiskLevel.HIGH,
            source=FlagSource.PATIENT_REQUEST,
            reason=f"The patient pressed “I need help now” ({page[:80]}).",
        )
        record(
            actor,
            "safety.patient.help_requested",
            object_type="risk_flag",
            object_id=flag.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"page": page[:80]},
        )
    return flag
