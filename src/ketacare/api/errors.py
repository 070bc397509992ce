"""Turn form and action problems into the API's error shape: 422 naming the field."""

from __future__ import annotations

from typing import Any

from django import forms
from ninja.errors import HttpError


class FieldError(HttpError):
    def __init__(self, field: str, message: str, status: int = 422):
        super().__init__(status, f"{field}: {message}")
        self.field = field


def raise_form_errors(form: forms.BaseForm) -> None:
    if form.is_valid():
        return
    field, errors = next(iter(form.errors.items()))
    raise FieldError(field if field != "__all__" else "body", str(errors[0]))


def form_data(payload: Any, *, exclude_unset: bool = False) -> dict[str, Any]:
    return {
        k: ("" if v is None else v) for k, v in payload.dict(exclude_unset=exclude_unset).items()
    }
