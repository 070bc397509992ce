"""Logging a day of habits and setting goals (staff, or the patient through the portal).

A day has one log per patient; logging the same day again updates it and the audit entry
keeps what it was before. A goal is never edited: a new target for the same habit ends the
old goal the day before the new one starts. Setting a goal takes `once`, the form's one-time
submission key (core/submission.py): Set pressed twice sets it once, instead of answering the
second press "a goal for this habit already starts on …" as if nothing had been saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.aftercare.days import before_birth, refuse_before_birth, years_ahead
from ketacare.aftercare.models import GOAL_KIND_CHOICES, HabitGoal, HabitLog, HabitSource
from ketacare.clinical.habits import MINUTES_PER_DAY, GoalKind
from ketacare.core import submission
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.models import Patient

LOG_FIELDS = (
    "bed_time",
    "wake_time",
    "active_minutes",
    "activity_kind",
    "drinks",
    "therapy",
    "note",
)
BLANK: dict[str, Any] = {"activity_kind": "", "note": ""}
# What a goal form's one-time key is for (core/submission.py `scope`), with the patient.
ONCE_GOAL = "aftercare.habit_goal"
# The largest target each goal can have: what a week or a day can physically hold, so a slip
# (10000 drinks, 5000 minutes of sleep a night) is caught; not a clinical limit.
GOAL_TARGET_MAX = {
    GoalKind.ACTIVE_MINUTES_WEEK_MIN: 7 * MINUTES_PER_DAY,  # every minute of the week
    GoalKind.DRINKS_WEEK_MAX: 7 * 60,  # a day's log takes at most 60 drinks (forms.py)
    GoalKind.WAKE_WITHIN_MIN: MINUTES_PER_DAY // 2,  # 12 h either side is the whole clock
    GoalKind.SLEEP_AVG_MIN: MINUTES_PER_DAY,  # a night cannot hold more than a day
}
GOAL_TARGET_WHY = {
    GoalKind.ACTIVE_MINUTES_WEEK_MIN: "a week has 10080 minutes",
    GoalKind.DRINKS_WEEK_MAX: "60 a day, 7 days",
    GoalKind.WAKE_WITHIN_MIN: "12 hours either side is the whole day",
    GoalKind.SLEEP_AVG_MIN: "a day has 1440 minutes",
}


def do_log_habits(
    actor: Actor, patient: Patient, values: Mapping[str, Any], *, source: str = HabitSource.STAFF
) -> HabitLog:
    """Save a day (a form's cleaned_data: day plus any of LOG_FIELDS)."""
    day = values.get("day")
    if day is None:
        raise ActionError("day", "Which day is this?")
    if day > clinic_today(patient.clinic):
        raise ActionError("day", "A day in the future cannot be logged yet.")
    refuse_before_birth("day", "The day", day, patient)
    data = {name: values.get(name, BLANK.get(name)) for name in LOG_FIELDS}
    data = {k: (v if v is not None else BLANK.get(k)) for k, v in data.items()}
    if all(v in (None, "") for v in data.values()):
        raise ActionError("day", "Nothing to log: fill in at least one habit.")
    with transaction.atomic():
        log = HabitLog.objects.select_for_update().filter(patient=patient, day=day).first()
        before = {n: str(getattr(log, n)) for n in LOG_FIELDS} if log else None
        if log is None:
            log = HabitLog(clinic_id=patient.clinic_id, patient=patient, day=day)
        for name, value in data.items():
            setattr(log, name, value)
        log.source = source
        log.recorded_by_id = actor.user_id
        log.recorded_at = timezone.now()
        log.full_clean()
        log.save()
        record(
            actor,
            "aftercare.habits.logged",
            object_type="habit_log",
            object_id=log.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"day": day.isoformat(), "source": source, "before": before},
        )
    return log


def goal_problems(patient: Patient, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (field, message) wrong with a new goal, so a page can show them all at once."""
    problems: list[tuple[str, str]] = []
    kind = str(values.get("kind") or "")
    if kind not in [g.value for g in GoalKind]:
        problems.append(("kind", "Choose a goal."))
    target = values.get("target")
    if target is None or target < 0:
        problems.append(("target", "Give a target of 0 or more."))
    elif kind in GOAL_TARGET_MAX and target > GOAL_TARGET_MAX[GoalKind(kind)]:
        label = dict(GOAL_KIND_CHOICES)[kind]
        problems.append(
            (
                "target",
                f"{target} cannot be a target for “{label}”: at most "
                f"{GOAL_TARGET_MAX[GoalKind(kind)]} ({GOAL_TARGET_WHY[GoalKind(kind)]}).",
            )
        )
    starts_on = values.get("starts_on")
    if isinstance(starts_on, date):
        today = clinic_today(patient.clinic)
        for problem in (
            before_birth("The start", starts_on, patient),
            years_ahead("The start", starts_on, today),
        ):
            if problem:
                problems.append(("starts_on", problem))
    return problems


def do_set_goal(
    actor: Actor, patient: Patient, values: Mapping[str, Any], *, once: str = ""
) -> HabitGoal:
    problems = goal_problems(patient, values)
    if problems:
        raise ActionError(*problems[0])
    if actor.user_id is None:
        raise ActionError("actor", "A signed-in clinician sets goals.")
    kind = str(values["kind"])
    target = values["target"]
    starts_on = values.get("starts_on") or clinic_today(patient.clinic)
    with transaction.atomic():
        ended = []
        for old in HabitGoal.objects.select_for_update().filter(
            patient=patient, kind=kind, ends_on__isnull=True
        ):
            if old.starts_on >= starts_on:
                raise ActionError(
                    "starts_on", f"A goal for this habit already starts on {old.starts_on}."
                )
            old.ends_on = starts_on - timedelta(days=1)
            old.ended_by_id = actor.user_id
            old.save(update_fields=["ends_on", "ended_by"])
            ended.append(old.pk)
        goal = HabitGoal.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            kind=kind,
            target=target,
            starts_on=starts_on,
            note=(values.get("note") or "").strip(),
            set_by_id=actor.user_id,
        )
        submission.remember(actor, once, submission.scope(ONCE_GOAL, patient.pk), goal.pk)
        record(
            actor,
            "aftercare.goal.set",
            object_type="habit_goal",
            object_id=goal.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"kind": kind, "target": target, "replaced": ended},
        )
    return goal


def do_end_goal(actor: Actor, goal: HabitGoal) -> HabitGoal:
    with transaction.atomic():
        goal = HabitGoal.objects.select_for_update().get(pk=goal.pk)
        if goal.ends_on is not None:
            raise ActionError("ends_on", "This goal has already ended.")
        today = clinic_today(goal.patient.clinic)
        goal.ends_on = max(today, goal.starts_on)
        goal.ended_by_id = actor.user_id
        goal.save(update_fields=["ends_on", "ended_by"])
        record(
            actor,
            "aftercare.goal.ended",
            object_type="habit_goal",
            object_id=goal.pk,
            patient_id=goal.patient_id,
            clinic_id=goal.clinic_id,
        )
    return goal
