"""Resolving a risk flag that has no crisis record (moderate and low flags).

A high flag opens a crisis record and resolves when that record is closed
(`crisis_actions.do_close_crisis`); it is refused here, as is any flag with a crisis record.
Any other flag is resolved by a clinician who may acknowledge flags, once it has been
acknowledged, with a resolution note, and — when its risk answer asked for a C-SSRS screen —
only once a screen has been recorded since.

Resolving changes only the flag. The C-SSRS-before-the-next-dose rule
(`treatments.checks._cssrs_check`) reads every flag with `requires_cssrs` whatever its status,
so a resolved flag holds dosing exactly as an acknowledged one did.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.permissions import Perm, actor_may
from ketacare.core import reasons
from ketacare.core.reasons import is_few_words
from ketacare.measures.screens import screen_after
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.escalation_models import EscalationState, FlagEscalation, StaffNotification
from ketacare.safety.models import FlagStatus, RiskFlag, RiskLevel

# Required, at most this long, and a few words at least (core.reasons), as every reason that
# closes a safety step (a dosing-block clearance, a hold decision, a discharge override): "ok"
# says nothing.
NOTE_MAX_CHARS = 2000
NOTE_REQUIRED = (
    "resolution_note: write why this flag can be resolved (what was done, what was agreed), "
    f"in a few words ({reasons.FLOOR})."
)
NOTE_TOO_LONG = f"resolution_note: keep the note to at most {NOTE_MAX_CHARS} characters."
# Who may resolve: the clinicians who may acknowledge a flag.
RESOLVE_PERM = Perm.SAFETY_FLAG_ACKNOWLEDGE


def screened_since(flag: RiskFlag) -> datetime | None:
    """When the C-SSRS screen that answers this flag was given, None when there is none: the
    dosing gate's reading (`measures.screens.screen_after`: complete, not entered in error,
    given at or after the risk answer's minute and recorded after it)."""
    screen = screen_after(flag.patient_id, flag.assessment, flag.raised_at)
    return screen.administered_at if screen is not None else None


def resolve_refusal(flag: RiskFlag) -> str:
    """Why this flag cannot be resolved with the Resolve action now ("" when it can). The
    person's role and the note are checked by `do_resolve_flag`."""
    if flag.status == FlagStatus.RESOLVED:
        if flag.resolved_at is None:  # resolved by closing its crisis record
            return "This flag is already resolved."
        who = flag.resolved_by.display_name if flag.resolved_by else "a clinician"
        when = timezone.localtime(flag.resolved_at).strftime("%Y-%m-%d %H:%M")
        return f"This flag was already resolved by {who} at {when}; nothing was changed."
    if CrisisRecord.objects.filter(flag_id=flag.pk).exists():
        return (
            "This flag has a crisis record: it is resolved by closing the crisis record, "
            "not here. Close the crisis instead."
        )
    # Every high flag belongs to a crisis record, even one not linked as the record's own
    # flag (e.g. written before the crisis workflow, or counted into a record opened for an
    # earlier flag): it is never resolved here.
    if flag.level == RiskLevel.HIGH:
        return (
            "A high-risk flag is resolved by closing the patient's crisis record, not here. "
            "Close the crisis instead."
        )
    if flag.status != FlagStatus.ACKNOWLEDGED:
        return "Acknowledge the flag with the action taken first; then it can be resolved."
    if flag.requires_cssrs and screened_since(flag) is None:
        return (
            "This flag asked for a C-SSRS screen, and none has been recorded since it was "
            "raised: complete the C-SSRS screen first, then resolve the flag."
        )
    return ""


def do_resolve_flag(
    actor: Actor, flag: RiskFlag, note: str, now: datetime | None = None
) -> RiskFlag:
    """Resolve an acknowledged flag without a crisis record; audited `safety.flag.resolved`.

    The flag row is locked, so of two clinicians resolving at once one resolves it and the
    other is told it already was."""
    now = now or timezone.now()
    note = (note or "").strip()
    with transaction.atomic():
        # NO KEY UPDATE: as in the crisis close-out, it still excludes a second resolution or
        # an acknowledgment, but lets the escalation watcher write events pointing at the flag
        # meanwhile (their foreign key check) instead of deadlocking. No join: on PostgreSQL,
        # a locked row re-read after waiting comes back with the joined rows as they were
        # before the wait (the winner's `resolved_by` read as nobody); they are read after.
        flag = RiskFlag.objects.select_for_update(no_key=True).get(pk=flag.pk)
        clinic_id = flag.patient.clinic_id
        if not actor_may(actor, clinic_id, RESOLVE_PERM):
            raise ActionError(
                "flag", "Your role cannot resolve risk flags: a clinician of the clinic can."
            )
        refusal = resolve_refusal(flag)
        if refusal:
            raise ActionError("flag", refusal)
        if len(note) > NOTE_MAX_CHARS:
            raise ActionError("resolution_note", NOTE_TOO_LONG)
        if not is_few_words(note):
            raise ActionError("resolution_note", NOTE_REQUIRED)
        flag.status = FlagStatus.RESOLVED
        flag.resolved_by_id = actor.user_id
        flag.resolved_at = now
        flag.resolution_note = note
        flag.save(update_fields=["status", "resolved_by", "resolved_at", "resolution_note"])
        # Acknowledging stopped the escalation; one started after that by a watch pass that
        # read the flag while it was still open is stopped here (the watcher would stop it at
        # its next step anyway, as it does for any flag no longer open).
        stopped = FlagEscalation.objects.filter(flag=flag, state=EscalationState.ACTIVE).update(
            state=EscalationState.ACKNOWLEDGED, updated_at=now
        )
        StaffNotification.objects.filter(flag=flag, read_at__isnull=True).update(read_at=now)
        record(
            actor,
            "safety.flag.resolved",
            object_type="risk_flag",
            object_id=flag.pk,
            patient_id=flag.patient_id,
            clinic_id=clinic_id,
            detail={
                "via": "resolve",
                "level": flag.level,
                "requires_cssrs": flag.requires_cssrs,
                "escalation_stopped": bool(stopped),
            },
        )
    return flag
