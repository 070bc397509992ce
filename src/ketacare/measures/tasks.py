"""Background tasks (django-tasks, database backend): the measurement schedule and delivery.

- `run_schedule()` — every KETACARE_SCHEDULE_MINUTES (`ketacare worker` keeps one queued):
  generate due items for every clinic, send a link for what is due (one link per patient per
  day, covering all their due scales) and a reminder for overdue items at most once per 24 h,
  flag risk answers left in unfinished forms (`flag_abandoned_risk_answers`), and hand
  failed or lost messages back to delivery.
  Each due item is claimed with a conditional UPDATE on `last_reminded_at` inside the
  transaction that creates the link, so two workers running at once never send it twice.
- `send_notification(log_id)` — deliver one queued message (notify.delivery), and schedule the
  next attempt after a failure (exponential backoff) when the backend can defer tasks.

Import this module only after Django is set up: the @task decorator builds the backend.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django_tasks import task

from ketacare.accounts.models import Clinic
from ketacare.measures.actions import risk_rules_for
from ketacare.measures.models import Context, DueAssessment, DueStatus, RuleKind, SelfReportLink
from ketacare.measures.scheduling import SCHEDULE_SYSTEM as SCHEDULE_ACTOR
from ketacare.measures.scheduling import clinic_today, clinic_zone, generate_due_items
from ketacare.measures.selfreport_actions import (
    ABANDONED_AFTER,
    SELF_REPORT_CODES,
    do_issue_link,
    draft_answers,
    link_sent_since,
    meta,
    risk_decision,
    scheduled_channel,
    set_meta,
)
from ketacare.notify.delivery import deliver, due_for_retry, release_stale
from ketacare.notify.models import NotificationStatus
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag

logger = logging.getLogger("ketacare.schedule")

# An overdue item is reminded at most this often.
REMINDER_EVERY = timedelta(hours=24)


@task()
def run_schedule() -> dict[str, int]:
    return schedule_pass()


@task()
def send_notification(log_id: int) -> str:
    log = deliver(log_id)
    if log is None:
        return "skipped"
    if (
        log.status == NotificationStatus.FAILED
        and log.next_attempt_at is not None
        and send_notification.get_backend().supports_defer
    ):
        send_notification.using(run_after=log.next_attempt_at).enqueue(log_id)
    return str(log.status)


def schedule_pass(now: datetime | None = None) -> dict[str, int]:
    """One run of the schedule over every clinic. Safe to run twice, or on two workers.

    Each step — a clinic's due items, each patient's link, the abandoned-answer sweep,
    appointment reminders, plan reviews, aftercare follow-ups, the message retries — runs on
    its own: an error in one is logged (`failed_steps` counts them) and the others still run,
    so one bad row never stops every reminder and review of the installation."""
    now = now or timezone.now()
    totals: Counter[str] = Counter()

    def step(name: str, work: Callable[[], Any]) -> Any:
        try:
            return work()
        except Exception:
            logger.exception("schedule pass: %s failed; the other steps go on.", name)
            totals["failed_steps"] += 1
            return None

    for clinic in Clinic.objects.order_by("pk"):
        today = clinic_today(clinic, now)
        generated = step(
            f"due items of clinic {clinic.pk}", partial(generate_due_items, clinic, today)
        )
        totals["due_items_created"] += generated.created if generated is not None else 0
        candidates = step(
            f"candidates of clinic {clinic.pk}", partial(due_candidates, clinic, today, now)
        )
        for patient, items in (candidates or {}).items():
            sent = step(
                f"link for patient {patient.pk}",
                partial(send_for_patient, patient, items, today, now),
            )
            totals["links_sent"] += 1 if sent else 0
    totals["unfinished_risk_flags"] += (
        step("abandoned risk answers", partial(flag_abandoned_risk_answers, now)) or 0
    )
    # Appointment reminders and plan review points (imported here: they send through this module).
    from ketacare.aftercare.followup import detect_followup
    from ketacare.plans.reviews import detect_plan_reviews
    from ketacare.scheduling.reminders import send_appointment_reminders

    for name, work in (
        ("appointment reminders", send_appointment_reminders),
        ("plan reviews", detect_plan_reviews),
        ("aftercare follow-ups", detect_followup),
    ):
        totals.update(step(name, partial(work, now)) or {})
    totals["messages_released"] += step("stale messages", partial(release_stale, now)) or 0
    for log_id in step("messages due for retry", partial(due_for_retry, now)) or []:
        step(f"retry of message {log_id}", partial(send_notification.enqueue, log_id))
        totals["messages_retried"] += 1
    logger.info("schedule pass: %s", dict(totals))
    return dict(totals)


def _sendable(today: date, now: datetime) -> Q:
    """Never sent; or overdue and last sent more than 24 h ago."""
    return Q(last_reminded_at__isnull=True) | Q(
        overdue_on__lte=today, last_reminded_at__lt=now - REMINDER_EVERY
    )


def due_candidates(clinic: Clinic, today: date, now: datetime) -> dict[Patient, list]:
    """Open items due by today that need a link or a reminder, grouped by patient."""
    items = (
        DueAssessment.objects.filter(
            clinic=clinic,
            status=DueStatus.OPEN,
            due_on__lte=today,
            scale_code__in=SELF_REPORT_CODES,
        )
        .filter(_sendable(today, now))
        .select_related("patient", "patient__clinic", "rule", "episode")
        .order_by("patient_id", "due_on", "pk")
    )
    grouped: dict[Patient, list] = {}
    by_id: dict[object, Patient] = {}
    for item in items:
        patient = by_id.setdefault(item.patient_id, item.patient)
        grouped.setdefault(patient, []).append(item)
    return grouped


def send_for_patient(
    patient: Patient, items: list[DueAssessment], today: date, now: datetime
) -> bool:
    """Claim the items and send one link covering their scales. False when nothing to send."""
    channel = scheduled_channel(patient)
    if channel is None:
        logger.warning("patient %s has due questionnaires but no email or phone", patient.pk)
        return False
    start_of_day = datetime.combine(today, datetime.min.time(), tzinfo=clinic_zone(patient.clinic))
    new_today = [item for item in items if item.last_reminded_at is None]
    if new_today and len(new_today) == len(items) and link_sent_since(patient, start_of_day):
        # They already have a link from today (staff, or an earlier run): nothing new to send.
        return False
    with transaction.atomic():
        claimed = [item for item in items if _claim(item, today, now)]
        if not claimed:
            return False
        codes = list(dict.fromkeys(item.scale_code for item in claimed))
        baseline = all(item.rule and item.rule.kind == RuleKind.BASELINE for item in claimed)
        pre_session = all(
            item.rule and item.rule.kind == RuleKind.BEFORE_SESSION for item in claimed
        )
        reminder = any(item.last_reminded_at is not None for item in claimed)
        episode = next((item.episode for item in claimed if item.episode), None)
        do_issue_link(
            SCHEDULE_ACTOR,
            patient,
            codes,
            context=Context.INTAKE_BASELINE
            if baseline
            else Context.PRE_SESSION
            if pre_session
            else Context.FOLLOW_UP,
            channel=channel,
            episode=episode,
            reminder=reminder,
            now=now,
        )
    return True


def _claim(item: DueAssessment, today: date, now: datetime) -> bool:
    """The conditional UPDATE that makes one worker the sender of this item.

    On PostgreSQL a second worker's UPDATE waits for the first transaction, then re-checks
    the condition against the committed row and matches nothing; SQLite serialises writers.
    """
    return bool(
        DueAssessment.objects.filter(pk=item.pk, status=DueStatus.OPEN)
        .filter(_sendable(today, now))
        .update(last_reminded_at=now)
    )


# --- unfinished forms ---------------------------------------------------------------------


def flag_abandoned_risk_answers(now: datetime | None = None) -> int:
    """Raise a flag for risk answers left in forms the patient walked away from.

    A submitted questionnaire raises its own flag (do_record_assessment); this covers the
    patient who answers item 9 and closes the page. Once per scale per link.
    """
    now = now or timezone.now()
    raised = 0
    candidates = (
        SelfReportLink.objects.filter(
            completed_at__isnull=True,
            revoked_at__isnull=True,
            created_at__gte=now - timedelta(days=30),
        )
        .exclude(draft={})
        .select_related("patient", "patient__clinic")
    )
    for link in candidates:
        info = meta(link)
        for code, saved in info.get("saved_at", {}).items():
            if code in info.get("submitted", {}) or code in info.get("flagged", []):
                continue
            if now - datetime.fromisoformat(saved) < ABANDONED_AFTER:
                continue
            decision = risk_decision(code, draft_answers(link, code), risk_rules_for(link.patient))
            if decision is None:
                continue
            with transaction.atomic():
                fresh = SelfReportLink.objects.select_for_update(of=("self",)).get(pk=link.pk)
                if code in meta(fresh).get("flagged", []):
                    continue
                do_raise_flag(
                    SCHEDULE_ACTOR,
                    link.patient,
                    level=decision.level,
                    source=decision.source,
                    reason="Left in a self-report form the patient did not send: "
                    + decision.reason,
                    requires_cssrs=decision.requires_cssrs,
                )
                set_meta(fresh, flagged=[*meta(fresh).get("flagged", []), code])
                fresh.save(update_fields=["draft"])
            raised += 1
    return raised


# --- keeping the schedule queued (used by `ketacare worker`) ----------------------------------


def schedule_interval() -> timedelta:
    return timedelta(minutes=max(1, int(settings.KETACARE_SCHEDULE_MINUTES)))


def ensure_schedule_enqueued(now: datetime | None = None) -> bool:
    """Make sure exactly one future `run_schedule` is waiting in the database queue.

    The queue is the schedule's memory: after a restart the worker finds the waiting run (or
    the time of the last one) and carries on. Returns True when it enqueued a run.
    """
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    path = run_schedule.module_path
    runs = DBTaskResult.objects.filter(task_path=path)
    if runs.filter(status=TaskResultStatus.READY).exists():
        return False
    last_start = runs.aggregate(last=Max("started_at"))["last"]
    due = max(now, last_start + schedule_interval()) if last_start else now
    run_schedule.using(run_after=due).enqueue()
    return True
