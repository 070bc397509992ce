"""The second member of staff on the controlled-substance log: a witness to waste and to a
loss, confirmed by their own password (issue 6 item 3).

The witness field is a password field, so it gets the sign-in page's protection: after
KETACARE_LOGIN_FAILURE_LIMIT wrong passwords given for one account within
KETACARE_LOGIN_LOCKOUT_MINUTES (or while the sign-in page has that account locked), the
account is refused as a witness without its password being checked, until the window passes.
Every refusal is audited (`witness_refused`, counted; `witness_locked_out`, not counted).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, AuditEntry, Outcome, record
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.measures.scheduling import clinic_zone


class WitnessRefused(ActionError):
    """A witness's email and password that did not confirm: audited (outside the rolled-back
    transaction), so repeated tries at a colleague's password leave a trace. `witness_id`:
    the account whose password was checked and was wrong (what the lockout counts)."""

    def __init__(self, field: str, message: str, witness_id: int | None = None) -> None:
        super().__init__(field, message)
        self.witness_id = witness_id


class WitnessLockedOut(ActionError):
    """A witness account refused without checking its password: too many wrong ones here, or
    the sign-in page has it locked. Audited apart (`witness_locked_out`), not counted."""

    def __init__(self, message: str, witness_id: int, until: datetime) -> None:
        super().__init__("witness_email", message)
        self.witness_id = witness_id
        self.until = until


WITNESS_REFUSED = "treatments.substances.witness_refused"


@contextmanager
def witness_attempts(
    actor: Actor, clinic_id: int, data: Mapping[str, Any], patient_id: object = ""
) -> Iterator[None]:
    typed = str(data.get("witness_email") or "").strip()
    detail: dict[str, Any] = {"witness_email": typed[:254]}
    try:
        yield
    except WitnessRefused as exc:
        if exc.witness_id is not None:
            detail["witness_id"] = exc.witness_id
        record(
            actor,
            WITNESS_REFUSED,
            object_type="clinic",
            object_id=clinic_id,
            patient_id=patient_id,
            clinic_id=clinic_id,
            outcome=Outcome.DENIED,
            detail=detail,
        )
        raise
    except WitnessLockedOut as exc:
        record(
            actor,
            "treatments.substances.witness_locked_out",
            object_type="clinic",
            object_id=clinic_id,
            patient_id=patient_id,
            clinic_id=clinic_id,
            outcome=Outcome.DENIED,
            detail=detail | {"witness_id": exc.witness_id, "until": exc.until.isoformat()},
        )
        raise


def _witness_limits() -> tuple[int, timedelta]:
    """The sign-in page's numbers (settings: KETACARE_LOGIN_FAILURE_LIMIT failures, locked for
    KETACARE_LOGIN_LOCKOUT_MINUTES): the witness field is a password field too."""
    limit = settings.AXES_FAILURE_LIMIT
    window = get_cool_off()
    return (
        limit if isinstance(limit, int) and limit > 0 else 5,
        window
        if isinstance(window, timedelta) and window > timedelta(0)
        else timedelta(minutes=15),
    )


def _witness_locked_until(user: User) -> datetime | None:
    """When this account may confirm as a witness again, if it may not now: `limit` wrong
    passwords given for it here within the window (the audit's denied tries; the count runs
    across clinics and nurses, as the guesses would), or a sign-in lockout of it."""
    limit, window = _witness_limits()
    now = timezone.now()
    recent = list(
        AuditEntry.objects.filter(
            action=WITNESS_REFUSED, at__gt=now - window, detail__witness_id=user.pk
        )
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    until = recent[limit - 1] + window if len(recent) >= limit else None
    if getattr(settings, "AXES_ENABLED", True):
        # The sign-in page locks an account and address pair; a witness is refused whichever
        # address it was locked from (the password is as exposed here).
        locked = (
            AccessAttempt.objects.filter(
                username__iexact=user.email,
                failures_since_start__gte=limit,
                attempt_time__gt=now - window,
            )
            .order_by("-attempt_time")
            .values_list("attempt_time", flat=True)
            .first()
        )
        if locked is not None:
            until = max(until or now, locked + window)
    return until


def check_witness(
    clinic: Clinic, actor: Actor, email: str, password: str, what: str = "waste"
) -> User:
    """Another active nurse or prescriber of this clinic, confirmed by their own password; an
    account with too many wrong passwords given for it is refused for a while without its
    password being checked, as at the sign-in page."""
    email = (email or "").strip().lower()
    if not email:
        raise ActionError(
            "witness_email", f"{what.capitalize()} needs a witness: enter their email."
        )
    if not password:
        raise ActionError("witness_password", "The witness enters their own password.")
    user = User.objects.filter(email__iexact=email).first()
    if user is not None and user.pk == actor.user_id:
        raise ActionError("witness_email", f"You cannot witness your own {what}.")
    membership = (
        Membership.objects.filter(user=user, clinic=clinic, is_active=True).first()
        if user is not None and user.is_active
        else None
    )
    refused = (
        "The witness's email or password is wrong, or they are not an active nurse or "
        "prescriber of this clinic."
    )
    if user is None or membership is None or not has_perm(membership, Perm.SUBSTANCE_RECORD):
        raise WitnessRefused("witness_password", refused)
    until = _witness_locked_until(user)
    if until is not None:
        raise WitnessLockedOut(
            "Witness: too many failed witness confirmations for this person; try again after "
            f"{until.astimezone(clinic_zone(clinic)):%H:%M} or choose another witness.",
            user.pk,
            until,
        )
    if not user.check_password(password):
        raise WitnessRefused("witness_password", refused, witness_id=user.pk)
    return user
