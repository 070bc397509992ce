"""The clinic's aftercare settings (defaults until an admin changes them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.aftercare.models import AftercareSettings

FIELDS = ("integration_gap_days", "booster_rise_pct", "alcohol_limit_drinks", "alcohol_window_days")


def settings_for(clinic: Clinic | int) -> AftercareSettings:
    """The saved row, or an unsaved one holding the defaults."""
    clinic_id = clinic if isinstance(clinic, int) else clinic.pk
    row = AftercareSettings.objects.filter(clinic_id=clinic_id).first()
    return row or AftercareSettings(clinic_id=clinic_id)


def do_set_aftercare_settings(
    actor: Actor, clinic: Clinic, values: Mapping[str, Any]
) -> AftercareSettings:
    """Save validated values (a form's cleaned_data); the change is audited with before/after."""
    with transaction.atomic():
        row, _ = AftercareSettings.objects.select_for_update().get_or_create(clinic=clinic)
        changes = {}
        for name in FIELDS:
            if name in values and values[name] != getattr(row, name):
                changes[name] = [str(getattr(row, name)), str(values[name])]
                setattr(row, name, values[name])
        row.full_clean()
        row.updated_at = timezone.now()
        row.updated_by_id = actor.user_id
        row.save()
        record(
            actor,
            "aftercare.settings.changed",
            object_type="aftercare_settings",
            object_id=row.pk,
            clinic_id=clinic.pk,
            detail={"changes": changes},
        )
    return row
