"""Bearer-token authentication for the JSON API and the FHIR API."""

from __future__ import annotations

from datetime import timedelta

from django.db import connections, router
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.audit import Actor, Outcome, client_ip, record
from ketacare.accounts.models import ApiToken, Clinic, Membership, User, hash_token
from ketacare.core import rows

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
    found = _token_membership(hash_token(raw))
    if found is None:
        record(
            Actor(ip=client_ip(request), label=raw[:11]),
            "api.auth.failed",
            outcome=Outcome.DENIED,
            detail={"path": request.path},
        )
        return None
    token, membership = found
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    request.user = token.user
    request.clinic = token.clinic  # type: ignore[attr-defined]
    request.membership = membership  # type: ignore[attr-defined]
    request.api_token = token  # type: ignore[attr-defined]
    return token


def _token_membership(token_hash: str) -> tuple[ApiToken, Membership] | None:
    """The unrevoked token with this hash and its user's active membership of the token's
    clinic (user and clinic attached to both), or None.

    One hand-written query: the ORM took ≈ 2 ms of Python to build the four-table join on
    every API call, the database ≈ 0.1 ms to answer it."""
    db = router.db_for_read(ApiToken)
    with connections[db].cursor() as cursor:
        cursor.execute(_TOKEN_SQL, [token_hash, True, True])
        row = cursor.fetchone()
    if row is None:
        return None
    widths = [rows.width(m) for m in (ApiToken, Membership, User)]
    t, m, u = widths[0], widths[0] + widths[1], sum(widths)
    token = rows.instance(ApiToken, db, row[:t])
    membership = rows.instance(Membership, db, row[t:m])
    user = rows.instance(User, db, row[m:u])
    clinic = rows.instance(Clinic, db, row[u:])
    token.user = membership.user = user
    token.clinic = membership.clinic = clinic
    return token, membership


_TOKEN_SQL = (
    f"SELECT {rows.columns(ApiToken, 't')}, {rows.columns(Membership, 'm')}, "  # noqa: S608  (model tables)
    f"{rows.columns(User, 'u')}, {rows.columns(Clinic, 'c')} "
    f"FROM {ApiToken._meta.db_table} t "
    f"JOIN {Membership._meta.db_table} m ON m.user_id = t.user_id AND m.clinic_id = t.clinic_id "
    f"JOIN {User._meta.db_table} u ON u.id = t.user_id "
    f"JOIN {Clinic._meta.db_table} c ON c.id = t.clinic_id "
    "WHERE t.token_hash = %s AND t.revoked_at IS NULL AND m.is_active = %s AND u.is_active = %s"
)
