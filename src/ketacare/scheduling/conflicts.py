"""Conflict detection for proposed appointments: every problem, each with a readable message
and the form field it belongs to.

    conflicts = check_slots(calendar, [slot, ...])   # -> one list of Conflict per slot

A slot is checked against the clinic's set-up (hours, closures, staff hours, chair
capabilities: `calendar.ClinicCalendar`), against the appointments already in the database
(one query per slot, on the indexed `starts_at` of the chair and the patient), and against the
other slots of the same batch (a series is checked as a whole before anything is saved).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ketacare.accounts.models import User
from ketacare.clinical.findings import Route
from ketacare.clinical.protocols import Protocol, RequiredCheck
from ketacare.patients.models import Patient
from ketacare.scheduling.calendar import ClinicCalendar
from ketacare.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentType,
    Resource,
)

# The longest appointment the schedule accepts; it bounds the overlap queries (an appointment
# that overlaps a slot must start less than this long before the slot ends). The longest
# protocol session is a 4 h CRPS infusion plus 2 h observation (clinical.md §15c).
MAX_APPOINTMENT = timedelta(hours=12)

# An appointment as the overlap check sees it: (label, patient id, type, starts, ends,
# resource id, appointment id); the label names a row of the same series ("" for the database).
Row = tuple[str, Any, str, datetime, datetime, int | None, Any]
FIELDS = ("id", "patient_id", "type", "starts_at", "ends_at", "resource_id")


@dataclass(frozen=True)
class Conflict:
    field: str  # the form field at fault: starts_at, resource, clinician, patient, ends_at
    code: str
    message: str


@dataclass(frozen=True)
class TreatmentNeeds:
    """What a treatment session under a plan needs from the schedule."""

    route: str
    phase: str
    min_interval_hours: int | None
    needs_iv_setting: bool
    needs_esketamine_setting: bool
    needs_prescriber: bool
    infusion_min: int | None
    observation_min: int

    @classmethod
    def from_protocol(cls, protocol: Protocol, phase_code: str) -> TreatmentNeeds:
        try:
            phase = protocol.phase(phase_code)
        except ValueError:
            phase = protocol.phases[0]
        route = Route(protocol.route)
        dose = protocol.dose_for(phase.code)
        return cls(
            route=str(route),
            phase=phase.code,
            min_interval_hours=phase.min_interval_hours,
            needs_iv_setting=route is Route.IV_RACEMIC,
            needs_esketamine_setting=route.is_esketamine,
            # clinical.md §6a [REMS]: a prescriber on site during dosing and monitoring.
            needs_prescriber=RequiredCheck.PRESCRIBER_ON_SITE in protocol.monitoring.required_checks
            or route.is_esketamine,
            infusion_min=dose.duration_min,
            observation_min=protocol.monitoring.min_observation_min,
        )


@dataclass
class Slot:
    """One appointment to be booked (or moved): what the checks look at."""

    patient: Patient
    type: str
    starts_at: datetime
    ends_at: datetime
    resource: Resource | None = None
    clinician: User | None = None
    needs: TreatmentNeeds | None = None
    ignore_id: Any = None  # the appointment being moved (it does not conflict with itself)
    label: str = ""  # "session 3" in a series
    extra: dict[str, Any] = field(default_factory=dict)


def _when(calendar: ClinicCalendar, moment: datetime) -> str:
    local = calendar.local(moment)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def _span(calendar: ClinicCalendar, start: datetime, end: datetime) -> str:
    return f"{_when(calendar, start)}–{calendar.local(end):%H:%M}"


def _setup_conflicts(calendar: ClinicCalendar, slot: Slot) -> list[Conflict]:
    out: list[Conflict] = []
    if slot.ends_at <= slot.starts_at:
        return [Conflict("ends_at", "order", "The appointment must end after it starts.")]
    if slot.ends_at - slot.starts_at > MAX_APPOINTMENT:
        hours = int(MAX_APPOINTMENT.total_seconds() // 3600)
        return [Conflict("ends_at", "too_long", f"An appointment may last at most {hours} hours.")]
    day = calendar.local(slot.starts_at).date()
    closure = calendar.closure_on(day)
    if closure is not None:
        out.append(
            Conflict(
                "starts_at",
                "closure",
                f"The clinic is closed on {day:%a} {day.day} {day:%b %Y} ({closure.reason}).",
            )
        )
    elif slot.type != AppointmentType.TELEHEALTH and not calendar.within_hours(
        slot.starts_at, slot.ends_at
    ):
        out.append(
            Conflict(
                "starts_at",
                "hours",
                f"{_span(calendar, slot.starts_at, slot.ends_at)} is outside clinic hours: "
                f"{calendar.describe_hours(day)}.",
            )
        )
    resource = slot.resource
    if resource is not None and not resource.active:
        out.append(Conflict("resource", "inactive", f"{resource.name} is no longer in use."))
    needs = slot.needs
    if slot.type == AppointmentType.TREATMENT:
        if resource is None:
            out.append(
                Conflict("resource", "no_resource", "A treatment session needs a chair or room.")
            )
        elif needs is not None:
            if needs.needs_iv_setting and not (resource.has_iv_pump and resource.has_monitor):
                missing = " and ".join(
                    label
                    for label, ok in (
                        ("an IV infusion pump", resource.has_iv_pump),
                        ("a vital-signs monitor", resource.has_monitor),
                    )
                    if not ok
                )
                out.append(
                    Conflict(
                        "resource",
                        "capability",
                        f"{resource.name} lacks {missing}: an IV infusion needs an IV pump and "
                        "a monitor.",
                    )
                )
            if needs.needs_esketamine_setting and not resource.esketamine_certified:
                out.append(
                    Conflict(
                        "resource",
                        "capability",
                        f"{resource.name} is not an esketamine-certified treatment setting "
                        f"(SPRAVATO REMS, clinical.md §6a).",
                    )
                )
        if (
            needs is not None
            and needs.needs_prescriber
            and not calendar.prescriber_on_site(slot.starts_at, slot.ends_at)
        ):
            out.append(
                Conflict(
                    "starts_at",
                    "prescriber",
                    "No prescriber works for the whole session "
                    f"({_span(calendar, slot.starts_at, slot.ends_at)}); esketamine needs a "
                    "prescriber on site during dosing and monitoring (REMS, clinical.md §6a).",
                )
            )
    if slot.clinician is not None and not calendar.works(
        slot.clinician.pk, slot.starts_at, slot.ends_at
    ):
        weekday = calendar.local(slot.starts_at).weekday()
        out.append(
            Conflict(
                "clinician",
                "clinician_hours",
                f"{slot.clinician.display_name} is not working then "
                f"({calendar.staff_hours_on(slot.clinician.pk, weekday)}).",
            )
        )
    return out


def _interval(slot: Slot) -> timedelta:
    if slot.type != AppointmentType.TREATMENT or slot.needs is None:
        return timedelta(0)
    return timedelta(hours=slot.needs.min_interval_hours or 0)


def _overlap_conflicts(
    calendar: ClinicCalendar,
    slot: Slot,
    others: Sequence[Row],
) -> list[Conflict]:
    """`others`: (label, patient id, type, starts, ends, resource id, appointment id)."""
    out: list[Conflict] = []
    interval = _interval(slot)
    for label, patient_id, kind, starts, ends, resource_id, _ in others:
        overlaps = starts < slot.ends_at and ends > slot.starts_at
        if overlaps and slot.resource is not None and resource_id == slot.resource.pk:
            out.append(
                Conflict(
                    "resource",
                    "resource_busy",
                    f"{slot.resource.name} is already booked {_span(calendar, starts, ends)}"
                    f"{label}.",
                )
            )
        if patient_id != slot.patient.pk:
            continue
        if overlaps:
            out.append(
                Conflict(
                    "starts_at",
                    "patient_busy",
                    f"The patient already has {AppointmentType(kind).label.lower()} "
                    f"{_span(calendar, starts, ends)}{label}.",
                )
            )
        elif (
            kind == AppointmentType.TREATMENT
            and interval
            and abs(starts - slot.starts_at) < (interval)
        ):
            gap = abs(starts - slot.starts_at).total_seconds() / 3600
            out.append(
                Conflict(
                    "starts_at",
                    "interval",
                    f"Only {gap:.0f} h from the treatment session {_when(calendar, starts)}"
                    f"{label}; this phase needs at least {interval.total_seconds() / 3600:.0f} h "
                    "between sessions.",
                )
            )
    return out


def existing_for(clinic_id: int, slots: Sequence[Slot]) -> list[Row]:
    """Active appointments that could conflict with any of `slots`, in two queries whatever
    their number: the clinic's appointments overlapping a slot (index clinic, starts_at; an
    overlapping one starts less than MAX_APPOINTMENT before the slot ends), and the patients'
    appointments within a slot's minimum interval (index patient, starts_at)."""
    valid = [s for s in slots if s.ends_at > s.starts_at]
    if not valid:
        return []
    base = Appointment.objects.filter(clinic_id=clinic_id, status__in=ACTIVE_STATUSES).order_by()
    # One range per slot, combined with UNION ALL: each part is an index range scan, where an
    # OR of ranges makes SQLite read every appointment of the clinic.
    parts = [
        base.filter(
            starts_at__gt=slot.starts_at - MAX_APPOINTMENT,
            starts_at__lt=slot.ends_at,
            ends_at__gt=slot.starts_at,
        ).values_list(*FIELDS)
        for slot in valid
    ]
    for slot in valid:
        interval = _interval(slot)
        if interval:
            parts.append(  # by patient alone, so the (patient, starts_at) index is used
                Appointment.objects.order_by()
                .filter(
                    status__in=ACTIVE_STATUSES,
                    patient_id=slot.patient.pk,
                    starts_at__gt=slot.starts_at - interval,
                    starts_at__lt=slot.starts_at + interval,
                )
                .values_list(*FIELDS)
            )
    query = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    found = {row[0]: row for row in query}
    ignore = {slot.ignore_id for slot in slots if slot.ignore_id is not None}
    return [
        ("", patient, kind, starts, ends, resource, pk)
        for pk, patient, kind, starts, ends, resource in found.values()
        if pk not in ignore
    ]


def check_slots(
    calendar: ClinicCalendar, slots: Sequence[Slot], existing: list[Row] | None = None
) -> list[list[Conflict]]:
    """Every conflict of every slot (also between the slots themselves). `existing` is what
    `existing_for(clinic, slots)` returned, when the caller already has it."""
    if existing is None:
        existing = existing_for(calendar.clinic.pk, slots)
    results: list[list[Conflict]] = []
    for i, slot in enumerate(slots):
        conflicts = _setup_conflicts(calendar, slot)
        if any(c.code in ("order", "too_long") for c in conflicts):
            results.append(conflicts)
            continue
        rows = list(existing)
        for j, other in enumerate(slots):
            if j == i or other.ends_at <= other.starts_at:
                continue
            rows.append(
                (
                    f" (by {other.label or f'row {j + 1}'} of this series)",
                    other.patient.pk,
                    other.type,
                    other.starts_at,
                    other.ends_at,
                    other.resource.pk if other.resource else None,
                    None,
                )
            )
        conflicts += _overlap_conflicts(calendar, slot, rows)
        results.append(conflicts)
    return results
