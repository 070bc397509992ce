"""The request type staff pages and token-authenticated APIs see once the gatekeepers ran."""

from __future__ import annotations

from django.http import HttpRequest

from ketacare.accounts.models import Clinic, Membership, User


class ClinicRequest(HttpRequest):
    """An HttpRequest after sign-in (or token) and clinic selection.

    `staff_view` and the API authenticators guarantee these attributes are set.
    """

    user: User  # narrowed from User | AnonymousUser
    clinic: Clinic
    membership: Membership
    memberships: list[Membership]
