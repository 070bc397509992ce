"""Raising risk flags. Always inside the caller's transaction, so a flag exists exactly when
the data that caused it does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from ketacare.accounts.audit import Actor, record
from ketacare.patients.models import Patient
from ketacare.safety.models import RiskFlag
from ketacare.safety.signals import risk_flag_raised

if TYPE_CHECKING:
    from ketacare.measures.models import Assessment


def do_raise_flag(
    actor: Actor,
    patient: Patient,
    *,
    level: str,
    source: str,
    reason: str,
    assessment: Assessment | None = None,
    requires_cssrs: bool = False,
) -> RiskFlag:
    with transaction.atomic():
        flag = RiskFlag.objects.create(
            patient=patient,
            level=level,
            source=source,
            reason=reason,
            assessment=assessment,
            raised_by_id=actor.user_id,
            requires_cssrs=requires_cssrs,
        )
        record(
            actor,
            "safety.flag.raised",
            object_type="risk_flag",
            object_id=flag.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"level": level, "source": source},
        )
        risk_flag_raised.send(sender=RiskFlag, flag=flag)
    return flag
