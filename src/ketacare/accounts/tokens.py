"""Bearer-token authentication for the JSON API and the FHIR API."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.audit import Actor, Outcome, client_ip, record
from ketacare.accounts.models import ApiToken, Membership, hash_token

LAST_USED_RESOLUTION = timedelta(minutes=1)  # avoid a write on every request


def authenticate_bearer(request: HttpRequest) -> ApiToken | None:
    """Resolve `Authorization: Bearer …` and attach user, clinic and membership to the request.

    Returns None (after auditing the failure) for a missing, unknown, revoked or orphaned token.
    """
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    if scheme.lower() != "bearer" or not raw:
        return None
    token = (
        ApiToken.objects.select_related("user", "clinic")
        .filter(token_hash=hash_token(raw), revoked_at=None)
        .first()
    )
    membership = None
    if token is not None and token.user.is_active:
        membership = (
            Membership.objects.select_related("clinic", "user")
            .filter(user=token.user, clinic=token.clinic, is_active=True)
            .first()
        )
    if token is None or membership is None:
        record(
            Actor(ip=client_ip(request), label=raw[:11]),
            "api.auth.failed",
            outcome=Outcome.DENIED,
            detail={"path": request.path},
        )
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    request.user = token.user
    request.clinic = token.clinic  # type: ignore[attr-defined]
    request.membership = membership  # type: ignore[attr-defined]
    request.api_token = token  # type: ignore[attr-defined]
    return token
