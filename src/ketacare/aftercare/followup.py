"""Follow-up after induction: "booster may be due", relapse review tasks, and visits due.

- Booster: for each active episode, `clinical.booster.booster_due` on the episode's primary
  scale against its baseline (measures.course), with the clinic's `booster_rise_pct`.
- Relapse: the episode's course (measures.course, the clinic's response rules) ends in
  relapse → one FollowUpTask per episode and relapse start, opened by the schedule pass
  (`detect_followup`, called from measures.tasks.schedule_pass). The unique (clinic, key)
  constraint makes a second pass, or a second worker, a no-op.
- Visits due: an active plan's interval between sessions (frequency_count per
  frequency_per_days) has passed since the last session held, and nothing is booked ahead:
  responders relapse within weeks without maintenance (clinical.md §7d, §13).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.aftercare.models import FollowUpTask, TaskKind, TaskStatus
from ketacare.aftercare.settings_store import settings_for
from ketacare.clinical.booster import BoosterDecision, booster_due
from ketacare.clinical.response import CourseStatus
from ketacare.measures.course import Course, course_of, load_scores
from ketacare.measures.models import EpisodeOfCare, EpisodeStatus
from ketacare.measures.response_settings import response_rules_for
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.models import Patient
from ketacare.plans.models import PlanStatus, TreatmentPlan
from ketacare.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentType

logger = logging.getLogger("ketacare.schedule")
FOLLOWUP_SYSTEM = Actor(label="aftercare-followup")


@dataclass(frozen=True)
class EpisodeFollowUp:
    patient: Patient
    episode: EpisodeOfCare
    course: Course
    booster: BoosterDecision | None


def episode_followups(clinic: Clinic, patient: Patient | None = None) -> list[EpisodeFollowUp]:
    """Course and booster decision of every active episode (of one patient, or the clinic)."""
    rules = response_rules_for(clinic)
    rise = settings_for(clinic).booster_rise_pct
    episodes = EpisodeOfCare.objects.filter(
        patient__clinic=clinic, status=EpisodeStatus.ACTIVE
    ).select_related("patient")
    if patient is not None:
        episodes = episodes.filter(patient=patient)
    by_patient: dict[object, list[EpisodeOfCare]] = {}
    for episode in episodes.order_by("patient_id", "pk"):
        by_patient.setdefault(episode.patient_id, []).append(episode)
    out = []
    for eps in by_patient.values():
        scores = load_scores(eps[0].patient)
        for episode in eps:
            course = course_of(episode, scores, rules)
            decision = None
            if course.baseline is not None and course.result is not None:
                decision = booster_due(
                    course.scale_code,
                    course.baseline.total,
                    [(s.on, s.total) for s in course.follow_ups],
                    rise_pct=rise,
                    rules=rules,
                )
            out.append(EpisodeFollowUp(episode.patient, episode, course, decision))
    return out


def relapse_start(course: Course) -> date | None:
    """The date the current run of relapse began, or None if the course is not in relapse."""
    if course.result is None or course.status != CourseStatus.RELAPSE:
        return None
    start = None
    for when, status in reversed(course.result.events):
        if status != CourseStatus.RELAPSE:
            break
        start = when
    return start


def _score_data(item: EpisodeFollowUp) -> dict[str, object]:
    course = item.course
    return {
        "scale": course.scale_code,
        "baseline": course.baseline.total if course.baseline else None,
        "scores": [[s.on.isoformat(), s.total] for s in course.follow_ups][-8:],
        "reasons": list(course.reasons),
    }


def open_task(
    actor: Actor,
    item: EpisodeFollowUp,
    kind: TaskKind,
    key: str,
    title: str,
    data: dict[str, object],
) -> FollowUpTask | None:
    """Create the task unless one with this key exists (returns None then)."""
    clinic_id = item.patient.clinic_id
    if FollowUpTask.objects.filter(clinic_id=clinic_id, key=key).exists():
        return None
    try:
        with transaction.atomic():
            task = FollowUpTask.objects.create(
                clinic_id=clinic_id,
                patient=item.patient,
                episode=item.episode,
                kind=kind,
                key=key,
                title=title,
                data=data,
            )
            record(
                actor,
                "aftercare.task.opened",
                object_type="followup_task",
                object_id=task.pk,
                patient_id=item.patient.pk,
                clinic_id=clinic_id,
                detail={"kind": str(kind), "key": key},
            )
    except IntegrityError:  # another worker opened it a moment ago
        return None
    return task


def detect_followup(now: datetime | None = None) -> dict[str, int]:
    """The schedule pass: open a review task for every episode newly in relapse."""
    now = now or timezone.now()
    totals: Counter[str] = Counter()
    for clinic in Clinic.objects.order_by("pk"):
        for item in episode_followups(clinic):
            start = relapse_start(item.course)
            if start is None:
                continue
            key = f"relapse:{item.episode.pk}:{start.isoformat()}"
            title = (
                f"Relapse on {item.course.scale_name} since {start.isoformat()} "
                f"({item.episode.title}): review the plan"
            )
            if open_task(FOLLOWUP_SYSTEM, item, TaskKind.RELAPSE, key, title, _score_data(item)):
                totals["relapse_tasks_opened"] += 1
    return dict(totals)


@dataclass(frozen=True)
class VisitDue:
    patient: Patient
    plan: TreatmentPlan
    last_session: date
    due_on: date
    interval_days: int


def visits_due(clinic: Clinic, today: date) -> list[VisitDue]:
    """Active plans whose interval since the last session held has passed, nothing booked."""
    zone = clinic_zone(clinic)
    start_of_today = datetime.combine(today, datetime.min.time(), tzinfo=zone)
    rows = []
    plans = TreatmentPlan.objects.filter(
        clinic=clinic,
        status=PlanStatus.ACTIVE,
        frequency_count__gt=0,
        frequency_per_days__gt=0,
    ).select_related("patient")
    for plan in plans:
        assert plan.frequency_count and plan.frequency_per_days
        held = (
            Appointment.objects.filter(
                patient=plan.patient,
                type=AppointmentType.TREATMENT,
                status__in=("checked_in", "completed"),
            )
            .order_by("-starts_at")
            .values_list("starts_at", flat=True)
            .first()
        )
        if held is None:
            continue
        ahead = Appointment.objects.filter(
            patient=plan.patient,
            type__in=(AppointmentType.TREATMENT, AppointmentType.FOLLOW_UP),
            status__in=ACTIVE_STATUSES,
            starts_at__gte=start_of_today,
        ).exists()
        if ahead:
            continue
        interval = max(1, plan.frequency_per_days // plan.frequency_count)
        last = held.astimezone(zone).date()
        due = last + timedelta(days=interval)
        if due <= today:
            rows.append(VisitDue(plan.patient, plan, last, due, interval))
    return sorted(rows, key=lambda r: (r.due_on, r.patient.display_name))


def do_update_task(
    actor: Actor,
    task: FollowUpTask,
    *,
    assigned_to_id: int | None,
    done: bool,
    note: str,
) -> FollowUpTask:
    """Assign, or close with a note (a note is required to close). Closed tasks stay closed."""
    from ketacare.accounts.actions import ActionError

    note = (note or "").strip()
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
        if task.status == TaskStatus.DONE:
            raise ActionError("status", "This task is already done.")
        if done and not note:
            raise ActionError("done_note", "Say what was decided before closing the task.")
        changes: dict[str, object] = {}
        if assigned_to_id != task.assigned_to_id:
            changes["assigned_to"] = [task.assigned_to_id, assigned_to_id]
            task.assigned_to_id = assigned_to_id
        if done:
            task.status = TaskStatus.DONE
            task.done_at = timezone.now()
            task.done_by_id = actor.user_id
            task.done_note = note
            changes["status"] = "done"
        task.save()
        record(
            actor,
            "aftercare.task.updated",
            object_type="followup_task",
            object_id=task.pk,
            patient_id=task.patient_id,
            clinic_id=task.clinic_id,
            detail=changes,
        )
    return task


def today_for(clinic: Clinic) -> date:
    return clinic_today(clinic)
