"""A dosing block raised while the drug is being given becomes an alert at the chair.

Starting a dose, each esketamine device, resuming and a rate change are refused under a block
(`dosing_gate`), but an infusion that is already running keeps delivering drug until someone
pauses or stops it. A high-risk flag raised mid-infusion (the patient's "I need help now" from
the chair, a C-SSRS screen) must reach the nurse at that chair at once: a critical alert on the
session, on the chair board the moment the block is stored, to be acknowledged with the action
taken and escalated to the prescriber like any other (issue 7 item 4; issue 6 item 5).
"""

from __future__ import annotations

from typing import Any

from ketacare.treatments.models import SessionAlert, SessionStatus, TreatmentSession

CODE = "dosing_blocked"


def on_block_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """post_save of safety.DosingBlock: in the same transaction as the block."""
    if not created or kwargs.get("raw"):
        return
    running = TreatmentSession.objects.filter(
        patient_id=instance.patient_id, status=SessionStatus.DOSING, locked_at__isnull=True
    )
    for session in running:
        SessionAlert.objects.create(
            session=session,
            code=CODE,
            level="critical",
            field="kind",
            message=(
                "Dosing is blocked: "
                + (instance.reason or "a high-risk flag was raised")[:300].rstrip(".")
                + ". Give no more drug: pause or stop the infusion, give no further device, "
                "and stay with the patient."
            ),
            source="issue 7 item 4; clinical.md §16",
        )
