"""Schedule rules that follow the treatment calendar rather than the episode of care.

- "Before every session" (`RuleKind.BEFORE_SESSION`): the scale is due on the clinic-local
  date of every treatment appointment that is booked, confirmed or checked in, from the
  catch-up window up to `SESSION_LOOKAHEAD_DAYS` ahead (so the chart can show it coming).
  One item per patient, rule and day, pointing at the appointment (the first one that day).
  When that day no longer has a session (cancelled, no-show, moved to another day) the open
  item is withdrawn (status cancelled, with the reason); if the day gets a session again the
  item is reopened. A completed session keeps its item (it was due, and is done or missed).
- "During maintenance" (`RuleKind.MAINTENANCE`): every `interval_days` (7 = weekly, the
  default) while the patient's active treatment plan is in a phase of kind maintenance,
  counted from the day the plan entered maintenance (the first revision of the current run
  of maintenance-kind phases; a plan signed straight into maintenance counts from its start
  date). Open items are withdrawn once no active plan of the patient is in maintenance.

Sources: clinical.md §12 ("assessment at each maintenance visit"; PHQ-9 before each dose is
[PRACTICE]) and §16a ("screen ... every visit", Zero Suicide [GUIDELINE]).

Pure queries over the clinic; `scheduling.generate_due_items` turns the candidates returned
here into due items and owns idempotency (the unique constraint). Nothing here imports
`scheduling.py`, which imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from ketacare.clinical.protocols import PhaseKind
from ketacare.measures.models import DueAssessment, DueStatus, RuleKind, ScheduleRule
from ketacare.plans.models import PlanRevision, PlanStatus, TreatmentPlan
from ketacare.scheduling.models import Appointment, AppointmentStatus, AppointmentType

# Items for sessions this many days ahead are made in advance, so the chart lists them as
# upcoming; links are only ever sent on the day (tasks.due_candidates: due_on <= today).
SESSION_LOOKAHEAD_DAYS = 7
# A session in one of these statuses makes its day's scale due...
SESSION_DUE_STATUSES = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
)
# ...and one in any of these keeps an item already made (a completed session was due).
SESSION_KEEP_STATUSES = (*SESSION_DUE_STATUSES, AppointmentStatus.COMPLETED)
# "Weekly during maintenance" unless the rule says otherwise (clinical.md §5, §7d: weekly
# maintenance; §12: assess at each maintenance visit).
MAINTENANCE_DEFAULT_DAYS = 7
CALENDAR_KINDS = (RuleKind.BEFORE_SESSION, RuleKind.MAINTENANCE)


@dataclass(frozen=True)
class Candidate:
    """A due item that should exist (generate_due_items skips the ones that already do)."""

    patient_id: Any
    episode_id: int | None
    rule: ScheduleRule
    due_on: date
    reason: str
    appointment_id: Any = None


@dataclass
class CalendarResult:
    candidates: list[Candidate]
    withdrawn: int = 0
    reopened: int = 0


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def _session_reason(starts_at: datetime, zone: ZoneInfo) -> str:
    return f"Before the treatment session at {timezone.localtime(starts_at, zone):%Y-%m-%d %H:%M}"


def session_candidates(
    clinic_id: int,
    rules: Sequence[ScheduleRule],
    today: date,
    earliest: date,
    zone: ZoneInfo,
    episode_of: Mapping[Any, int],
    allowed: Any,
    patient_id: Any = None,
) -> CalendarResult:
    """Candidates for the before-session rules, and the withdrawals/reopenings of their items.

    `allowed(rule, patient_id)` applies the rule's diagnosis filter; `episode_of` maps a
    patient to their active episode. `patient_id` limits the work to one patient.
    """
    result = CalendarResult([])
    if not rules:
        return result
    latest = today + timedelta(days=SESSION_LOOKAHEAD_DAYS)
    appointments = Appointment.objects.filter(
        clinic_id=clinic_id,
        type=AppointmentType.TREATMENT,
        status__in=SESSION_KEEP_STATUSES,
        starts_at__gte=_day_start(earliest, zone),
        starts_at__lt=_day_start(latest + timedelta(days=1), zone),
    )
    items = DueAssessment.objects.filter(
        clinic_id=clinic_id, rule__in=rules, due_on__gte=earliest, due_on__lte=latest
    )
    if patient_id is not None:
        appointments = appointments.filter(patient_id=patient_id)
        items = items.filter(patient_id=patient_id)
    # (patient, local day) -> (appointment id, starts_at, makes a new item due?)
    days: dict[tuple[Any, date], tuple[Any, datetime, bool]] = {}
    for pk, patient, starts_at, status in appointments.order_by("starts_at", "pk").values_list(
        "pk", "patient_id", "starts_at", "status"
    ):
        key = (patient, timezone.localtime(starts_at, zone).date())
        due = status in SESSION_DUE_STATUSES
        if key not in days:
            days[key] = (pk, starts_at, due)
        elif due and not days[key][2]:
            days[key] = (days[key][0], days[key][1], True)
    seen: set[tuple[Any, int, date]] = set()
    for item in items.only("pk", "patient_id", "rule_id", "due_on", "status", "appointment_id"):
        seen.add((item.patient_id, item.rule_id or 0, item.due_on))
        session = days.get((item.patient_id, item.due_on))
        if item.status == DueStatus.COMPLETED:
            continue
        if item.status == DueStatus.OPEN:
            if session is None:
                result.withdrawn += DueAssessment.objects.filter(
                    pk=item.pk, status=DueStatus.OPEN
                ).update(
                    status=DueStatus.CANCELLED,
                    reason=f"Withdrawn: no treatment session on {item.due_on} any more",
                )
            elif session[0] != item.appointment_id:
                DueAssessment.objects.filter(pk=item.pk).update(
                    appointment_id=session[0], reason=_session_reason(session[1], zone)
                )
        elif session is not None and session[2]:
            # The day has a session again (reinstated, moved back): the scale is due again.
            result.reopened += DueAssessment.objects.filter(
                pk=item.pk, status=DueStatus.CANCELLED
            ).update(
                status=DueStatus.OPEN,
                appointment_id=session[0],
                episode_id=episode_of.get(item.patient_id),
                reason=_session_reason(session[1], zone),
            )
    for (patient, day), (appointment_id, starts_at, due) in days.items():
        if not due:
            continue
        for rule in rules:
            if (patient, rule.pk, day) in seen or not allowed(rule, patient):
                continue
            result.candidates.append(
                Candidate(
                    patient,
                    episode_of.get(patient),
                    rule,
                    day,
                    _session_reason(starts_at, zone),
                    appointment_id,
                )
            )
    return result


# --- maintenance -------------------------------------------------------------------------


def _phase_kind(plan: TreatmentPlan, phase: str, cache: dict[tuple, Any]) -> PhaseKind | None:
    """The kind of `phase` in the protocol version the plan was written under."""
    from ketacare.plans.actions import plan_protocol  # plans.actions imports measures

    key = (plan.protocol_code, plan.protocol_version, repr(sorted(plan.protocol_changes.items())))
    if key not in cache:
        try:
            cache[key] = plan_protocol(plan)
        except ValueError:  # a protocol no longer in the library: not schedulable
            cache[key] = None
    protocol = cache[key]
    if protocol is None:
        return None
    try:
        return PhaseKind(protocol.phase(phase).kind)
    except ValueError:
        return None


def entered_maintenance_on(
    plan: TreatmentPlan,
    revisions: Iterable[tuple[datetime, str]],
    zone: ZoneInfo,
    cache: dict[tuple, Any],
) -> date:
    """The day the plan entered its current run of maintenance-kind phases.

    `revisions` are (time, phase) of the plan's revisions, oldest first. A plan signed
    straight into maintenance (or with no revisions at all) counts from its start date.
    """
    run_start: datetime | None = None
    first = True
    started_in_maintenance = False
    for at, phase in revisions:
        if _phase_kind(plan, phase, cache) == PhaseKind.MAINTENANCE:
            if run_start is None:
                run_start = at
                started_in_maintenance = first
        else:
            run_start = None
        first = False
    if run_start is not None and not started_in_maintenance:
        return timezone.localtime(run_start, zone).date()
    if plan.starts_on:
        return plan.starts_on
    moment = run_start or plan.signed_at or plan.created_at
    return timezone.localtime(moment, zone).date()


def every(step: int, anchor: date, earliest: date, today: date) -> list[date]:
    """anchor + k*step for k >= 1, from `earliest` to `today` inclusive."""
    start = max(anchor, earliest)
    k = max(1, -(-(start - anchor).days // step))
    dates = []
    due = anchor + timedelta(days=k * step)
    while due <= today:
        dates.append(due)
        due += timedelta(days=step)
    return dates


def maintenance_anchors(clinic_id: int, zone: ZoneInfo) -> dict[Any, date]:
    """patient -> the day their active plan entered maintenance (the earliest, if several)."""
    cache: dict[tuple, Any] = {}
    plans = [
        plan
        for plan in TreatmentPlan.objects.filter(clinic_id=clinic_id, status=PlanStatus.ACTIVE)
        if _phase_kind(plan, plan.phase, cache) == PhaseKind.MAINTENANCE
    ]
    history: dict[int, list[tuple[datetime, str]]] = {plan.pk: [] for plan in plans}
    for plan_id, at, snapshot in (
        PlanRevision.objects.filter(plan__in=[p.pk for p in plans])
        .order_by("plan_id", "number")
        .values_list("plan_id", "at", "snapshot")
    ):
        history[plan_id].append((at, str((snapshot or {}).get("phase", ""))))
    anchors: dict[Any, date] = {}
    for plan in plans:
        anchor = entered_maintenance_on(plan, history[plan.pk], zone, cache)
        if plan.patient_id not in anchors or anchor < anchors[plan.patient_id]:
            anchors[plan.patient_id] = anchor
    return anchors


def maintenance_candidates(
    clinic_id: int,
    rules: Sequence[ScheduleRule],
    today: date,
    earliest: date,
    zone: ZoneInfo,
    episode_of: Mapping[Any, int],
    allowed: Any,
) -> CalendarResult:
    result = CalendarResult([])
    if not rules:
        return result
    anchors = maintenance_anchors(clinic_id, zone)
    # Open items of patients no longer in maintenance are no longer expected of them.
    result.withdrawn = (
        DueAssessment.objects.filter(clinic_id=clinic_id, rule__in=rules, status=DueStatus.OPEN)
        .filter(~Q(patient_id__in=list(anchors)))
        .update(status=DueStatus.CANCELLED)
    )
    for patient, anchor in anchors.items():
        for rule in rules:
            if not allowed(rule, patient):
                continue
            step = rule.interval_days or MAINTENANCE_DEFAULT_DAYS
            label = "Weekly" if step == 7 else f"Every {step} days"
            for due_on in every(step, anchor, earliest, today):
                reason = f"{label} during maintenance (since {anchor:%Y-%m-%d})"
                result.candidates.append(
                    Candidate(patient, episode_of.get(patient), rule, due_on, reason)
                )
    return result
