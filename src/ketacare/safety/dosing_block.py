"""Is dosing blocked for a patient today, and why: the one function the treatment checks call.

Blocks come from high-risk flags and crisis records (`crisis_actions`); the rule is
`clinical.crisis_rules.dosing_block` (blocked the day it was raised, then until a prescriber
clears it).
"""

from __future__ import annotations

from datetime import date

from django.db.models import Q

from ketacare.clinical.crisis_rules import dosing_block
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.models import Patient
from ketacare.safety.crisis_models import CrisisStep, DosingBlock, Step


def active_blocks(patient: Patient, today: date | None = None) -> list[DosingBlock]:
    """The blocks that stop dosing for `patient` on `today` (the clinic's date by default)."""
    today = today or clinic_today(patient.clinic)
    rows = DosingBlock.objects.filter(patient=patient).filter(
        Q(cleared_at__isnull=True) | Q(blocked_on__gte=today)
    )
    return [b for b in rows if not dosing_block(b.blocked_on, b.cleared_at is not None, today).ok]


def dosing_block_reasons(patient: Patient, today: date | None = None) -> list[str]:
    """Why dosing is blocked today (empty: it is not)."""
    today = today or clinic_today(patient.clinic)
    reasons: list[str] = []
    for block in active_blocks(patient, today):
        decision = dosing_block(block.blocked_on, block.cleared_at is not None, today)
        reasons += [f"{r} ({block.reason[:120]})" for r in decision.reasons]
    return reasons


def unevaluated_block_ids(blocks: list[DosingBlock]) -> set[int]:
    """Blocks whose crisis record holds no clinician evaluation yet. Clearing one is allowed
    (the issue asks for a documented reason only), but the page says so before a prescriber
    clears it, and the audit entry of the clearing records it. One query."""
    crisis_ids = {b.crisis_id for b in blocks if b.crisis_id}
    if not crisis_ids:
        return set()
    evaluated = set(
        CrisisStep.objects.filter(record_id__in=crisis_ids, kind=Step.EVALUATION).values_list(
            "record_id", flat=True
        )
    )
    return {b.pk for b in blocks if b.crisis_id and b.crisis_id not in evaluated}
