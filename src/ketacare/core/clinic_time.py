"""The clinic's wall clock on patient pages: `in_clinic_time_zone` and `zone_named`.

Staff pages get their clinic's zone from `accounts.middleware.ActiveClinicMiddleware`. Pages a
patient sees have no staff clinic: the portal (`portal.middleware.PortalBoundaryMiddleware`)
and the token links opened from a message (/r/ questionnaires, /sp/ safety plan, /a/
appointment) make the patient's clinic's zone the current one with `in_clinic_time_zone`, so
`|date`, `timezone.localtime()` and `timezone.localdate()` ("today") follow that clinic.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.utils import timezone

if TYPE_CHECKING:
    from datetime import tzinfo

    from ketacare.accounts.models import Clinic


def zone_named(name: str | None) -> tzinfo:
    """The zone of that name; the server's (settings.TIME_ZONE) for a missing or unknown one."""
    if name:
        try:
            return ZoneInfo(name)
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            pass
    # The server's zone, not the current one: inside a staff request the current zone is the
    # staff member's clinic, which is not the patient's.
    return timezone.get_default_timezone()


@contextmanager
def in_time_zone_named(name: str | None) -> Iterator[None]:
    """Make the named zone current inside the block; the previous one is restored after."""
    with timezone.override(zone_named(name)):
        yield


@contextmanager
def in_clinic_time_zone(clinic: Clinic | None) -> Iterator[None]:
    """Make the clinic's zone current inside the block (the server's for no clinic or an
    unknown zone name); the previous one is restored after."""
    with in_time_zone_named(clinic.time_zone if clinic is not None else None):
        yield
