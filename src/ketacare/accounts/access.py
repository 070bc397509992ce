"""Gatekeepers for staff pages: sign-in, an active clinic, and a permission from the matrix."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse

from ketacare.accounts.audit import Outcome, audit
from ketacare.accounts.permissions import Perm, has_perm

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])


def require(request: HttpRequest, perm: Perm) -> None:
    """Refuse (403, audited) unless the active membership grants `perm`."""
    if not has_perm(getattr(request, "membership", None), perm):
        audit(
            request,
            "accounts.permission.denied",
            outcome=Outcome.DENIED,
            detail={"permission": str(perm), "path": request.path},
        )
        raise PermissionDenied(f"Your role does not allow this ({perm}).")


def staff_view(perm: Perm | None = None) -> Callable[[ViewFunc], ViewFunc]:
    """Decorate a page: signed in, clinic chosen, and (optionally) holding `perm`."""

    def decorator(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                login_url = reverse("accounts:login")
                return HttpResponseRedirect(f"{login_url}?next={quote(request.path)}")
            if getattr(request, "clinic", None) is None:
                select_url = reverse("accounts:select_clinic")
                return HttpResponseRedirect(f"{select_url}?next={quote(request.path)}")
            if perm is not None:
                require(request, perm)
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]  # functools.wraps loses the signature

    return decorator
