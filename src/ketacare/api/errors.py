"""Turn form and action problems into the API's error shape: 422 naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from ninja.errors import HttpError


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
