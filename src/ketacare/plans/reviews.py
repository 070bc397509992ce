"""Plan review points and the stop rule: detecting them, the evidence, and the decision.

- `detect_plan_reviews(now)` — run by the schedule (`measures.tasks.schedule_pass`). For every
  active plan, each review point of its protocol that has been reached becomes a `ReviewTask`
  for the plan's signing prescriber, with the data behind it (`evidence`). A point "after
  session n" is reached `hours_after` the end of the n-th completed treatment appointment of
  the plan; "after week w" at the clinic's midnight `plan.starts_on + w weeks`. The unique
  (plan, code) constraint makes creation race-safe: a second pass or worker gets an
  IntegrityError in a savepoint and moves on. The prescriber gets one email per task.
- The stop rule: a numeric rule (e.g. < 20 % MADRS improvement 24 h after infusion 4, §7c S33)
  makes an extra task (kind "stop_rule") when it fires, or when there is no score since the
  time point (or no baseline) so it cannot be checked — the prescriber still decides. A rule
  without a number (the esketamine week-4 "evidence of benefit", §13) is the prescriber's
  judgement: it is attached to the review point task due at the same time, or becomes its own
  task when no review point coincides.
- Scores: the review point's (or rule's) scale; when it has no total or no baseline was
  recorded on it, PHQ-9 (and the data says so). The baseline is the latest "intake baseline"
  score before the first treatment (else the latest score before it, up to the clinic's
  baseline window earlier: `baseline_lookback_days` of its response rules, 28 by default);
  the score at the time point is the one nearest to the due time among those taken after the
  anchor (the n-th session's end, or the last week for week points).
- `do_decide_review(actor, task, decision, note, values)` — continue / adjust / maintenance /
  stop, in one transaction with the plan change and the audit entry. Every decision is a plan
  revision: "continue" changes no value but is recorded as a review revision
  (`do_record_review`), so the plan's history shows each review.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, User
from ketacare.clinical.protocols import PhaseKind, Protocol
from ketacare.clinical.scales import SCALES
from ketacare.core import submission
from ketacare.measures.course import Score, load_scores
from ketacare.measures.models import Context
from ketacare.measures.response_settings import response_rules_for
from ketacare.measures.scheduling import clinic_zone
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel
from ketacare.plans.actions import (
    do_record_review,
    do_revise_plan,
    do_set_phase,
    do_set_status,
    plan_protocol,
)
from ketacare.plans.models import (
    PlanRevision,
    PlanStatus,
    ReviewDecision,
    ReviewKind,
    ReviewStatus,
    ReviewTask,
    RevisionKind,
    TreatmentPlan,
)

logger = logging.getLogger("ketacare.schedule")

REVIEW_SYSTEM = Actor(label="ketacare-reviews")
STOP_RULE_CODE = "stop_rule"
# clinical.md §12: PHQ-9 is the self-report every patient gives at each visit [PRACTICE].
DEFAULT_SCALE = "phq9"
ADJUST_FIELDS = ("dose_value", "frequency_count", "frequency_per_days", "sessions_planned")


# --- when a point is reached ----------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """A review point or the stop rule, reduced to what detection needs."""

    kind: str
    code: str
    title: str
    what: str
    source: str
    after_session: int | None
    hours_after: int | None
    after_week: int | None
    scale: str | None

    @property
    def timing(self) -> tuple[int | None, int | None, int | None]:
        return (self.after_session, self.hours_after, self.after_week)


def points_of(protocol: Protocol) -> list[Point]:
    points = [
        Point(
            ReviewKind.REVIEW_POINT,
            r.code,
            _title(r.code),
            r.what,
            r.source,
            r.after_session,
            r.hours_after,
            r.after_week,
            r.scale,
        )
        for r in protocol.review_points
    ]
    rule = protocol.stop_rule
    if rule is not None:
        points.append(
            Point(
                ReviewKind.STOP_RULE,
                STOP_RULE_CODE,
                "Stop rule: " + rule.criterion.rstrip("."),
                f"{rule.criterion} {rule.action}",
                rule.source,
                rule.after_session,
                rule.hours_after,
                rule.after_week,
                rule.scale,
            )
        )
    return points


def _title(code: str) -> str:
    return code.replace("_", " ").capitalize()


def reached(
    plan: TreatmentPlan, point: Point, session_ends: list[datetime]
) -> tuple[datetime, datetime] | None:
    """(anchor, due) once the point's time can be known, else None. The anchor is what the
    score must follow: the n-th session's end, or the start of the last week."""
    if point.after_session is not None:
        if len(session_ends) < point.after_session:
            return None
        anchor = session_ends[point.after_session - 1]
        return anchor, anchor + timedelta(hours=point.hours_after or 0)
    if plan.starts_on is None or point.after_week is None:
        return None
    day = plan.starts_on + timedelta(weeks=point.after_week)
    due = datetime.combine(day, time(0), tzinfo=clinic_zone(plan.clinic))
    return due - timedelta(weeks=1), due


def completed_session_ends(plan: TreatmentPlan) -> list[datetime]:
    """End times of the plan's completed treatment appointments, oldest first."""
    from ketacare.scheduling.models import Appointment, AppointmentStatus, AppointmentType

    return list(
        Appointment.objects.filter(
            plan=plan, type=AppointmentType.TREATMENT, status=AppointmentStatus.COMPLETED
        )
        .order_by("starts_at", "pk")
        .values_list("ends_at", flat=True)
    )


def first_session_start(plan: TreatmentPlan) -> datetime | None:
    from ketacare.scheduling.models import Appointment, AppointmentStatus, AppointmentType

    return (
        Appointment.objects.filter(
            plan=plan, type=AppointmentType.TREATMENT, status=AppointmentStatus.COMPLETED
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )


# --- the evidence ---------------------------------------------------------------------------


def _score(score: Score | None) -> dict[str, Any] | None:
    if score is None:
        return None
    return {"total": score.total, "at": score.at.isoformat(), "id": score.pk}


def _improvement(baseline: int, score: int) -> float | None:
    if baseline <= 0:
        return None
    return float(round(Decimal(baseline - score) * 100 / Decimal(baseline), 1))


def _usable_scale(code: str | None) -> bool:
    scale = SCALES.get(code or "")
    return scale is not None and scale.min_total is not None


def evidence(
    plan: TreatmentPlan,
    scale_code: str | None,
    anchor: datetime,
    due: datetime,
    now: datetime,
    sessions_completed: int,
) -> dict[str, Any]:
    """The data behind a task: sessions, baseline, the score at the time point, the latest
    score, and the improvement. JSON-ready."""
    first_dose = first_session_start(plan) or plan.signed_at or now
    notes: list[str] = []
    wanted = scale_code or DEFAULT_SCALE
    codes = [wanted] if wanted == DEFAULT_SCALE else [wanted, DEFAULT_SCALE]
    scores = [s for s in load_scores(plan.patient, codes) if s.at <= now]

    # The clinic's baseline window (its response rules; 28 days by default), as the chart's
    # course uses.
    lookback = timedelta(days=response_rules_for(plan.clinic_id).baseline_lookback_days)

    def baseline_of(code: str) -> Score | None:
        before = [
            s
            for s in scores
            if s.scale_code == code and first_dose - lookback <= s.at <= first_dose
        ]
        marked = [s for s in before if s.context == Context.INTAKE_BASELINE]
        chosen = marked or before
        return chosen[-1] if chosen else None

    code = wanted
    baseline = baseline_of(code) if _usable_scale(code) else None
    if baseline is None and code != DEFAULT_SCALE:
        why = "has no total score" if not _usable_scale(code) else "has no baseline"
        name = SCALES[code].name.split(" (")[0] if code in SCALES else code.upper()
        notes.append(f"{name} {why}: PHQ-9 is used instead.")
        code = DEFAULT_SCALE
        baseline = baseline_of(code)
    name = SCALES[code].name.split(" (")[0]
    after_baseline = [
        s for s in scores if s.scale_code == code and (baseline is None or s.at > baseline.at)
    ]
    since_anchor = [s for s in after_baseline if s.at > anchor]
    at_point = min(since_anchor, key=lambda s: abs(s.at - due), default=None)
    latest = after_baseline[-1] if after_baseline else None
    if baseline is None:
        notes.append(f"No {name} baseline before the first treatment.")
    if at_point is None:
        notes.append(f"No {name} score since the time point: the rule could not be checked.")
    measured = at_point or latest
    improvement = _improvement(baseline.total, measured.total) if baseline and measured else None
    return {
        "sessions_completed": sessions_completed,
        "scale": code,
        "scale_name": name,
        "baseline": _score(baseline),
        "at_time_point": _score(at_point),
        "latest": _score(latest),
        "improvement_pct": improvement,
        "anchor_at": anchor.isoformat(),
        "notes": notes,
    }


# --- the pass -------------------------------------------------------------------------------


def detect_plan_reviews(now: datetime | None = None) -> dict[str, int]:
    """One pass over every active plan. Safe to run twice, or on two workers at once."""
    now = now or timezone.now()
    created = 0
    plans = TreatmentPlan.objects.filter(status=PlanStatus.ACTIVE).select_related(
        "clinic", "patient", "signed_by"
    )
    for plan in plans.order_by("pk"):
        try:
            created += detect_for_plan(plan, now)
        except ValueError:  # a protocol that cannot be read must not stop the others
            logger.exception("plan %s: review detection failed", plan.pk)
    return {"reviews_created": created}


def detect_for_plan(plan: TreatmentPlan, now: datetime) -> int:
    protocol = plan_protocol(plan)
    points = points_of(protocol)
    if not points:
        return 0
    existing = set(ReviewTask.objects.filter(plan=plan).values_list("code", flat=True))
    if all(p.code in existing for p in points):
        return 0
    ends = completed_session_ends(plan)
    rule = protocol.stop_rule
    created = 0
    for point in points:
        if point.code in existing:
            continue
        when = reached(plan, point, ends)
        if when is None or when[1] > now:
            continue
        anchor, due = when
        data = evidence(plan, point.scale, anchor, due, now, len(ends))
        data["what"] = point.what
        data["source"] = point.source
        if point.kind == ReviewKind.STOP_RULE:
            assert rule is not None  # a stop-rule point comes from the rule
            if rule.min_improvement_pct is None:
                # A judgement: it rides on the review point due at the same time, if any.
                if any(p.timing == point.timing for p in points if p is not point):
                    continue
                data["fires"] = None
            else:
                data["threshold_pct"] = float(rule.min_improvement_pct)
                baseline, measured = data["baseline"], data["at_time_point"]
                fires = (
                    rule.fires(baseline["total"], measured["total"])
                    if baseline and measured
                    else None
                )
                if fires is False:
                    continue
                data["fires"] = fires
        elif (
            rule is not None
            and rule.min_improvement_pct is None
            and point.timing == (rule.after_session, rule.hours_after, rule.after_week)
        ):
            data["stop_rule"] = {"criterion": rule.criterion, "action": rule.action}
        if _create_task(plan, point, due, data, now):
            created += 1
    return created


def _create_task(
    plan: TreatmentPlan, point: Point, due: datetime, data: dict[str, Any], now: datetime
) -> ReviewTask | None:
    with transaction.atomic():
        try:
            with transaction.atomic():
                task = ReviewTask.objects.create(
                    clinic=plan.clinic,
                    plan=plan,
                    patient=plan.patient,
                    kind=point.kind,
                    code=point.code,
                    title=point.title[:200],
                    due_at=due,
                    data=data,
                    assigned_to=plan.signed_by,
                    created_at=now,
                )
        except IntegrityError:  # another pass made it first
            return None
        record(
            REVIEW_SYSTEM,
            "plans.review.created",
            object_type="review_task",
            object_id=task.pk,
            patient_id=plan.patient_id,
            clinic_id=plan.clinic_id,
            detail={"plan": plan.pk, "code": point.code, "kind": point.kind},
        )
        prescriber = plan.signed_by
        if prescriber is not None and prescriber.email:
            log = queue_notification(
                channel=Channel.EMAIL,
                to=prescriber.email,
                subject=f"Plan review due at {plan.clinic.name}",
                body=_email_body(task, plan.clinic),
                purpose="plans.review",
                reference=f"reviewtask:{task.pk}",
                clinic=plan.clinic,
            )
            log_id = log.pk
            transaction.on_commit(lambda: _enqueue_delivery(log_id))
    return task


def _email_body(task: ReviewTask, clinic: Clinic) -> str:
    # No patient details by email: the link leads to the signed-in work list.
    url = settings.KETACARE_BASE_URL + reverse("reviews:decide", args=[task.pk])
    kind = (
        "A stop rule needs your decision"
        if task.kind == ReviewKind.STOP_RULE
        else ("A plan review point has been reached")
    )
    return (
        f"{kind} at {clinic.name}: {task.title}.\n\n"
        f"Open it on your work list (sign-in required):\n{url}\n"
    )


def _enqueue_delivery(log_id: int) -> None:
    from ketacare.measures.tasks import send_notification

    send_notification.enqueue(log_id)


# --- the work list --------------------------------------------------------------------------


def open_review_count(clinic: Clinic, user: User | None = None) -> int:
    """Open tasks of the clinic (assigned to `user` when given): for a nav badge."""
    tasks = ReviewTask.objects.filter(clinic=clinic, status=ReviewStatus.OPEN)
    if user is not None:
        tasks = tasks.filter(assigned_to=user)
    return tasks.count()


def maintenance_phase(protocol: Protocol, current: str) -> str | None:
    """The first maintenance phase after the current one (None: the protocol has none, or the
    plan is in it already)."""
    codes = [p.code for p in protocol.phases]
    start = codes.index(current) + 1 if current in codes else 0
    for phase in protocol.phases[start:]:
        if phase.kind == PhaseKind.MAINTENANCE:
            return phase.code
    return None


# --- the decision ---------------------------------------------------------------------------


# What the decision form's one-time key is for (core/submission.py `scope`), with the task.
ONCE_DECISION = "plans.review_decision"


def do_decide_review(
    actor: Actor,
    task: ReviewTask,
    decision: str,
    note: str,
    values: Mapping[str, Any] | None = None,
    *,
    once: str = "",
) -> ReviewTask:
    """Record the prescriber's decision and change the plan accordingly, in one transaction.

    adjust → `do_revise_plan(values, kind=review)`; maintenance → `do_set_phase` to the
    protocol's next maintenance phase; stop → `do_set_status(stopped)` (and the plan's other
    open tasks are closed with it); continue → `do_record_review` (a revision that changes no
    value). `once` is the decision form's one-time submission key (core/submission.py), stored
    with the task: Decide pressed twice decides once and is not refused "already decided"."""
    note = (note or "").strip()
    if decision not in ReviewDecision.values:
        raise ActionError("decision", "Choose continue, adjust, maintenance or stop.")
    if not note:
        raise ActionError("note", "Write a note: why this decision.")
    label = ReviewDecision(decision).label
    with transaction.atomic():
        task = ReviewTask.objects.select_for_update().select_related("plan").get(pk=task.pk)
        if task.status != ReviewStatus.OPEN:
            raise ActionError("decision", "This review has already been decided.")
        plan = task.plan
        if plan.status not in (PlanStatus.ACTIVE, PlanStatus.ON_HOLD):
            raise ActionError("decision", f"The plan is {plan.get_status_display().lower()}.")
        reason = f"{task.title}: {label}. {note}"
        revision: PlanRevision | None
        if decision == ReviewDecision.ADJUST:
            revision = do_revise_plan(actor, plan, values or {}, reason, kind=RevisionKind.REVIEW)
        elif decision == ReviewDecision.MAINTENANCE:
            phase = maintenance_phase(plan_protocol(plan), plan.phase)
            if phase is None:
                raise ActionError("decision", "This plan has no maintenance phase to switch to.")
            revision = do_set_phase(actor, plan, phase, reason)
        elif decision == ReviewDecision.STOP:
            revision = do_set_status(actor, plan, PlanStatus.STOPPED, reason)
        else:
            revision = do_record_review(actor, plan, reason)
        now = timezone.now()
        task.status = ReviewStatus.DECIDED
        task.decision = decision
        task.note = note
        task.decided_by_id = actor.user_id
        task.decided_at = now
        task.revision = revision
        task.save()
        submission.remember(actor, once, submission.scope(ONCE_DECISION, task.pk), task.pk)
        record(
            actor,
            "plans.review.decided",
            object_type="review_task",
            object_id=task.pk,
            patient_id=task.patient_id,
            clinic_id=task.clinic_id,
            detail={
                "plan": plan.pk,
                "code": task.code,
                "decision": decision,
                "revision": revision.number if revision else None,
            },
        )
        if decision == ReviewDecision.STOP:
            others = ReviewTask.objects.filter(plan=plan, status=ReviewStatus.OPEN).exclude(
                pk=task.pk
            )
            for other in others.select_for_update():
                other.status = ReviewStatus.DECIDED
                other.decision = ReviewDecision.STOP
                other.note = f"Closed: the plan was stopped at review “{task.title}”."
                other.decided_by_id = actor.user_id
                other.decided_at = now
                other.revision = revision
                other.save()
    return task
