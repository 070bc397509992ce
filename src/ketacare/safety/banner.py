"""The open-flag banner on every staff page of a clinic, until each flag is acknowledged.

Rendered by base.html through the `risk_banner` context processor, and refreshed without a
reload by `safety.js`, which polls `safety:banner` every KETACARE_FLAG_POLL_SECONDS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.notify.models import NotificationLog, NotificationStatus
from ketacare.safety.escalation_models import StaffNotification
from ketacare.safety.models import FlagStatus, RiskFlag

SHOWN = 5
# A message about a flag still queued or "sending" this long after it was written has not
# reached anyone: the worker is likely not running (its watch pass runs every
# KETACARE_WATCH_SECONDS and a send takes seconds). Shown as "not yet delivered".
UNDELIVERED_AFTER = timedelta(minutes=5)

LEVEL_ORDER = Case(
    When(level="high", then=Value(0)),
    When(level="moderate", then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def poll_seconds() -> int:
    return max(2, int(getattr(settings, "KETACARE_FLAG_POLL_SECONDS", 15)))


def open_flags(clinic: Clinic) -> Any:
    """Open flags of the clinic, highest level first, then oldest first."""
    return (
        RiskFlag.objects.filter(patient__clinic=clinic, status=FlagStatus.OPEN)
        .select_related("patient")
        .annotate(level_rank=LEVEL_ORDER)
        .order_by("level_rank", "raised_at")
    )


def acknowledged_flags(clinic: Clinic) -> Any:
    """Acknowledged, not yet resolved flags of the clinic, highest level first, then oldest."""
    return (
        RiskFlag.objects.filter(patient__clinic=clinic, status=FlagStatus.ACKNOWLEDGED)
        .select_related("patient")
        .annotate(level_rank=LEVEL_ORDER)
        .order_by("level_rank", "raised_at")
    )


@dataclass
class Banner:
    count: int
    flags: list[RiskFlag]
    failed: set[int]
    unread: int
    # Flags with a message queued or sending for longer than UNDELIVERED_AFTER.
    undelivered: set[int] = field(default_factory=set)

    @property
    def more(self) -> int:
        return self.count - len(self.flags)


def banner_for(clinic: Clinic, user: Any) -> Banner:
    flags = list(open_flags(clinic)[:SHOWN])
    count = len(flags) if len(flags) < SHOWN else open_flags(clinic).count()
    references = [f"riskflag:{f.pk}" for f in flags]
    stale = timezone.now() - UNDELIVERED_AFTER
    failed: set[int] = set()
    undelivered: set[int] = set()
    for reference, status in NotificationLog.objects.filter(
        Q(status=NotificationStatus.FAILED)
        | Q(
            status__in=[NotificationStatus.QUEUED, NotificationStatus.SENDING],
            created_at__lt=stale,
        ),
        reference__in=references,
    ).values_list("reference", "status"):
        flag_id = int(reference.split(":")[1])
        (failed if status == NotificationStatus.FAILED else undelivered).add(flag_id)
    unread = StaffNotification.objects.filter(
        user=user, clinic=clinic, read_at__isnull=True
    ).count()
    return Banner(
        count=count, flags=flags, failed=failed, unread=unread, undelivered=undelivered - failed
    )


class _LazyBanner:
    """Evaluated only when a template uses it (pages without base.html pay nothing)."""

    def __init__(self, clinic: Clinic, user: Any) -> None:
        self._clinic, self._user, self._value = clinic, user, None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._value is None:
            self._value = banner_for(self._clinic, self._user)  # type: ignore[assignment]
        return getattr(self._value, name)


def risk_banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor (settings TEMPLATES): the clinic's open flags for base.html."""
    clinic = getattr(request, "clinic", None)
    user = getattr(request, "user", None)
    if clinic is None or user is None or not user.is_authenticated:
        return {}
    return {"risk_banner": _LazyBanner(clinic, user), "risk_poll_seconds": poll_seconds()}
