"""The open-flag banner on every staff page of a clinic, until each flag is acknowledged.

Rendered by base.html through the `risk_banner` context processor, and refreshed without a
reload by `safety.js`, which polls `safety:banner` every KETACARE_FLAG_POLL_SECONDS.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpRequest
from django.utils import timezone

from ketacare.accounts.audit import audit
from ketacare.accounts.models import Clinic, Membership
from ketacare.notify.models import NotificationLog, NotificationStatus
from ketacare.safety.escalation_models import StaffNotification
from ketacare.safety.models import FlagStatus, RiskFlag

SHOWN = 5
# Chair alerts escalated to the signed-in person, listed on every page until acknowledged.
CHAIR_SHOWN = 5
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
    # The user's other clinics with something waiting there (see `elsewhere_for`).
    elsewhere: list[Elsewhere] = field(default_factory=list)
    # Chair alerts escalated to this user and not yet acknowledged (`chair_alerts_for`).
    chair_alerts: list[Any] = field(default_factory=list)
    chair_count: int = 0
    # The user's unread notices from the chairs (`/chairs/notices/`): escalated alerts, a
    # monitor's reading after the patient left. Shown as a badge on "Chairs" in the menu.
    chair_unread: int = 0

    @property
    def inbox_unread(self) -> int:
        """Everything unread in the person's inbox here (`safety/inbox.py`): both kinds."""
        return self.unread + self.chair_unread

    @property
    def chair_more(self) -> int:
        return self.chair_count - len(self.chair_alerts)

    @property
    def more(self) -> int:
        return self.count - len(self.flags)


@dataclass(frozen=True)
class Elsewhere:
    """What waits for this user in another clinic they work for: counts only, no patient."""

    clinic_name: str
    high: int
    moderate: int
    low: int
    unread: int

    @property
    def open_flags(self) -> int:
        return self.high + self.moderate + self.low


def waiting_by_clinic(user: Any, memberships: Sequence[Membership]) -> dict[int, Elsewhere]:
    """For each clinic of `memberships`: its open flags by level and the user's unread in-app
    notices there (risk-flag notifications and chair notices). Counts only. Three queries."""
    from ketacare.treatments.models import StaffNotice  # treatments imports safety

    names = {m.clinic_id: m.clinic.name for m in memberships}
    if not names:
        return {}
    levels: dict[int, Counter[str]] = {pk: Counter() for pk in names}
    for clinic_id, level, count in (
        RiskFlag.objects.filter(patient__clinic_id__in=names, status=FlagStatus.OPEN)
        .values_list("patient__clinic_id", "level")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        levels[clinic_id][level] += count
    unread: Counter[int] = Counter()
    for model in (StaffNotification, StaffNotice):
        for clinic_id, count in (
            model.objects.filter(user=user, clinic_id__in=names, read_at__isnull=True)
            .values_list("clinic_id")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            unread[clinic_id] += count
    return {
        pk: Elsewhere(
            clinic_name=name,
            high=levels[pk]["high"],
            moderate=levels[pk]["moderate"],
            low=levels[pk]["low"],
            unread=unread[pk],
        )
        for pk, name in names.items()
    }


def elsewhere_for(clinic: Clinic, user: Any, memberships: Sequence[Membership]) -> list[Elsewhere]:
    """A person who works for several clinics sees one clinic's banner at a time. So that a
    flag or an escalated alert at another of their clinics is not missed while they are signed
    in here, the banner names each other clinic with open flags (by level) or unread in-app
    notices for them. Counts only: no patient of that clinic is shown until they switch."""
    others = [m for m in memberships if m.clinic_id != clinic.pk]
    found = waiting_by_clinic(user, others).values()
    return sorted(
        (e for e in found if e.open_flags or e.unread),
        key=lambda e: (-e.high, -e.moderate, -e.open_flags, -e.unread, e.clinic_name),
    )


def chair_alerts_for(clinic: Clinic, user: Any) -> tuple[list[Any], int]:
    """Alerts at the chair escalated to `user` (nobody acknowledged them in time, or a
    monitor's reading came after the patient left) and still open: on every page they open,
    not only on the chair board, until someone acknowledges them with the action taken.
    The oldest first, at most CHAIR_SHOWN, and how many there are."""
    from ketacare.treatments.models import SessionAlert  # treatments imports safety

    open_alerts = SessionAlert.objects.filter(
        escalated_to_id=user.pk, acknowledged_at__isnull=True, session__clinic=clinic
    )
    shown = list(
        open_alerts.select_related("session__patient", "session__appointment__resource").order_by(
            "raised_at", "pk"
        )[:CHAIR_SHOWN]
    )
    count = len(shown) if len(shown) < CHAIR_SHOWN else open_alerts.count()
    return shown, count


def banner_for(clinic: Clinic, user: Any, memberships: Sequence[Membership] = ()) -> Banner:
    """The banner of `clinic` for `user`; `memberships`: the user's active memberships (the
    request's), to name their other clinics with something waiting (`elsewhere_for`)."""
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
    from ketacare.treatments.models import StaffNotice  # treatments imports safety

    chair_alerts, chair_count = chair_alerts_for(clinic, user)
    chair_unread = StaffNotice.objects.filter(
        user_id=user.pk, clinic=clinic, read_at__isnull=True
    ).count()
    return Banner(
        count=count,
        flags=flags,
        failed=failed,
        unread=unread,
        undelivered=undelivered - failed,
        elsewhere=elsewhere_for(clinic, user, memberships),
        chair_alerts=chair_alerts,
        chair_count=chair_count,
        chair_unread=chair_unread,
    )


# --- who saw which patient on the banner ---------------------------------------------------
# The banner names patients (a flag's reason, a chair alert's message) on every staff page and
# on its poll. Auditing every poll would write an entry per open tab every few seconds; instead
# an entry is written, per patient, when something of theirs first appears on this person's
# banner in this sign-in. What was last seen is kept in the session (the passive poll may write
# it: the idle clock is a separate key that only the user's own requests move).
SEEN_SESSION_KEY = "risk_banner_seen"


def shown_items(banner: Banner) -> dict[str, list[str]]:
    """Patient id → the items of theirs the banner lists ('flag:12', 'chair_alert:7')."""
    items: dict[str, set[str]] = {}
    for flag in banner.flags:
        items.setdefault(str(flag.patient_id), set()).add(f"flag:{flag.pk}")
    for alert in banner.chair_alerts:
        items.setdefault(str(alert.session.patient_id), set()).add(f"chair_alert:{alert.pk}")
    return {patient: sorted(found) for patient, found in items.items()}


def audit_shown(request: HttpRequest, banner: Banner, via: str) -> int:
    """Write one audit entry per patient with an item on the banner that this person has not
    been shown yet in this sign-in at this clinic. Returns how many entries were written."""
    clinic = getattr(request, "clinic", None)
    session = getattr(request, "session", None)
    if clinic is None or session is None:
        return 0
    current = shown_items(banner)
    seen = session.get(SEEN_SESSION_KEY) or {}
    before: dict[str, list[str]] = seen.get("items", {}) if seen.get("clinic") == clinic.pk else {}
    fresh = [
        (patient_id, items, sorted(set(items) - set(before.get(patient_id, ()))))
        for patient_id, items in sorted(current.items())
    ]
    fresh = [row for row in fresh if row[2]]
    if fresh:
        # One transaction: the entries join the audit chain together at its commit, one wait
        # for the chain's head (under load, one wait per entry held a poll up for seconds).
        with transaction.atomic():
            for patient_id, items, new in fresh:
                audit(
                    request,
                    "safety.banner.viewed",
                    object_type="risk_banner",
                    patient_id=patient_id,
                    detail={
                        "via": via,
                        "new": new,
                        "flags": _ids(items, "flag"),
                        "chair_alerts": _ids(items, "chair_alert"),
                    },
                )
    if seen.get("clinic") != clinic.pk or before != current:
        session[SEEN_SESSION_KEY] = {"clinic": clinic.pk, "items": current}
    return len(fresh)


def _ids(items: list[str], kind: str) -> list[int]:
    return [int(item.split(":")[1]) for item in items if item.split(":")[0] == kind]


class _LazyBanner:
    """Evaluated only when a template uses it (pages without base.html pay nothing)."""

    def __init__(
        self,
        clinic: Clinic,
        user: Any,
        memberships: Sequence[Membership],
        request: HttpRequest | None = None,
    ) -> None:
        self._clinic, self._user, self._memberships = clinic, user, memberships
        self._request = request
        self._value = None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if self._value is None:
            value = banner_for(self._clinic, self._user, self._memberships)
            if self._request is not None:
                audit_shown(self._request, value, via="page")
            self._value = value  # type: ignore[assignment]
        return getattr(self._value, name)


def risk_banner(request: HttpRequest) -> dict[str, Any]:
    """Context processor (settings TEMPLATES): the clinic's open flags for base.html."""
    clinic = getattr(request, "clinic", None)
    user = getattr(request, "user", None)
    if clinic is None or user is None or not user.is_authenticated:
        return {}
    memberships = getattr(request, "memberships", ())
    return {
        "risk_banner": _LazyBanner(clinic, user, memberships, request),
        "risk_poll_seconds": poll_seconds(),
    }
