"""The director's (or admin's) review of a discrepancy of the controlled-substance log.

A discrepancy (`substance_ledger`) stays open until someone with `Perm.SUBSTANCE_REVIEW`
records what was found: the outcome, a note of a few words and an optional report number. A
review covers the exact problem text the log gives for that entry; if the log later gives
another text for it, that one is open again. Reviews are never edited or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm, actor_may
from ketacare.core.reasons import FLOOR, is_few_words
from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments.models_substances import DiscrepancyReview, ReviewOutcome, SubstanceEntry
from ketacare.treatments.substance_actions import _audit, _lot, _text, _user_id
from ketacare.treatments.substance_ledger import current_problems


def do_review_discrepancy(
    actor: Actor, clinic: Clinic, data: Mapping[str, Any]
) -> DiscrepancyReview:
    """The director's (or admin's) sign-off on one discrepancy: the entry, the exact problem
    text the ledger gives for it now, the outcome, a note and an optional report number.
    The entry row is locked (then its lot, as a correction does), so two reviewers at once
    write one review and the problem is checked against the log as it stands."""
    if not actor_may(actor, clinic.pk, Perm.SUBSTANCE_REVIEW):
        raise ActionError(
            "permission", "Only the clinic's director or admin reviews a discrepancy."
        )
    try:
        key = int(str(data.get("entry")))
    except ValueError:
        key = 0
    if not 0 < key < 2**63:  # beyond the id column: no such entry (not a database error)
        raise ActionError("entry", "No such entry in this clinic's log.")
    problem = _text(data, "problem")
    if not problem:
        raise ActionError("problem", "Choose the discrepancy to review.")
    outcome = _text(data, "outcome")
    if outcome not in ReviewOutcome.values:
        raise ActionError("outcome", "Choose the outcome of the review.")
    note = _text(data, "note")
    if not is_few_words(note):
        raise ActionError("note", f"Say what was found: {FLOOR}.")
    if len(note) > 2000:
        raise ActionError("note", "Keep the note to at most 2000 characters.")
    reference = _text(data, "reference")
    if len(reference) > 120:
        raise ActionError("reference", "Keep the reference to at most 120 characters.")
    user_id = _user_id(actor)
    with transaction.atomic():
        entry = (
            SubstanceEntry.objects.select_for_update()
            .filter(clinic=clinic, pk=key)
            .select_related("lot__clinic")
            .first()
        )
        if entry is None:
            raise ActionError("entry", "No such entry in this clinic's log.")
        _lot(clinic, entry.lot_id)  # the balance is read with no entry being written
        earlier = (
            DiscrepancyReview.objects.filter(entry=entry, problem=problem)
            .select_related("reviewed_by")
            .first()
        )
        if earlier is not None:
            when = earlier.reviewed_at.astimezone(clinic_zone(clinic))
            raise ActionError(
                "problem",
                f"Already reviewed by {earlier.reviewed_by.display_name} at {when:%Y-%m-%d %H:%M}.",
            )
        if problem not in current_problems(entry):
            raise ActionError(
                "problem",
                "The log no longer gives this problem for this entry (it was corrected, or "
                "the balance has moved since the page was loaded): reload the page and "
                "review what it shows now.",
            )
        review = DiscrepancyReview.objects.create(
            clinic=clinic,
            entry=entry,
            problem=problem,
            outcome=outcome,
            note=note,
            reference=reference,
            reviewed_by_id=user_id,
            reviewed_at=timezone.now(),
        )
        _audit(
            actor,
            clinic,
            "discrepancy_reviewed",
            review,
            entry=entry.pk,
            lot=entry.lot.lot_number,
            problem=problem,
            outcome=outcome,
            note=note,
            reference=reference,
        )
    return review
