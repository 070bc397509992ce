"""No more drug while a crisis dosing block stands.

The pre-dose checks refuse to start a dose under a block (checks.automatic_checks). A high-risk
flag can also be raised while the drug is being given: the patient presses "I need help now"
between two esketamine devices, or a clinician flags them during an infusion. From then on the
next device, resuming a paused infusion and changing its rate are refused until a prescriber
clears the block with a documented reason, and never again that day (issue #7 item 4;
clinical.md §16b; `clinical.crisis_rules.dosing_block`). Pausing,
ending or stopping the dose stay allowed: they give no more drug.
"""

from __future__ import annotations

from ketacare.accounts.actions import ActionError
from ketacare.treatments.models import TreatmentSession


def refuse_more_drug_if_blocked(session: TreatmentSession, *, field: str) -> None:
    from ketacare.safety.dosing_block import dosing_block_reasons

    reasons = dosing_block_reasons(session.patient)
    if reasons:
        raise ActionError(
            field,
            "Dosing is blocked: "
            + " ".join(reasons)
            + " Give no more drug: pause or stop the dose.",
        )
