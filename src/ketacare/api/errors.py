"""Turn form and action problems into the API's error shape: 422 naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import HttpRequest
from ninja.errors import HttpError

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request
from ketacare.core import submission
from ketacare.core.form_errors import without_prefix


class FieldError(HttpError):
    """`field: message` first; `more` are the other problems of the same request, so a client
    sees every one at once (as the pages show them), not one per attempt."""

    def __init__(
        self,
        field: str,
        message: str,
        status: int = 422,
        *,
        more: Sequence[tuple[str, str]] = (),
    ):
        super().__init__(status, f"{field}: {message}")
        self.field = field
        self.problems = [(field, message), *more]


def raise_form_errors(form: forms.BaseForm) -> None:
    if form.is_valid():
        return
    problems = [
        (field if field != "__all__" else "body", str(message))
        for field, errors in form.errors.items()
        for message in errors
    ]
    (field, message), *more = problems
    raise FieldError(field, message, more=more)


def form_data(payload: Any, *, exclude_unset: bool = False) -> dict[str, Any]:
    return {
        k: ("" if v is None else v) for k, v in payload.dict(exclude_unset=exclude_unset).items()
    }


def idempotency(request: HttpRequest, where: str) -> tuple[str, str]:
    """(the `Idempotency-Key` header, "" when absent; the id of what that key created before
    for `where`, "" when new). A malformed key, or one used for another create, is a 422
    naming the header."""
    try:
        key = submission.header_key(request)
        user_id = actor_from_request(request).user_id
        return key, submission.saved_before(user_id, key, where, field=submission.HEADER)
    except ActionError as problem:
        raise FieldError(problem.field, without_prefix(problem.message, problem.field)) from None
