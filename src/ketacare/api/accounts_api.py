"""Who am I, API tokens, and the clinic's audit log over JSON."""

from __future__ import annotations

from django.http import Http404
from ninja import Query, Router, Schema, Status
from pydantic import Field

from ketacare.accounts import actions
from ketacare.accounts.access import require
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.audit_views import filtered_entries
from ketacare.accounts.models import ApiToken
from ketacare.accounts.permissions import Perm, has_perm, perms_for
from ketacare.accounts.request import ClinicRequest
from ketacare.api.errors import FieldError
from ketacare.api.schemas import (
    AuditOut,
    AuditPageOut,
    ErrorOut,
    MeOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)

router = Router(tags=["accounts"])


@router.get("/me", response=MeOut)
def me(request: ClinicRequest) -> MeOut:
    membership = request.membership
    return MeOut(
        email=request.user.email,
        full_name=request.user.full_name,
        clinic=membership.clinic.name,
        clinic_id=membership.clinic_id,
        role=membership.role,
        permissions=sorted(str(p) for p in perms_for(membership.role)),
    )


def _token_out(token: ApiToken) -> TokenOut:
    return TokenOut(
        prefix=token.prefix,
        name=token.name,
        user=token.user.email,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )


@router.get("/tokens", response=list[TokenOut], tags=["tokens"])
def list_tokens(request: ClinicRequest) -> list[TokenOut]:
    tokens = ApiToken.objects.filter(clinic=request.clinic).select_related("user")
    if not has_perm(request.membership, Perm.TOKENS_MANAGE_ALL):
        tokens = tokens.filter(user=request.user)
    return [_token_out(t) for t in tokens]


@router.post("/tokens", response={201: TokenCreatedOut, 422: ErrorOut}, tags=["tokens"])
def create_token(request: ClinicRequest, payload: TokenIn) -> Status[TokenCreatedOut]:
    try:
        token, raw = actions.do_create_token(
            actor_from_request(request), request.membership, payload.name
        )
    except actions.ActionError as problem:
        raise FieldError(problem.field, problem.message) from problem
    return Status(201, TokenCreatedOut(token=raw, **_token_out(token).dict()))


@router.delete("/tokens/{prefix}", response={204: None, 404: ErrorOut}, tags=["tokens"])
def revoke_token(request: ClinicRequest, prefix: str) -> Status[None]:
    tokens = ApiToken.objects.filter(clinic=request.clinic, prefix=prefix)
    if not has_perm(request.membership, Perm.TOKENS_MANAGE_ALL):
        tokens = tokens.filter(user=request.user)
    token = tokens.select_related("user").first()
    if token is None:
        raise Http404
    actions.do_revoke_token(actor_from_request(request), token)
    return Status(204, None)


class AuditQuery(Schema):
    action: str = Field("", max_length=100)
    outcome: str = Field("", pattern="^(|success|denied|failure)$")
    page: int = Field(1, ge=1)


@router.get("/audit", response={200: AuditPageOut, 403: ErrorOut}, tags=["audit"])
def audit_log(request: ClinicRequest, filters: Query[AuditQuery]) -> AuditPageOut:
    require(request, Perm.AUDIT_VIEW)
    entries = filtered_entries(
        request.clinic, {"action": filters.action, "outcome": filters.outcome}
    )
    size = 100
    rows = list(entries[(filters.page - 1) * size : filters.page * size])
    audit(request, "audit.log.viewed", detail={"via": "api", "page": filters.page})
    return AuditPageOut(
        count=entries.count(),
        page=filters.page,
        results=[
            AuditOut(
                seq=e.seq,
                at=e.at,
                actor=e.actor_label,
                role=e.actor_role,
                action=e.action,
                object_type=e.object_type,
                object_id=e.object_id,
                patient_id=e.patient_id,
                client_ip=e.client_ip,
                outcome=e.outcome,
                detail=e.detail,
            )
            for e in rows
        ],
    )
