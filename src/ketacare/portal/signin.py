"""Portal accounts: staff invite a patient, the patient sets a password or asks for a link.

Each `do_*` function is one action: it owns its transaction and its audit entry. Raw tokens
travel only in the email; the database keeps their SHA-256.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import User
from ketacare.core import submission
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel
from ketacare.patients.models import Patient
from ketacare.portal.models import PortalAccount, PortalToken, TokenPurpose

TOKEN_BYTES = 32
INVITE_VALID = timedelta(days=7)
SIGN_IN_VALID = timedelta(minutes=20)
PATIENT_ROLE = "patient"
# What the invite button's one-time key is for (core/submission.py `scope`), with the patient.
ONCE_INVITE = "portal.invite"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def patient_actor(account: PortalAccount, ip: str = "") -> Actor:
    """Patients act under their own user id with the role "patient" (never a staff role)."""
    return Actor(
        user_id=account.user_id,
        label=account.user.email,
        role=PATIENT_ROLE,
        clinic_id=account.patient.clinic_id,
        ip=ip[:64],
    )


def _enqueue(log_id: int) -> None:
    from ketacare.measures.tasks import send_notification

    send_notification.enqueue(log_id)


def _issue(account: PortalAccount, purpose: str, valid: timedelta) -> str:
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    PortalToken.objects.create(
        account=account,
        purpose=purpose,
        token_hash=hash_token(raw),
        created_at=now,
        expires_at=now + valid,
    )
    return raw


def _email(account: PortalAccount, subject: str, body: str, purpose: str) -> None:
    log = queue_notification(
        channel=Channel.EMAIL,
        to=account.user.email,
        subject=subject,
        body=body,
        purpose=purpose,
        reference=f"portalaccount:{account.pk}",
        patient=account.patient,
        clinic=account.patient.clinic,
    )
    log_id = log.pk
    transaction.on_commit(lambda: _enqueue(log_id))


@dataclass(frozen=True)
class Invitation:
    account: PortalAccount
    token: str
    url: str


def do_invite(
    actor: Actor, patient: Patient, invited_by: User | None = None, *, once: str = ""
) -> Invitation:
    """Create (or re-invite) the patient's portal account and email a set-password link.
    `once` is the page's one-time submission key (core/submission.py), stored with the
    account: the button pressed twice emails one invitation."""
    email = (patient.email or "").strip().lower()
    if not email:
        raise ActionError("email", "There is no email address on this chart: add one first.")
    with transaction.atomic():
        account = (
            PortalAccount.objects.select_related("user", "patient__clinic")
            .filter(patient=patient)
            .first()
        )
        if account is None:
            user = User.objects.filter(email=email).first()
            if user is not None:
                raise ActionError(
                    "email",
                    "This email address already signs in to KetaCare (staff or another "
                    "patient): the patient needs an address of their own.",
                )
            name = (
                f"{patient.preferred_name or patient.legal_given_name} {patient.legal_family_name}"
            )
            user = User.objects.create_user(email, None, full_name=name)
            account = PortalAccount.objects.create(
                user=user, patient=patient, invited_by=invited_by, invited_at=timezone.now()
            )
        elif not account.is_active:
            account.is_active = True
            account.save(update_fields=["is_active"])
        submission.remember(actor, once, submission.scope(ONCE_INVITE, patient.pk), account.pk)
        raw = _issue(account, TokenPurpose.INVITE, INVITE_VALID)
        url = settings.KETACARE_BASE_URL + reverse("portal:welcome", args=[raw])
        _email(
            account,
            f"Your {patient.clinic.name} patient portal",
            (
                f"Hello {patient.preferred_name or patient.legal_given_name},\n\n"
                f"{patient.clinic.name} invites you to its patient portal, where you can see "
                "your appointments, answer questionnaires and message your care team.\n\n"
                f"Choose your password here (the link works once, for 7 days):\n{url}\n\n"
                "If you did not expect this email, you can ignore it.\n"
                "If you are in crisis, call or text 988, or call 911 in an emergency."
            ),
            "portal.invite",
        )
        record(
            actor,
            "portal.account.invited",
            object_type="portal_account",
            object_id=account.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
        )
    return Invitation(account, raw, url)


def do_deactivate(actor: Actor, account: PortalAccount) -> None:
    with transaction.atomic():
        PortalAccount.objects.filter(pk=account.pk).update(is_active=False)
        PortalToken.objects.filter(account=account, used_at=None).update(used_at=timezone.now())
        record(
            actor,
            "portal.account.deactivated",
            object_type="portal_account",
            object_id=account.pk,
            patient_id=account.patient_id,
            clinic_id=account.patient.clinic_id,
        )


def find_token(raw: str, purpose: str) -> PortalToken | None:
    """The usable token for this raw value, or None (callers never say why)."""
    if not raw or len(raw) > 100:
        return None
    token = (
        PortalToken.objects.select_related("account__user", "account__patient__clinic")
        .filter(token_hash=hash_token(raw), purpose=purpose)
        .first()
    )
    if token is None or not token.is_usable or not token.account.is_active:
        return None
    if not token.account.user.is_active:
        return None
    return token


def consume(token: PortalToken) -> bool:
    """Mark the token used; False when another request used it first."""
    return bool(
        PortalToken.objects.filter(pk=token.pk, used_at=None).update(used_at=timezone.now())
    )


def do_request_sign_in_link(email: str, ip: str) -> None:
    """Email a one-time sign-in link if the address belongs to an active portal account.

    The caller answers the same whatever happens, so the form reveals no accounts.
    """
    account = (
        PortalAccount.objects.select_related("user", "patient__clinic")
        .filter(user__email=email.strip().lower(), is_active=True, user__is_active=True)
        .first()
    )
    if account is None:
        record(
            Actor(label=email[:254], role=PATIENT_ROLE, ip=ip[:64]),
            "portal.sign_in_link.unknown",
            detail={"ip": ip[:64]},
        )
        return
    with transaction.atomic():
        raw = _issue(account, TokenPurpose.SIGN_IN, SIGN_IN_VALID)
        url = settings.KETACARE_BASE_URL + reverse("portal:link_sign_in", args=[raw])
        _email(
            account,
            f"Sign in to your {account.patient.clinic.name} portal",
            (
                f"Use this link to sign in (it works once, for 20 minutes):\n{url}\n\n"
                "If you did not ask for it, you can ignore this email."
            ),
            "portal.sign_in_link",
        )
        record(
            patient_actor(account, ip),
            "portal.sign_in_link.sent",
            object_type="portal_account",
            object_id=account.pk,
            patient_id=account.patient_id,
        )
