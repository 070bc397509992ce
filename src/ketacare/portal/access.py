"""The portal's gatekeeper: `portal_patient_required`.

It puts the signed-in patient on the request (`request.patient`, `request.portal_account`)
and every portal query starts from `request.patient`, so no portal URL carries a patient id.
Staff users (anyone with an active clinic membership) are refused, audited: they use the
staff pages, never the portal as a patient.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from ketacare.accounts.audit import Actor, Outcome, audit
from ketacare.accounts.models import Clinic, User
from ketacare.patients.models import Patient
from ketacare.portal.models import PortalAccount
from ketacare.portal.signin import patient_actor

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


class PortalRequest(HttpRequest):
    """A request after `portal_patient_required` ran."""

    user: User
    patient: Patient
    portal_account: PortalAccount
    portal_clinic: Clinic
    portal_actor: Actor


def portal_account_for(user: Any) -> PortalAccount | None:
    if user is None or not user.is_authenticated:
        return None
    return (
        PortalAccount.objects.select_related("patient", "patient__clinic", "user")
        .filter(user_id=user.pk, is_active=True)
        .first()
    )


def client_ip(request: HttpRequest) -> str:
    from ketacare.accounts.audit import client_ip as ip

    return ip(request)


def portal_patient_required(view: ViewFunc) -> ViewFunc:
    """Decorate a portal page: a signed-in, active portal patient who is not staff."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        user = request.user
        if not user.is_authenticated:
            target = reverse("portal:sign_in")
            return HttpResponseRedirect(f"{target}?next={quote(request.path)}")
        if user.memberships.filter(is_active=True).exists():
            audit(
                request,
                "portal.staff_refused",
                outcome=Outcome.DENIED,
                detail={"path": request.path},
            )
            raise PermissionDenied("Staff accounts cannot use the patient portal.")
        account = portal_account_for(user)
        if account is None:
            audit(
                request,
                "portal.access.refused",
                outcome=Outcome.DENIED,
                detail={"path": request.path},
            )
            raise PermissionDenied("This sign-in has no patient portal account.")
        request.portal_account = account  # type: ignore[attr-defined]
        request.patient = account.patient  # type: ignore[attr-defined]
        request.portal_clinic = account.patient.clinic  # type: ignore[attr-defined]
        request.portal_actor = patient_actor(account, client_ip(request))  # type: ignore[attr-defined]
        return view(request, *args, **kwargs)

    return wrapped  # type: ignore[return-value]


def portal_audit(request: PortalRequest, action: str, **kwargs: Any) -> None:
    """Audit a patient's own action in the portal (role "patient", their clinic)."""
    from ketacare.accounts.audit import record

    kwargs.setdefault("patient_id", request.patient.pk)
    kwargs.setdefault("clinic_id", request.patient.clinic_id)
    record(request.portal_actor, action, **kwargs)
