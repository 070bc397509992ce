"""The database side of series generation: defaults from the plan, a free suitable chair for
each proposed session, and the conflicts of each row.

    plan_defaults(plan) -> SeriesDefaults           # frequency, sessions left, session length
    propose(calendar, patient, plan, start_on, times, duration_min) -> list[PlannedRow]
    recheck(calendar, patient, plan, rows) -> list[list[Conflict]]

The slots themselves come from the pure `series.propose_series`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from ketacare.patients.models import Patient
from ketacare.plans.actions import plan_protocol
from ketacare.plans.models import TreatmentPlan
from ketacare.scheduling.booking import SeriesRow, needs_for_plan
from ketacare.scheduling.calendar import ClinicCalendar
from ketacare.scheduling.conflicts import (
    Conflict,
    Slot,
    TreatmentNeeds,
    check_slots,
    existing_for,
)
from ketacare.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentType,
    Resource,
)
from ketacare.scheduling.series import SeriesRequest, propose_series, session_minutes

# An open-ended phase (maintenance) is proposed this many cycles at a time.
OPEN_ENDED_CYCLES = 4


@dataclass(frozen=True)
class SeriesDefaults:
    count: int
    per_days: int
    sessions_total: int
    sessions_booked: int
    duration_min: int
    needs: TreatmentNeeds
    after: datetime | None  # the patient's latest treatment session, for the interval

    @property
    def sessions_left(self) -> int:
        return max(self.sessions_total - self.sessions_booked, 0)


@dataclass
class PlannedRow:
    number: int
    target_on: date | None
    starts_at: datetime | None
    ends_at: datetime | None
    resource: Resource | None
    notes: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)


def suitable(resource: Resource, needs: TreatmentNeeds) -> bool:
    if not resource.active:
        return False
    if needs.needs_iv_setting and not (resource.has_iv_pump and resource.has_monitor):
        return False
    return not (needs.needs_esketamine_setting and not resource.esketamine_certified)


def _spare(resource: Resource, needs: TreatmentNeeds) -> int:
    spare = int(resource.esketamine_certified and not needs.needs_esketamine_setting)
    return spare + int(resource.has_iv_pump and not needs.needs_iv_setting)


def plan_defaults(plan: TreatmentPlan) -> SeriesDefaults:
    protocol = plan_protocol(plan)
    needs = needs_for_plan(plan)
    phase = protocol.phase(needs.phase)
    frequency = phase.frequencies[0]
    count = plan.frequency_count or frequency.count
    per_days = plan.frequency_per_days or frequency.per_days
    total = plan.sessions_planned or phase.sessions or count * OPEN_ENDED_CYCLES
    treatments = Appointment.objects.filter(
        patient_id=plan.patient_id, type=AppointmentType.TREATMENT, status__in=ACTIVE_STATUSES
    )
    booked = treatments.filter(plan=plan, phase=needs.phase).count()
    latest = treatments.order_by("-starts_at").values_list("starts_at", flat=True).first()
    return SeriesDefaults(
        count=count,
        per_days=per_days,
        sessions_total=total,
        sessions_booked=booked,
        duration_min=session_minutes(needs.infusion_min, needs.observation_min),
        needs=needs,
        after=latest,
    )


def _choose(
    candidates: Sequence[Resource],
    busy: set[int],
    taken: list[tuple[datetime, datetime, int]],
    starts_at: datetime,
    ends_at: datetime,
    prefer: int | None,
) -> Resource | None:
    blocked = busy | {rid for s, e, rid in taken if s < ends_at and e > starts_at}
    free = [r for r in candidates if r.pk not in blocked]
    for resource in free:
        if resource.pk == prefer:
            return resource
    return free[0] if free else None


def propose(
    calendar: ClinicCalendar,
    patient: Patient,
    plan: TreatmentPlan,
    start_on: date,
    times: Sequence[time],
    duration_min: int,
    defaults: SeriesDefaults | None = None,
) -> list[PlannedRow]:
    """Slots for the sessions left in the plan's phase, each with a free suitable chair (the
    same one across the series when it is free) and its conflicts."""
    defaults = defaults or plan_defaults(plan)
    if defaults.sessions_left == 0:
        return []
    pure = propose_series(
        SeriesRequest(
            start_on=start_on,
            sessions=defaults.sessions_left,
            count=defaults.count,
            per_days=defaults.per_days,
            times=tuple(times),
            duration_min=duration_min,
            hours=calendar.hours,
            zone=str(calendar.zone.key),
            closures=calendar.closures,
            min_interval_hours=defaults.needs.min_interval_hours,
            first_number=defaults.sessions_booked + 1,
            after=defaults.after,
        )
    )
    # Chairs with capabilities this session does not need come last (keep the esketamine
    # chair free for esketamine patients).
    candidates = sorted(
        (r for r in calendar.active_resources() if suitable(r, defaults.needs)),
        key=lambda r: (_spare(r, defaults.needs), r.sort_order, r.name),
    )
    rows = [
        PlannedRow(s.number, s.target_on, s.starts_at, s.ends_at, None, list(s.notes)) for s in pure
    ]
    placed = [r for r in rows if r.starts_at is not None and r.ends_at is not None]
    slots = [_slot(patient, r, defaults.needs) for r in placed]
    existing = existing_for(calendar.clinic.pk, slots)  # one look at the database for all rows
    taken: list[tuple[datetime, datetime, int]] = []
    prefer: int | None = None
    for row, slot in zip(placed, slots, strict=True):
        busy = {
            resource
            for _, _, _, starts, ends, resource, _ in existing
            if resource is not None and starts < slot.ends_at and ends > slot.starts_at
        }
        row.resource = slot.resource = _choose(
            candidates, busy, taken, slot.starts_at, slot.ends_at, prefer
        )
        if row.resource is not None:
            prefer = prefer or row.resource.pk  # the series' first chair, when free
            taken.append((slot.starts_at, slot.ends_at, row.resource.pk))
        elif candidates:
            row.notes.append("every suitable chair is booked then")
        else:
            row.notes.append("no chair or room has what this protocol needs")
    for row, conflicts in zip(placed, check_slots(calendar, slots, existing), strict=True):
        row.conflicts = conflicts
    return rows


def _slot(patient: Patient, row: PlannedRow, needs: TreatmentNeeds) -> Slot:
    assert row.starts_at is not None and row.ends_at is not None
    return Slot(
        patient=patient,
        type=AppointmentType.TREATMENT,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        resource=row.resource,
        needs=needs,
        label=f"session {row.number}",
    )


def _as_series_row(row: PlannedRow) -> SeriesRow:
    assert row.starts_at is not None and row.ends_at is not None
    return SeriesRow(row.number, row.starts_at, row.ends_at, row.resource)


def recheck(
    calendar: ClinicCalendar,
    patient: Patient,
    plan: TreatmentPlan,
    rows: Sequence[SeriesRow],
    needs: TreatmentNeeds | None = None,
) -> list[list[Conflict]]:
    needs = needs or needs_for_plan(plan)
    slots = [
        Slot(
            patient=patient,
            type=AppointmentType.TREATMENT,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            resource=row.resource,
            needs=needs,
            label=f"session {row.number}",
        )
        for row in rows
    ]
    return check_slots(calendar, slots)
