"""A clinic's scheduling set-up, read once per request: opening hours, closures, staff hours,
prescribers and chairs/rooms, with the questions the conflict checks ask of them.

`ClinicCalendar.load(clinic)` makes a fixed number of queries (five) whatever the size of the
schedule; everything after that is answered from memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from ketacare.accounts.models import Clinic, Membership, Role
from ketacare.measures.scheduling import clinic_zone
from ketacare.scheduling.models import ClinicHours, Closure, ReminderLead, Resource, StaffHours
from ketacare.scheduling.series import WEEKDAYS
from ketacare.scheduling.series import Closure as PureClosure

# Reminder lead times when a clinic has set none (issue #5: 48 h and 2 h before).
DEFAULT_REMINDER_LEADS = (48, 2)
# When a weekday has no opening hours, the day view still shows this span.
DEFAULT_DAY_SPAN = (time(8, 0), time(18, 0))


@dataclass
class ClinicCalendar:
    clinic: Clinic
    zone: ZoneInfo
    hours: dict[int, tuple[time, time]]
    closures: list[PureClosure]
    staff_hours: dict[int, list[tuple[int, time, time]]]  # user id -> (weekday, starts, ends)
    prescriber_ids: set[int]
    resources: dict[int, Resource] = field(default_factory=dict)
    staff_names: dict[int, str] = field(default_factory=dict)

    @classmethod
    def load(cls, clinic: Clinic) -> ClinicCalendar:
        hours = {h.weekday: (h.opens, h.closes) for h in ClinicHours.objects.filter(clinic=clinic)}
        closures = [
            PureClosure(c.starts_on, c.ends_on, c.reason)
            for c in Closure.objects.filter(clinic=clinic)
        ]
        staff: dict[int, list[tuple[int, time, time]]] = defaultdict(list)
        for row in StaffHours.objects.filter(clinic=clinic):
            staff[row.user_id].append((row.weekday, row.starts, row.ends))
        prescribers: set[int] = set()
        names: dict[int, str] = {}
        memberships = Membership.objects.filter(clinic=clinic, is_active=True).select_related(
            "user"
        )
        for membership in memberships:
            names[membership.user_id] = membership.user.display_name
            if membership.role == Role.PRESCRIBER:
                prescribers.add(membership.user_id)
        resources = {r.pk: r for r in Resource.objects.filter(clinic=clinic)}
        return cls(
            clinic=clinic,
            zone=clinic_zone(clinic),
            hours=hours,
            closures=closures,
            staff_hours=dict(staff),
            prescriber_ids=prescribers,
            resources=resources,
            staff_names=names,
        )

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def closure_on(self, day: date) -> PureClosure | None:
        for closure in self.closures:
            if closure.starts_on <= day <= closure.ends_on:
                return closure
        return None

    def within_hours(self, starts_at: datetime, ends_at: datetime) -> bool:
        start, end = self.local(starts_at), self.local(ends_at)
        span = self.hours.get(start.weekday())
        if span is None or start.date() != end.date():
            return False
        return span[0] <= start.time() and end.time() <= span[1]

    def describe_hours(self, day: date) -> str:
        span = self.hours.get(day.weekday())
        if span is None:
            return f"the clinic is closed on {WEEKDAYS[day.weekday()]}s"
        return f"{WEEKDAYS[day.weekday()]} hours are {span[0]:%H:%M}–{span[1]:%H:%M}"

    def works(self, user_id: int, starts_at: datetime, ends_at: datetime) -> bool:
        """Whether one of the user's working ranges covers the whole slot."""
        start, end = self.local(starts_at), self.local(ends_at)
        if start.date() != end.date():
            return False
        return any(
            weekday == start.weekday() and begins <= start.time() and end.time() <= finishes
            for weekday, begins, finishes in self.staff_hours.get(user_id, [])
        )

    def staff_hours_on(self, user_id: int, weekday: int) -> str:
        ranges = sorted((b, e) for w, b, e in self.staff_hours.get(user_id, []) if w == weekday)
        if not ranges:
            return f"no hours on {WEEKDAYS[weekday]}s"
        return ", ".join(f"{b:%H:%M}–{e:%H:%M}" for b, e in ranges)

    def prescriber_on_site(self, starts_at: datetime, ends_at: datetime) -> bool:
        return any(self.works(uid, starts_at, ends_at) for uid in self.prescriber_ids)

    def day_span(self, day: date) -> tuple[time, time]:
        return self.hours.get(day.weekday(), DEFAULT_DAY_SPAN)

    def active_resources(self) -> list[Resource]:
        return sorted(
            (r for r in self.resources.values() if r.active), key=lambda r: (r.sort_order, r.name)
        )


def reminder_leads(clinic: Clinic) -> list[int]:
    """The clinic's reminder lead times in hours, largest first (defaults when none set)."""
    hours = list(ReminderLead.objects.filter(clinic=clinic).values_list("hours", flat=True))
    return sorted(hours, reverse=True) if hours else list(DEFAULT_REMINDER_LEADS)
