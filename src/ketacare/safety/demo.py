"""Demo set-up for escalation: an on-call rota, an escalation list, a director and mobile
numbers, so a flag raised in the demo pages the right people (called by demo/loader.py)."""

from __future__ import annotations

from datetime import time

from ketacare.accounts.models import Clinic, Role, User
from ketacare.safety.escalation_models import (
    EscalationContact,
    OnCallSlot,
    SafetySettings,
    StaffAlertContact,
)


def setup_escalation(clinic: Clinic) -> None:
    """Prescriber on call weekday days, nurse evenings and weekends; list: nurse, therapist."""

    def member(role: str) -> User | None:
        return (
            User.objects.filter(
                memberships__clinic=clinic, memberships__role=role, memberships__is_active=True
            )
            .order_by("pk")
            .first()
        )

    prescriber, nurse = member(Role.PRESCRIBER), member(Role.NURSE)
    therapist, director = member(Role.THERAPIST), member(Role.DIRECTOR)
    if prescriber is None or nurse is None:
        return
    for day in range(7):
        if day < 5:
            OnCallSlot.objects.create(
                clinic=clinic, weekday=day, starts=time(8), ends=time(18), user=prescriber
            )
            OnCallSlot.objects.create(
                clinic=clinic, weekday=day, starts=time(18), ends=time(8), user=nurse
            )
        else:
            # 08:00 to 08:00 the next day: Saturday and Sunday mornings through Monday 08:00.
            OnCallSlot.objects.create(
                clinic=clinic, weekday=day, starts=time(8), ends=time(8), user=nurse
            )
    for position, user in enumerate([u for u in (nurse, therapist) if u], start=1):
        EscalationContact.objects.create(clinic=clinic, position=position, user=user)
    SafetySettings.objects.update_or_create(
        clinic=clinic,
        defaults={"director": director, "hours": "Mon–Fri 8 am–6 pm; after hours the on-call line"},
    )
    for index, user in enumerate(u for u in (prescriber, nurse, therapist, director) if u):
        StaffAlertContact.objects.update_or_create(
            user=user, defaults={"mobile": f"+1555010{clinic.pk % 10}{index:03d}"}
        )
