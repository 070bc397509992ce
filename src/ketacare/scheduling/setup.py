"""Setting up the schedule (admins, Perm.SCHEDULE_SETUP): chairs and rooms, opening hours,
closures, staff working hours and reminder lead times. Each action audits in its transaction
and refuses bad input with an ActionError naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, time
from typing import Any

from django.db import transaction

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, Membership, User
from ketacare.scheduling.models import (
    ClinicHours,
    Closure,
    ReminderLead,
    Resource,
    ResourceKind,
    StaffHours,
)
from ketacare.scheduling.series import WEEKDAYS

# A reminder more than two weeks ahead is not a reminder; at most four per appointment.
MAX_LEAD_HOURS = 336
MAX_LEADS = 4
RESOURCE_FIELDS = (
    "name",
    "kind",
    "has_iv_pump",
    "has_monitor",
    "esketamine_certified",
    "sort_order",
)


def _audit(actor: Actor, clinic: Clinic, verb: str, obj: str, pk: object, **detail: Any) -> None:
    record(
        actor,
        f"scheduling.{verb}",
        object_type=obj,
        object_id=pk,
        clinic_id=clinic.pk,
        detail=detail,
    )


def do_save_resource(
    actor: Actor, clinic: Clinic, resource: Resource | None, data: Mapping[str, Any]
) -> Resource:
    """Add a chair/room (resource None) or edit one."""
    name = str(data.get("name") or "").strip()
    if not name:
        raise ActionError("name", "Give the chair or room a name.")
    if data.get("kind") not in ResourceKind.values:
        raise ActionError("kind", "Choose chair or room.")
    with transaction.atomic():
        clash = Resource.objects.filter(clinic=clinic, name__iexact=name)
        if resource is not None:
            clash = clash.exclude(pk=resource.pk)
        if clash.exists():
            raise ActionError("name", f"There is already a chair or room called “{name}”.")
        target = resource or Resource(clinic=clinic)
        before = {f: getattr(target, f) for f in RESOURCE_FIELDS} if resource else {}
        target.name = name
        target.kind = data["kind"]
        for flag in ("has_iv_pump", "has_monitor", "esketamine_certified"):
            setattr(target, flag, bool(data.get(flag)))
        target.sort_order = int(data.get("sort_order") or 0)
        target.save()
        after = {f: getattr(target, f) for f in RESOURCE_FIELDS}
        verb = "resource.changed" if resource else "resource.added"
        _audit(actor, clinic, verb, "resource", target.pk, before=before, after=after)
    return target


def do_set_resource_active(actor: Actor, resource: Resource, active: bool) -> Resource:
    """Deactivate (or bring back) a chair or room. Appointments already on it stay; new ones
    cannot be booked on it."""
    with transaction.atomic():
        resource = Resource.objects.select_for_update().get(pk=resource.pk)
        resource.active = active
        resource.save(update_fields=["active"])
        verb = "resource.activated" if active else "resource.deactivated"
        _audit(actor, resource.clinic, verb, "resource", resource.pk, name=resource.name)
    return resource


def do_set_clinic_hours(
    actor: Actor, clinic: Clinic, hours: Mapping[int, tuple[time | None, time | None]]
) -> None:
    """Replace the week's opening hours; a weekday with neither time is closed."""
    clean: dict[int, tuple[time, time]] = {}
    for weekday in range(7):
        opens, closes = hours.get(weekday, (None, None))
        if opens is None and closes is None:
            continue
        if opens is None:
            raise ActionError(f"opens_{weekday}", f"{WEEKDAYS[weekday]}: when does it open?")
        if closes is None:
            raise ActionError(f"closes_{weekday}", f"{WEEKDAYS[weekday]}: when does it close?")
        if closes <= opens:
            raise ActionError(
                f"closes_{weekday}", f"{WEEKDAYS[weekday]}: closing must be after opening."
            )
        clean[weekday] = (opens, closes)
    with transaction.atomic():
        ClinicHours.objects.filter(clinic=clinic).delete()
        ClinicHours.objects.bulk_create(
            ClinicHours(clinic=clinic, weekday=w, opens=o, closes=c) for w, (o, c) in clean.items()
        )
        _audit(
            actor,
            clinic,
            "hours.changed",
            "clinic",
            clinic.pk,
            hours={WEEKDAYS[w]: f"{o:%H:%M}-{c:%H:%M}" for w, (o, c) in clean.items()},
        )


def do_add_closure(
    actor: Actor, clinic: Clinic, starts_on: date, ends_on: date | None, reason: str
) -> Closure:
    ends_on = ends_on or starts_on
    reason = (reason or "").strip()
    if ends_on < starts_on:
        raise ActionError("ends_on", "The last day must be on or after the first day.")
    if not reason:
        raise ActionError("reason", "Say why the clinic is closed (shown when booking).")
    with transaction.atomic():
        closure = Closure.objects.create(
            clinic=clinic,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
            created_by_id=actor.user_id,
        )
        _audit(
            actor,
            clinic,
            "closure.added",
            "closure",
            closure.pk,
            starts_on=starts_on,
            ends_on=ends_on,
            reason=reason,
        )
    return closure


def do_remove_closure(actor: Actor, closure: Closure) -> None:
    with transaction.atomic():
        _audit(
            actor,
            closure.clinic,
            "closure.removed",
            "closure",
            closure.pk,
            starts_on=closure.starts_on,
            ends_on=closure.ends_on,
            reason=closure.reason,
        )
        closure.delete()


def do_add_staff_hours(
    actor: Actor, clinic: Clinic, user: User, weekday: int, starts: time, ends: time
) -> StaffHours:
    if not Membership.objects.filter(clinic=clinic, user=user, is_active=True).exists():
        raise ActionError("user", "That person does not work at this clinic.")
    if not 0 <= weekday <= 6:
        raise ActionError("weekday", "Choose a weekday.")
    if ends <= starts:
        raise ActionError("ends", "The end must be after the start.")
    with transaction.atomic():
        # Lock the member's rows so two admins cannot add overlapping ranges at once.
        rows = list(
            StaffHours.objects.select_for_update().filter(clinic=clinic, user=user, weekday=weekday)
        )
        for row in rows:
            if row.starts < ends and starts < row.ends:
                raise ActionError(
                    "starts",
                    f"Overlaps {user.display_name}'s {WEEKDAYS[weekday]} hours "
                    f"{row.starts:%H:%M}–{row.ends:%H:%M}.",
                )
        hours = StaffHours.objects.create(
            clinic=clinic, user=user, weekday=weekday, starts=starts, ends=ends
        )
        _audit(
            actor,
            clinic,
            "staff_hours.added",
            "staff_hours",
            hours.pk,
            user=user.pk,
            weekday=weekday,
            starts=starts,
            ends=ends,
        )
    return hours


def do_remove_staff_hours(actor: Actor, hours: StaffHours) -> None:
    with transaction.atomic():
        _audit(
            actor,
            hours.clinic,
            "staff_hours.removed",
            "staff_hours",
            hours.pk,
            user=hours.user_id,
            weekday=hours.weekday,
            starts=hours.starts,
            ends=hours.ends,
        )
        hours.delete()


def do_set_reminder_leads(actor: Actor, clinic: Clinic, leads: Sequence[int]) -> list[int]:
    values = sorted(set(leads), reverse=True)
    if not values:
        raise ActionError("leads", "Give at least one lead time (e.g. 48, 2).")
    if len(values) > MAX_LEADS:
        raise ActionError("leads", f"At most {MAX_LEADS} reminders per appointment.")
    for hours in values:
        if not 1 <= hours <= MAX_LEAD_HOURS:
            raise ActionError("leads", f"Each lead time is 1 to {MAX_LEAD_HOURS} hours.")
    with transaction.atomic():
        ReminderLead.objects.filter(clinic=clinic).delete()
        ReminderLead.objects.bulk_create(ReminderLead(clinic=clinic, hours=h) for h in values)
        _audit(actor, clinic, "reminder_leads.changed", "clinic", clinic.pk, hours=values)
    return values
