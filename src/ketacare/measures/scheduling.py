"""The measurement schedule: turning a clinic's rules into due items, and measuring completeness.

- `DEFAULT_RULES` / `ensure_default_rules(clinic)`: the schedule a clinic starts with (each
  line cites its source); seeded the first time a clinic has no rules at all.
- `generate_due_items(clinic, today)`: materialises what is due for every active episode, and
  for the calendar rules (`calendar_rules`: before every treatment session, during
  maintenance). Idempotent: the unique constraint on (patient, scale, due date, rule) means
  running it twice, or on two workers at once, never makes a second item.
- `sync_session_items(patient)`: the same for one patient's before-session items, for the
  scheduling actions to call when an appointment is booked, moved or cancelled.
- `on_assessment_recorded(assessment)`: runs inside the transaction that stored an assessment
  (PHQ-9 item 9 above 0 makes the "after item 9" scales due today).
- `completeness(patient)`: completed / (completed + missed) over recent due items.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.measures import calendar_rules
from ketacare.measures.calendar_rules import Candidate
from ketacare.measures.models import (
    Assessment,
    AssessmentStatus,
    DueAssessment,
    DueStatus,
    EpisodeOfCare,
    EpisodeStatus,
    RuleKind,
    ScheduleRule,
)
from ketacare.patients.models import Diagnosis, DiagnosisStatus, Patient

# A missed scheduler run (worker stopped) is caught up for due dates this far back; older
# dates are not materialised, so a rule added today does not create weeks of overdue items.
CATCH_UP_DAYS = 14
# An assessment taken up to this long before an episode starts counts as its baseline
# (baseline scales are often given at the intake evaluation, before the episode is opened).
BASELINE_LOOKBACK_DAYS = 14
# Completeness looks back this far by default.
COMPLETENESS_DAYS = 90


SCHEDULE_SYSTEM = Actor(label="ketacare-schedule")


@dataclass(frozen=True)
class DefaultRule:
    scale_code: str
    kind: str
    interval_days: int | None
    grace_days: int
    diagnosis_prefixes: str
    source: str


# Sources: shared/reference/clinical.md. §2: baseline rating scales before the first dose
# (PHQ-9, C-SSRS, GAD-7 or PCL-5 as indicated) [PRACTICE] P6, S24. §16a: screen for suicide
# risk at intake [GUIDELINE] and a C-SSRS the same day PHQ-9 item 9 is ≥1 [PRACTICE] S47.
# §12: assessment at each maintenance visit (weekly maintenance, §5) and monthly in follow-up
# [EVIDENCE/PRACTICE] S30, S33, S4. PCL-5 for PTSD (ICD-10-CM F43.1x), §12/§15a. Grace days are
# platform defaults, not from a source: a clinic edits them on /measures/schedule/.
DEFAULT_RULES: tuple[DefaultRule, ...] = (
    DefaultRule("phq9", RuleKind.BASELINE, None, 3, "", "clinical.md §2 baseline"),
    DefaultRule("gad7", RuleKind.BASELINE, None, 3, "", "clinical.md §2 baseline"),
    DefaultRule("cssrs_recent", RuleKind.BASELINE, None, 1, "", "clinical.md §16a intake"),
    DefaultRule("pcl5", RuleKind.BASELINE, None, 3, "F43.1", "clinical.md §2, §15a PTSD"),
    DefaultRule("phq9", RuleKind.INTERVAL, 7, 2, "", "clinical.md §12 each (weekly) visit"),
    DefaultRule("gad7", RuleKind.INTERVAL, 7, 2, "", "clinical.md §12 each (weekly) visit"),
    DefaultRule("pcl5", RuleKind.INTERVAL, 28, 3, "F43.1", "clinical.md §12 monthly, PTSD"),
    # PHQ-9 on the day of every treatment session: §12 (24 h after each induction dose, each
    # maintenance visit) and §16a (suicide-risk screen every visit, item 9). Overdue the day
    # after: a pre-session score not taken by then was missed.
    DefaultRule("phq9", RuleKind.BEFORE_SESSION, None, 1, "", "clinical.md §12, §16a each visit"),
    # Same day: a C-SSRS screen is required before the next dose (clinical.md §16a).
    DefaultRule("cssrs_recent", RuleKind.AFTER_ITEM9, None, 0, "", "clinical.md §16a"),
)


def clinic_today(clinic: Clinic, now: datetime | None = None) -> date:
    """Today's date where the clinic is (a due date is a calendar day at the clinic)."""
    return timezone.localtime(now or timezone.now(), clinic_zone(clinic)).date()


def clinic_zone(clinic: Clinic) -> ZoneInfo:
    try:
        return ZoneInfo(clinic.time_zone)
    except (ValueError, KeyError):  # an unknown zone name falls back to the server's
        return ZoneInfo(str(timezone.get_current_timezone()))


def ensure_default_rules(clinic: Clinic, actor: Actor = SCHEDULE_SYSTEM) -> bool:
    """Seed DEFAULT_RULES when the clinic has no rules at all (disabled rules count as rules).

    Returns True when it seeded. The clinic row is locked so two workers seed only once.
    """
    if ScheduleRule.objects.filter(clinic=clinic).exists():
        return False
    with transaction.atomic():
        Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
        if ScheduleRule.objects.filter(clinic=clinic).exists():
            return False
        record(
            actor,
            "measures.schedule.defaults_seeded",
            object_type="clinic",
            object_id=clinic.pk,
            clinic_id=clinic.pk,
            detail={"rules": len(DEFAULT_RULES)},
        )
        ScheduleRule.objects.bulk_create(
            ScheduleRule(
                clinic=clinic,
                scale_code=rule.scale_code,
                kind=rule.kind,
                interval_days=rule.interval_days,
                grace_days=rule.grace_days,
                diagnosis_prefixes=rule.diagnosis_prefixes,
            )
            for rule in DEFAULT_RULES
        )
    return True


def do_add_rule(actor: Actor, clinic: Clinic, data: dict[str, Any]) -> ScheduleRule:
    with transaction.atomic():
        rule = ScheduleRule.objects.create(clinic=clinic, **data)
        record(
            actor,
            "measures.schedule.rule_added",
            object_type="schedule_rule",
            object_id=rule.pk,
            clinic_id=clinic.pk,
            detail={
                "scale": rule.scale_code,
                "kind": rule.kind,
                "interval_days": rule.interval_days,
                "grace_days": rule.grace_days,
                "diagnosis_prefixes": rule.diagnosis_prefixes,
            },
        )
    return rule


def do_set_rule_active(actor: Actor, rule: ScheduleRule, active: bool) -> int:
    """Enable or disable a rule. Disabling cancels its open due items (they were a mistake or
    are no longer wanted); completed ones stay. Returns how many items were cancelled."""
    with transaction.atomic():
        rule.is_active = active
        rule.save(update_fields=["is_active"])
        cancelled = 0
        if not active:
            cancelled = DueAssessment.objects.filter(rule=rule, status=DueStatus.OPEN).update(
                status=DueStatus.CANCELLED
            )
        record(
            actor,
            "measures.schedule.rule_enabled" if active else "measures.schedule.rule_disabled",
            object_type="schedule_rule",
            object_id=rule.pk,
            clinic_id=rule.clinic_id,
            detail={"scale": rule.scale_code, "kind": rule.kind, "cancelled_items": cancelled},
        )
    return cancelled


def parse_prefixes(text: str) -> tuple[str, ...]:
    """'F43.1, f33' -> ('F431', 'F33'): upper case, dots dropped, so 'F43.10' matches 'F43.1'."""
    return tuple(p.strip().upper().replace(".", "") for p in (text or "").split(",") if p.strip())


def matches_prefixes(codes: list[str], prefixes: tuple[str, ...]) -> bool:
    if not prefixes:
        return True
    return any(code.upper().replace(".", "").startswith(prefixes) for code in codes)


def rule_due_dates(rule: ScheduleRule, started_on: date, today: date) -> list[date]:
    """The due dates of one rule for an episode started on `started_on`, from the catch-up
    window up to today (inclusive). Baseline: the start date. Interval: every N days after it."""
    earliest = max(started_on, today - timedelta(days=CATCH_UP_DAYS))
    if rule.kind == RuleKind.BASELINE:
        return [started_on] if earliest <= started_on <= today else []
    if rule.kind == RuleKind.INTERVAL and rule.interval_days:
        step = rule.interval_days
        # First multiple of the interval on or after `earliest` (k ≥ 1: k = 0 is baseline).
        k = max(1, -(-(earliest - started_on).days // step))
        dates = []
        due = started_on + timedelta(days=k * step)
        while due <= today:
            dates.append(due)
            due += timedelta(days=step)
        return dates
    return []


def lookback_days(rule: ScheduleRule) -> int:
    """How early an assessment may be taken and still count for a due date of this rule."""
    if rule.kind == RuleKind.BASELINE:
        return BASELINE_LOOKBACK_DAYS
    if rule.kind in (RuleKind.INTERVAL, RuleKind.MAINTENANCE):
        step = rule.interval_days or calendar_rules.MAINTENANCE_DEFAULT_DAYS
        return step // 2
    # Before a session: taken that day (a score from days before is not "pre-session").
    return 0


@dataclass(frozen=True)
class GenerationResult:
    created: int
    already_done: int
    cancelled: int


def generate_due_items(clinic: Clinic, today: date | None = None) -> GenerationResult:
    """Materialise the clinic's due items up to `today` for every active episode of care, and
    the calendar rules (before every session, during maintenance: `calendar_rules`)."""
    today = today or clinic_today(clinic)
    ensure_default_rules(clinic)
    # Items of episodes that have been closed are no longer expected of the patient.
    cancelled = DueAssessment.objects.filter(
        clinic=clinic, status=DueStatus.OPEN, episode__status=EpisodeStatus.CLOSED
    ).update(status=DueStatus.CANCELLED)
    rules = list(
        ScheduleRule.objects.filter(
            clinic=clinic,
            is_active=True,
            kind__in=[RuleKind.BASELINE, RuleKind.INTERVAL, *calendar_rules.CALENDAR_KINDS],
        )
    )
    if not rules:
        return GenerationResult(0, 0, cancelled)
    episodes = list(
        EpisodeOfCare.objects.filter(
            patient__clinic=clinic, status=EpisodeStatus.ACTIVE, started_on__lte=today
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .order_by("started_on", "pk")
        .values_list("pk", "patient_id", "started_on")
    )
    allowed = _diagnosis_filter(clinic, rules)
    candidates: list[Candidate] = []
    for episode_id, patient_id, started_on in episodes:
        for rule in rules:
            if rule.kind in calendar_rules.CALENDAR_KINDS or not allowed(rule, patient_id):
                continue
            for due_on in rule_due_dates(rule, started_on, today):
                candidates.append(
                    Candidate(patient_id, episode_id, rule, due_on, _reason(rule, due_on))
                )
    # The calendar rules attach the patient's latest active episode, when there is one.
    episode_of = {patient_id: episode_id for episode_id, patient_id, _ in episodes}
    earliest = today - timedelta(days=CATCH_UP_DAYS)
    zone = clinic_zone(clinic)
    for result in (
        calendar_rules.session_candidates(
            clinic.pk,
            [r for r in rules if r.kind == RuleKind.BEFORE_SESSION],
            today,
            earliest,
            zone,
            episode_of,
            allowed,
        ),
        calendar_rules.maintenance_candidates(
            clinic.pk,
            [r for r in rules if r.kind == RuleKind.MAINTENANCE],
            today,
            earliest,
            zone,
            episode_of,
            allowed,
        ),
    ):
        candidates.extend(result.candidates)
        cancelled += result.withdrawn
    created, already_done = _materialise(clinic, candidates)
    return GenerationResult(created, already_done, cancelled)


def _diagnosis_filter(clinic: Clinic, rules: list[ScheduleRule]) -> Any:
    """allowed(rule, patient_id): does the patient have a diagnosis the rule is limited to?"""
    codes: dict[object, list[str]] = defaultdict(list)
    if any(rule.diagnosis_prefixes.strip() for rule in rules):
        for patient_id, code in Diagnosis.objects.filter(
            patient__clinic=clinic, status=DiagnosisStatus.ACTIVE
        ).values_list("patient_id", "icd10_code"):
            codes[patient_id].append(code)
    prefixes = {rule.pk: parse_prefixes(rule.diagnosis_prefixes) for rule in rules}

    def allowed(rule: ScheduleRule, patient_id: object) -> bool:
        return matches_prefixes(codes.get(patient_id, []), prefixes[rule.pk])

    return allowed


def _materialise(clinic: Clinic, candidates: list[Candidate]) -> tuple[int, int]:
    """Create the candidates that do not exist yet; (created open, created already done)."""
    if not candidates:
        return 0, 0
    earliest = min(c.due_on for c in candidates)
    rules = {c.rule.pk: c.rule for c in candidates}
    existing = set(
        DueAssessment.objects.filter(
            clinic=clinic, due_on__gte=earliest, rule__in=list(rules)
        ).values_list("patient_id", "rule_id", "due_on")
    )
    done = _recent_assessments(clinic, earliest - timedelta(days=BASELINE_LOOKBACK_DAYS))
    new_items = []
    already_done = 0
    for c in candidates:
        if (c.patient_id, c.rule.pk, c.due_on) in existing:
            continue
        existing.add((c.patient_id, c.rule.pk, c.due_on))
        fulfilled = _first_on_or_after(
            done.get((c.patient_id, c.rule.scale_code), []),
            c.due_on - timedelta(days=lookback_days(c.rule)),
        )
        already_done += fulfilled is not None
        new_items.append(
            DueAssessment(
                patient_id=c.patient_id,
                clinic=clinic,
                scale_code=c.rule.scale_code,
                rule=c.rule,
                episode_id=c.episode_id,
                appointment_id=c.appointment_id,
                due_on=c.due_on,
                overdue_on=c.due_on + timedelta(days=c.rule.grace_days),
                reason=c.reason[:200],
                status=DueStatus.COMPLETED if fulfilled else DueStatus.OPEN,
                completed_by_id=fulfilled,
            )
        )
    # ignore_conflicts: another worker may have created the same item a moment ago.
    DueAssessment.objects.bulk_create(new_items, batch_size=500, ignore_conflicts=True)
    return len(new_items) - already_done, already_done


def sync_session_items(patient: Patient, today: date | None = None) -> int:
    """Bring one patient's before-session items in line with their appointments now.

    For the scheduling actions to call (inside their transaction) after booking, cancelling,
    rescheduling or marking a no-show, so the chart is right before the next schedule pass.
    Returns how many items were created, withdrawn or reopened.
    """
    clinic = patient.clinic
    today = today or clinic_today(clinic)
    rules = list(
        ScheduleRule.objects.filter(clinic=clinic, is_active=True, kind=RuleKind.BEFORE_SESSION)
    )
    if not rules:
        return 0
    episode = (
        EpisodeOfCare.objects.filter(
            patient=patient, status=EpisodeStatus.ACTIVE, started_on__lte=today
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .order_by("-started_on", "-pk")
        .values_list("pk", flat=True)
        .first()
    )
    result = calendar_rules.session_candidates(
        clinic.pk,
        rules,
        today,
        today - timedelta(days=CATCH_UP_DAYS),
        clinic_zone(clinic),
        {patient.pk: episode} if episode else {},
        _diagnosis_filter(clinic, rules),
        patient_id=patient.pk,
    )
    created, done = _materialise(clinic, result.candidates)
    return created + done + result.withdrawn + result.reopened


def _reason(rule: ScheduleRule, due_on: date) -> str:
    """Why an episode rule's item is due (calendar rules write their own)."""
    if rule.kind == RuleKind.BASELINE:
        return "Baseline at the start of the episode of care"
    return f"Every {rule.interval_days} days during the episode of care"


def _recent_assessments(clinic: Clinic, since: date) -> dict[tuple[object, str], list]:
    """(patient, scale) -> [(local date, assessment id)] of complete, valid assessments."""
    zone = clinic_zone(clinic)
    start = datetime.combine(since, datetime.min.time(), tzinfo=zone)
    found: dict[tuple[object, str], list] = defaultdict(list)
    rows = (
        Assessment.objects.filter(
            patient__clinic=clinic,
            status=AssessmentStatus.FINAL,
            complete=True,
            administered_at__gte=start,
        )
        .order_by("administered_at")
        .values_list("patient_id", "scale_code", "administered_at", "pk")
    )
    for patient_id, scale_code, when, pk in rows:
        found[(patient_id, scale_code)].append((timezone.localtime(when, zone).date(), pk))
    return found


def _first_on_or_after(dated: list, since: date) -> int | None:
    return next((pk for day, pk in dated if day >= since), None)


def on_assessment_recorded(assessment: Assessment) -> None:
    """PHQ-9 item 9 above 0 makes every 'after item 9' rule's scale (C-SSRS) due today."""
    if assessment.scale_code != "phq9" or not assessment.answers.get("phq9-9"):
        return
    patient = assessment.patient
    clinic = patient.clinic
    today = clinic_today(clinic)
    wanted = ScheduleRule.objects.filter(
        clinic_id=patient.clinic_id, kind=RuleKind.AFTER_ITEM9, is_active=True
    )
    rules = list(wanted)
    # A clinic that has never opened its schedule page still gets the C-SSRS follow-up (a
    # clinic with rules but none of this kind active chose so: seeding does nothing there).
    if not rules and ensure_default_rules(clinic):
        rules = list(wanted.all())
    for rule in rules:
        DueAssessment.objects.get_or_create(
            patient=patient,
            scale_code=rule.scale_code,
            due_on=today,
            rule=rule,
            defaults={
                "clinic_id": patient.clinic_id,
                "episode": assessment.episode,
                "overdue_on": today + timedelta(days=rule.grace_days),
                "reason": f"PHQ-9 item 9 answered {assessment.answers['phq9-9']} "
                f"on {assessment.administered_at:%Y-%m-%d}",
                "status": DueStatus.OPEN,
            },
        )


@dataclass(frozen=True)
class Completeness:
    """Share of due assessments actually completed, with the counts it comes from."""

    completed: int
    missed: int
    days: int

    @property
    def percent(self) -> int | None:
        total = self.completed + self.missed
        return round(100 * self.completed / total) if total else None

    @property
    def explanation(self) -> str:
        if self.percent is None:
            return f"Nothing was due (and past its grace days) in the last {self.days} days."
        return (
            f"{self.completed} of {self.completed + self.missed} due assessments completed in the "
            f"last {self.days} days; open items count as missed once overdue."
        )


def completeness(
    patient: Patient, today: date | None = None, days: int = COMPLETENESS_DAYS
) -> Completeness:
    """completed / (completed + open past their overdue date), items due in the last `days`.

    Open items not yet overdue are not counted either way; cancelled items are ignored.
    """
    today = today or clinic_today(patient.clinic)
    counts = DueAssessment.objects.filter(
        patient=patient, due_on__gt=today - timedelta(days=days), due_on__lte=today
    ).aggregate(
        completed=Count("pk", filter=Q(status=DueStatus.COMPLETED)),
        missed=Count("pk", filter=Q(status=DueStatus.OPEN, overdue_on__lte=today)),
    )
    return Completeness(counts["completed"] or 0, counts["missed"] or 0, days)


def due_state(item: DueAssessment, today: date) -> str:
    """'overdue', 'due' or 'upcoming' for an open item; its status otherwise."""
    if item.status != DueStatus.OPEN:
        return str(item.status)
    if item.overdue_on <= today:
        return "overdue"
    if item.due_on <= today:
        return "due"
    return "upcoming"
