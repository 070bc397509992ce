"""Changes to clinics, staff, memberships and API tokens; each audited in its transaction."""

from __future__ import annotations

import re
from zoneinfo import available_timezones

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import ApiToken, Clinic, Membership, Role, User, hash_token


class ActionError(ValueError):
    """A refused change; `field` names the input at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def get_or_create_clinic(actor: Actor, name: str) -> tuple[Clinic, bool]:
    name = name.strip()
    if not name:
        raise ActionError("clinic", "A clinic name is required.")
    existing = Clinic.objects.filter(name__iexact=name).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        base = slugify(name)[:50] or "clinic"
        slug, n = base, 1
        while Clinic.objects.filter(slug=slug).exists():
            n += 1
            slug = f"{base}-{n}"
        letters = re.sub(r"[^A-Z]", "", name.upper())[:3] or "KC"
        clinic = Clinic.objects.create(name=name, slug=slug, mrn_prefix=letters)
        record(
            actor,
            "accounts.clinic.created",
            object_type="clinic",
            object_id=clinic.pk,
            clinic_id=clinic.pk,
            detail={"name": name},
        )
    return clinic, True


def do_add_staff(
    actor: Actor,
    clinic: Clinic,
    *,
    email: str,
    full_name: str,
    role: str,
    password: str | None,
    credentials: str = "",
) -> Membership:
    """Add a person to a clinic with a role.

    A new user needs a password; someone who already works elsewhere keeps theirs.
    """
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ActionError("email", "Enter a valid email address.")
    if role not in Role.values:
        raise ActionError("role", f"Role must be one of: {', '.join(Role.values)}.")
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        created = user is None
        if user is None:
            if not full_name.strip():
                raise ActionError("full_name", "A full name is required for a new staff member.")
            if not password:
                raise ActionError("password", "A new staff member needs a password.")
            candidate = User(email=email, full_name=full_name.strip(), credentials=credentials)
            try:
                validate_password(password, user=candidate)
            except ValidationError as problem:
                raise ActionError("password", " ".join(problem.messages)) from problem
            user = User.objects.create_user(
                email, password, full_name=full_name.strip(), credentials=credentials.strip()
            )
        membership = Membership.objects.filter(user=user, clinic=clinic).first()
        if membership is not None and membership.is_active:
            raise ActionError("email", f"{email} already works at {clinic.name}.")
        if membership is None:
            membership = Membership.objects.create(user=user, clinic=clinic, role=role)
        else:
            membership.role, membership.is_active = role, True
            membership.save(update_fields=["role", "is_active"])
        record(
            actor,
            "accounts.staff.added",
            object_type="membership",
            object_id=membership.pk,
            clinic_id=clinic.pk,
            detail={"email": email, "role": role, "new_user": created},
        )
    return membership


def _active_admins(clinic: Clinic) -> int:
    return clinic.memberships.filter(role=Role.ADMIN, is_active=True, user__is_active=True).count()


def do_change_role(actor: Actor, membership: Membership, role: str) -> None:
    if role not in Role.values:
        raise ActionError("role", f"Role must be one of: {', '.join(Role.values)}.")
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.role == Role.ADMIN and role != Role.ADMIN and _active_admins(locked.clinic) <= 1:
            raise ActionError("role", "A clinic must keep at least one admin.")
        previous = locked.role
        locked.role = role
        locked.save(update_fields=["role"])
        record(
            actor,
            "accounts.staff.role_changed",
            object_type="membership",
            object_id=locked.pk,
            clinic_id=locked.clinic_id,
            detail={"email": locked.user.email, "from": previous, "to": role},
        )


def do_deactivate_membership(actor: Actor, membership: Membership) -> None:
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.role == Role.ADMIN and _active_admins(locked.clinic) <= 1:
            raise ActionError("role", "A clinic must keep at least one admin.")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        # A removed person's API tokens for this clinic stop working at once.
        ApiToken.objects.filter(user=locked.user, clinic=locked.clinic, revoked_at=None).update(
            revoked_at=timezone.now()
        )
        record(
            actor,
            "accounts.staff.removed",
            object_type="membership",
            object_id=locked.pk,
            clinic_id=locked.clinic_id,
            detail={"email": locked.user.email},
        )


def do_set_mfa_required(actor: Actor, clinic: Clinic, required: bool) -> None:
    with transaction.atomic():
        clinic.mfa_required = required
        clinic.save(update_fields=["mfa_required"])
        record(
            actor,
            "accounts.clinic.mfa_policy_changed",
            object_type="clinic",
            object_id=clinic.pk,
            clinic_id=clinic.pk,
            detail={"mfa_required": required},
        )


def do_set_time_zone(actor: Actor, clinic: Clinic, name: str) -> None:
    """The clinic's wall clock (an IANA zone name such as America/Chicago): its staff pages,
    schedules, "today" and escalation business hours all follow it."""
    name = (name or "").strip()
    if name not in available_timezones():
        raise ActionError("time_zone", "Choose the clinic's time zone from the list.")
    if name == clinic.time_zone:
        return
    with transaction.atomic():
        before = clinic.time_zone
        clinic.time_zone = name
        clinic.save(update_fields=["time_zone"])
        record(
            actor,
            "accounts.clinic.time_zone_changed",
            object_type="clinic",
            object_id=clinic.pk,
            clinic_id=clinic.pk,
            detail={"from": before, "to": name},
        )


def do_create_token(actor: Actor, membership: Membership, name: str) -> tuple[ApiToken, str]:
    """Create a token for the membership's user in its clinic. Returns (token, raw secret)."""
    name = name.strip() or "API token"
    if len(name) > 100:
        raise ActionError("name", "Keep the token name under 100 characters.")
    if not membership.is_active:
        raise ActionError("user", "That person no longer works at this clinic.")
    with transaction.atomic():
        prefix, raw = ApiToken.generate()
        token = ApiToken.objects.create(
            user=membership.user,
            clinic=membership.clinic,
            name=name,
            prefix=prefix,
            token_hash=hash_token(raw),
            created_by_id=actor.user_id,
        )
        record(
            actor,
            "accounts.token.created",
            object_type="api_token",
            object_id=token.prefix,
            clinic_id=membership.clinic_id,
            detail={"for": membership.user.email, "name": name},
        )
    return token, raw


def do_revoke_token(actor: Actor, token: ApiToken) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            token.revoked_at = timezone.now()
            token.save(update_fields=["revoked_at"])
        record(
            actor,
            "accounts.token.revoked",
            object_type="api_token",
            object_id=token.prefix,
            clinic_id=token.clinic_id,
            detail={"for": token.user.email},
        )
