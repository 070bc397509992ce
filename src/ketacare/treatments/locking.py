"""A session signed by both nurse and prescriber is locked: every write refuses, only addenda."""

from __future__ import annotations

from ketacare.accounts.actions import ActionError
from ketacare.treatments.models import TreatmentSession

LOCKED_MESSAGE = "This session is signed and locked: nothing can change; add an addendum instead."


def refuse_if_locked(session: TreatmentSession) -> None:
    if session.locked_at is not None:
        raise ActionError("session", LOCKED_MESSAGE)


def lock_row(session: TreatmentSession) -> TreatmentSession:
    """Lock the session row for this transaction and refuse if it is signed and locked."""
    locked = (
        # Only the session row (`of`): a plain FOR UPDATE on this join also locked the plan,
        # patient and clinic rows, serialising every chair action of the clinic and holding up
        # each insert that points at them (audit entries, the feed, the watchers' notices).
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("plan", "patient", "clinic")
        .get(pk=session.pk)
    )
    refuse_if_locked(locked)
    return locked
