"""Template context every staff page needs: the active clinic, role, and idle timeout."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketacare.accounts.permissions import perms_for


def clinic_context(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    return {
        "active_clinic": getattr(request, "clinic", None),
        "active_membership": membership,
        "user_memberships": getattr(request, "memberships", []),
        "perms_active": {str(p) for p in perms_for(membership.role)} if membership else set(),
        "idle_timeout_seconds": settings.IDLE_TIMEOUT_MINUTES * 60,
    }
