"""One inbox for a staff member at a clinic: the risk-flag notifications sent to them
(`StaffNotification`) and the notices from the chairs (`StaffNotice`: an alert escalated to
them, a monitor's reading after the patient left), newest first.

Both kinds used to live on separate pages (`/safety/notifications/` and `/chairs/notices/`);
a prescriber reading one could miss the other. The chair board keeps its own list of chair
notices; this page shows everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse

from ketacare.accounts.models import Clinic
from ketacare.safety.escalation_models import StaffNotification

LIMIT = 100  # of each kind; the page says when there are more


@dataclass(frozen=True)
class InboxItem:
    kind: str  # "flag" (a risk-flag notification) or "chair" (a notice from the chairs)
    pk: int
    created_at: datetime
    read_at: datetime | None
    text: str
    link: str
    link_label: str

    @property
    def kind_label(self) -> str:
        return "Risk flag" if self.kind == "flag" else "Chair"


@dataclass(frozen=True)
class Inbox:
    items: list[InboxItem]
    unread: int
    truncated: bool


def _flag_items(clinic: Clinic, user: Any) -> tuple[list[InboxItem], bool]:
    rows = list(
        StaffNotification.objects.filter(user=user, clinic=clinic).order_by("-created_at", "-pk")[
            : LIMIT + 1
        ]
    )
    items = [
        InboxItem(
            kind="flag",
            pk=n.pk,
            created_at=n.created_at,
            read_at=n.read_at,
            text=n.text,
            link=reverse("safety:flag", args=[n.flag_id]) if n.flag_id else "",
            link_label="Open the flag" if n.flag_id else "",
        )
        for n in rows[:LIMIT]
    ]
    return items, len(rows) > LIMIT


def _chair_items(clinic: Clinic, user: Any) -> tuple[list[InboxItem], bool]:
    from ketacare.treatments.models import StaffNotice  # treatments imports safety

    rows = list(
        StaffNotice.objects.filter(user=user, clinic=clinic)
        .select_related("session")
        .order_by("-created_at", "-pk")[: LIMIT + 1]
    )
    items = []
    for n in rows[:LIMIT]:
        link = ""
        if n.session is not None:
            link = reverse("treatments:detail", args=[n.session.patient_id, n.session_id])
            link += "#alerts"
        items.append(
            InboxItem(
                kind="chair",
                pk=n.pk,
                created_at=n.created_at,
                read_at=n.read_at,
                text=n.message,
                link=link,
                link_label="Open the session" if link else "",
            )
        )
    return items, len(rows) > LIMIT


def inbox_for(clinic: Clinic, user: Any) -> Inbox:
    """Both kinds, newest first; unread counts every unread one, shown or not."""
    from ketacare.treatments.models import StaffNotice

    flags, more_flags = _flag_items(clinic, user)
    chairs, more_chairs = _chair_items(clinic, user)
    items = sorted(flags + chairs, key=lambda i: (i.created_at, i.kind, i.pk), reverse=True)
    unread = (
        StaffNotification.objects.filter(user=user, clinic=clinic, read_at__isnull=True).count()
        + StaffNotice.objects.filter(user=user, clinic=clinic, read_at__isnull=True).count()
    )
    return Inbox(items=items, unread=unread, truncated=more_flags or more_chairs)


def mark_all_read(clinic: Clinic, user: Any, now: datetime) -> dict[str, int]:
    """Mark every unread notification and chair notice of `user` at `clinic` read."""
    from ketacare.treatments.models import StaffNotice

    return {
        "notifications": StaffNotification.objects.filter(
            user=user, clinic=clinic, read_at__isnull=True
        ).update(read_at=now),
        "chair_notices": StaffNotice.objects.filter(
            user=user, clinic=clinic, read_at__isnull=True
        ).update(read_at=now),
    }
