"""Signing a finished session: the nurse and the prescriber each sign once the patient is
discharged or the session stopped; with both signatures it is locked. From then on every
action refuses (see `locking`), and only addenda — text, author, time — can be added.

A signature covers the record as it stood when it was given. If the record changed after the
first signature (a reading corrected, a side effect added, a log entry, a monitor's late
reading, an alert acknowledged), the second signature voids the first, which must be given
again before the session locks: no one's signature ends up on content they never saw.
Audit: `treatments.session.signed`, `.signature_voided`, `.locked`, `.addendum_added`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Membership, Role
from ketacare.accounts.permissions import Perm, actor_may
from ketacare.treatments.models import CLOSED_SESSION_STATUSES, TreatmentSession
from ketacare.treatments.models_chair import SessionAddendum, SessionSignature, SignerRole
from ketacare.treatments.record_changes import changes_since
from ketacare.treatments.substance_ledger import session_log_problems

ROLE_SIGNS_AS = {Role.NURSE: SignerRole.NURSE, Role.PRESCRIBER: SignerRole.PRESCRIBER}
MAX_ADDENDUM = 4000


def _audit(actor: Actor, session: TreatmentSession, verb: str, **detail: object) -> None:
    record(
        actor,
        f"treatments.session.{verb}",
        object_type="session",
        object_id=session.pk,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail=detail,
    )


def do_sign(
    actor: Actor,
    session: TreatmentSession,
    member_role: str,
    voided: list[str] | None = None,
) -> SessionSignature:
    """Sign as the nurse or the prescriber (from the signer's role in the clinic). An earlier
    signature that the record has changed since is voided (named in `voided`, when given)."""
    signs_as = ROLE_SIGNS_AS.get(Role(member_role)) if member_role in Role.values else None
    if signs_as is None:
        raise ActionError("sign", "Only the nurse and the prescriber sign a session.")
    if actor.user_id is None:
        raise ActionError("sign", "A signed-in person signs.")
    now = timezone.now()
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        if session.locked_at is not None:
            raise ActionError("sign", "The session is already signed by both and locked.")
        if session.status not in CLOSED_SESSION_STATUSES:
            raise ActionError("sign", "Sign after the patient is discharged or the session ended.")
        signatures = list(SessionSignature.objects.filter(session=session))
        if any(s.role == signs_as for s in signatures):
            raise ActionError("sign", f"The {signs_as.label.lower()} has already signed.")
        if any(s.by_id == actor.user_id for s in signatures):
            raise ActionError("sign", "The second signature must be another person's.")
        # The role signed as is the signer's own in this session's clinic, read here: the
        # caller's word would let a nurse sign as the prescriber, or another clinic's staff sign.
        holds_role = Membership.objects.filter(
            user_id=actor.user_id,
            clinic_id=session.clinic_id,
            role=member_role,
            is_active=True,
            user__is_active=True,
        ).exists()
        if not holds_role:
            what = signs_as.label.lower()
            raise ActionError("sign", f"Only a {what} of this clinic signs as the {what}.")
        # Once locked, no log entry can be added or corrected: the log must match first.
        problems = session_log_problems(session)
        if problems:
            raise ActionError("sign", " ".join(problems))
        for earlier in list(signatures):
            changed = changes_since(session, earlier.at)
            if not changed:
                continue
            _audit(
                actor,
                session,
                "signature_voided",
                role=str(earlier.role),
                signed_by=earlier.by_id,
                signed_at=earlier.at.isoformat(),
                changed_since=changed,
            )
            earlier.delete()
            signatures.remove(earlier)
            if voided is not None:
                voided.append(
                    f"The {SignerRole(earlier.role).label.lower()}'s signature was voided: "
                    f"since it was given, the record gained {', '.join(changed)}. "
                    f"The {SignerRole(earlier.role).label.lower()} signs again to lock it."
                )
        signature = SessionSignature.objects.create(
            session=session, role=signs_as, by_id=actor.user_id, at=now
        )
        _audit(actor, session, "signed", role=str(signs_as))
        if len(signatures) + 1 == len(SignerRole.values):
            session.locked_at = now
            session.save(update_fields=["locked_at"])
            _audit(actor, session, "locked")
    return signature


def do_add_addendum(actor: Actor, session: TreatmentSession, text: str) -> SessionAddendum:
    text = (text or "").strip()
    if not text:
        raise ActionError("text", "Write the addendum.")
    if len(text) > MAX_ADDENDUM:
        raise ActionError("text", f"At most {MAX_ADDENDUM} characters.")
    if actor.user_id is None:
        raise ActionError("text", "A signed-in person writes addenda.")
    with transaction.atomic():
        session = TreatmentSession.objects.select_for_update().get(pk=session.pk)
        if session.status not in CLOSED_SESSION_STATUSES:
            raise ActionError("text", "Addenda are for finished sessions; record it at the chair.")
        if not actor_may(actor, session.clinic_id, Perm.SESSION_SIGN):
            raise ActionError("text", "Only the clinic's nurses and prescribers write addenda.")
        addendum = SessionAddendum.objects.create(
            session=session, text=text, by_id=actor.user_id, at=timezone.now()
        )
        _audit(actor, session, "addendum_added", addendum=addendum.pk)
    return addendum
