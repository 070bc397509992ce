"""Connects the crisis workflow to new flags: a high-risk flag opens a crisis record and a
dosing block in the same transaction (imported by `crisis_models`, so always connected)."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import Actor
from ketacare.safety.signals import risk_flag_raised


def _open_crisis(sender: Any, flag: Any, **kwargs: Any) -> None:
    from ketacare.safety.crisis_actions import open_for_flag

    actor = Actor(
        user_id=flag.raised_by_id, label="KetaCare (risk flag)", clinic_id=flag.patient.clinic_id
    )
    open_for_flag(actor, flag)


risk_flag_raised.connect(_open_crisis, dispatch_uid="safety.crisis.open_for_flag")
