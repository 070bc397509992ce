"""The crisis workflow's actions. Each `do_*` owns its transaction and writes its audit entry
(`safety.crisis.*`, `safety.dosing.*`); a refused input raises `ActionError` naming the field.

A high-risk flag opens a crisis record and a dosing block in the transaction that raised it
(`open_for_flag`, connected to `risk_flag_raised` in `crisis_receivers`), or joins the
patient's open record; closing the record resolves every flag of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.permissions import Perm, actor_may
from ketacare.clinical.crisis_rules import (
    REDO_AFTER_NEW_FLAG,
    Disposition,
    Step,
    close_check,
    disposition_follow_up_check,
    outdated_by_new_flag,
)
from ketacare.core import reasons
from ketacare.core.reasons import is_few_words
from ketacare.measures.models import Assessment, AssessmentStatus
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.models import Patient
from ketacare.safety.crisis_models import (
    CrisisFlag,
    CrisisRecord,
    CrisisStatus,
    CrisisStep,
    DosingBlock,
    SafetyPlanVersion,
)
from ketacare.safety.dosing_block import unevaluated_block_ids
from ketacare.safety.escalation_models import (
    EscalationEvent,
    EscalationState,
    EventKind,
    FlagEscalation,
    StaffNotification,
)
from ketacare.safety.models import FlagStatus, RiskFlag, RiskLevel

CSSRS_CODE = "cssrs_recent"
WORKFLOW_STEPS = (Step.STAY, Step.MEANS, Step.EVALUATION, Step.DISPOSITION, Step.CONTACT)


def _audit(actor: Actor, code: str, crisis: CrisisRecord, detail: dict[str, Any]) -> None:
    record(
        actor,
        code,
        object_type="crisis_record",
        object_id=crisis.pk,
        patient_id=crisis.patient_id,
        clinic_id=crisis.patient.clinic_id,
        detail=detail,
    )


def _block(actor: Actor, patient: Patient, crisis: CrisisRecord, flag: RiskFlag | None) -> None:
    block = DosingBlock.objects.create(
        patient=patient,
        flag=flag,
        crisis=crisis,
        reason=crisis.reason,
        blocked_on=clinic_today(patient.clinic),
    )
    record(
        actor,
        "safety.dosing.blocked",
        object_type="dosing_block",
        object_id=block.pk,
        patient_id=patient.pk,
        clinic_id=patient.clinic_id,
        detail={"crisis": crisis.pk, "flag": flag.pk if flag else None},
    )


def open_for_flag(actor: Actor, flag: RiskFlag) -> CrisisRecord | None:
    """A high-risk flag opens a crisis record and blocks dosing (inside the flag's transaction).

    One crisis episode per patient at a time: while a record of the patient is open, a new
    high flag joins it (`CrisisFlag`) instead of opening a second record to work through and
    close — a portal PHQ-9 with item 9 = 3 and the C-SSRS that follows it are one crisis. The
    flag stays its own record and escalates on its own. A new dosing block is added only when
    every block of the open record has already been cleared: a prescriber's clearance covered
    what was known then, not this new disclosure."""
    if flag.level != RiskLevel.HIGH:
        return None
    patient = flag.patient
    with transaction.atomic():
        # Two high flags at once (the PHQ-9 and the C-SSRS of one visit, two pages) must not
        # both find no open record: the patient row is the lock they queue on. NO KEY UPDATE,
        # so rows that only point at the patient (audit entries, the escalation watcher's
        # notices) are not held up.
        Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
        crisis = (
            CrisisRecord.objects.filter(patient=patient, status=CrisisStatus.OPEN)
            .order_by("opened_at", "pk")
            .first()
        )
        if crisis is not None:
            # The close-out holds this row while it resolves the record's flags: a flag joins
            # a record still open once that is settled, or opens a new one.
            crisis = _locked(crisis)
            if crisis.status == CrisisStatus.OPEN:
                return _join(actor, crisis, flag)
        crisis = CrisisRecord.objects.create(
            patient=patient,
            flag=flag,
            opened_by_id=actor.user_id,
            opened_at=flag.raised_at,
            reason=flag.reason,
        )
        _audit(actor, "safety.crisis.opened", crisis, {"flag": flag.pk, "source": flag.source})
        _block(actor, patient, crisis, flag)
    return crisis


def _join(actor: Actor, crisis: CrisisRecord, flag: RiskFlag) -> CrisisRecord:
    """The flag joins the open record. Its day is blocked whatever happens (clinical.md §16b,
    "block dosing that day"): an uncleared block of the record raised on an earlier day is not
    enough, since clearing that one today would let a dose go ahead on the day of this high
    flag. So a new block is added unless an uncleared block of the record was raised today."""
    CrisisFlag.objects.create(crisis=crisis, flag=flag, joined_at=flag.raised_at)
    _audit(actor, "safety.crisis.flag_joined", crisis, {"flag": flag.pk, "source": flag.source})
    today = clinic_today(crisis.patient.clinic)
    if not DosingBlock.objects.filter(
        crisis=crisis, cleared_at__isnull=True, blocked_on__gte=today
    ).exists():
        _block(actor, crisis.patient, crisis, flag)
    return crisis


def crisis_of(flag: RiskFlag) -> CrisisRecord | None:
    """The crisis record a flag belongs to: the one it opened, or the open one it joined."""
    opened = CrisisRecord.objects.filter(flag_id=flag.pk).first()
    if opened is not None:
        return opened
    link = CrisisFlag.objects.filter(flag_id=flag.pk).select_related("crisis").first()
    return link.crisis if link is not None else None


def crisis_flag_ids(crisis: CrisisRecord) -> list[int]:
    """Every flag of a crisis record: the one that opened it first, then those that joined."""
    joined = list(crisis.joined.values_list("flag_id", flat=True))
    return ([crisis.flag_id] if crisis.flag_id is not None else []) + joined


class OpenCrisisExists(ActionError):
    """The patient already has an open crisis record: new information goes there."""

    def __init__(self, crisis: CrisisRecord, patient: Patient):
        opened = timezone.localtime(crisis.opened_at, clinic_zone(patient.clinic))
        super().__init__(
            "reason",
            f"This patient already has an open crisis record (opened {opened:%Y-%m-%d %H:%M}): "
            "record what is new there (a step or an addendum), or close it first. One crisis "
            "record is open per patient at a time.",
        )
        self.crisis = crisis


def do_open_crisis(actor: Actor, patient: Patient, reason: str) -> CrisisRecord:
    """A clinician opens a crisis record from the chart (no flag needed).

    One crisis episode per patient at a time (as `open_for_flag`): while a record is open,
    a second one is refused, naming it (`OpenCrisisExists`); the same reason sent twice by
    the same person (Open pressed twice) gives back the record the first press opened."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("reason", "Say why the crisis record is opened.")
    with transaction.atomic():
        Patient.objects.select_for_update(no_key=True).filter(pk=patient.pk).first()
        already = (
            CrisisRecord.objects.filter(patient=patient, status=CrisisStatus.OPEN)
            .order_by("opened_at", "pk")
            .first()
        )
        if already is not None:
            if already.reason == reason and already.opened_by_id == actor.user_id:
                return already
            raise OpenCrisisExists(already, patient)
        crisis = CrisisRecord.objects.create(
            patient=patient, opened_by_id=actor.user_id, reason=reason
        )
        _audit(actor, "safety.crisis.opened", crisis, {"flag": None, "source": "manual"})
        _block(actor, patient, crisis, None)
    return crisis


def _locked(crisis: CrisisRecord) -> CrisisRecord:
    # Only the crisis row: without `of`, the joined patient and clinic rows were locked too,
    # and every insert pointing at them (the watcher paging about this patient's flag, any
    # audit entry of the clinic) waited for this transaction.
    locked = CrisisRecord.objects.select_for_update(of=("self",)).select_related("patient__clinic")
    return locked.get(pk=crisis.pk)


# How long before its record opened a step may be dated: a data-entry check (a typo in the
# year or month), not a clinical number.
STEP_BEFORE_OPENING = timedelta(hours=24)


def _when(data: Mapping[str, Any], now: datetime, crisis: CrisisRecord) -> datetime:
    """When a step happened: blank is now; never in the future, and not more than a day
    before the record opened (`STEP_BEFORE_OPENING`): a clinician may raise a flag after
    the event and write down what was already done, but a year typed wrong would put the step
    first on the timeline."""
    value = data.get("occurred_at")
    if value in (None, ""):
        return now
    if not isinstance(value, datetime):
        raise ActionError("occurred_at", "occurred_at: enter a date and time.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + timedelta(minutes=5):
        raise ActionError("occurred_at", "occurred_at: the time cannot be in the future.")
    if value < crisis.opened_at - STEP_BEFORE_OPENING:
        opened = timezone.localtime(crisis.opened_at, clinic_zone(crisis.patient.clinic))
        raise ActionError(
            "occurred_at",
            f"occurred_at: the time is more than a day before this crisis record was opened "
            f"({opened:%Y-%m-%d %H:%M}); check the date.",
        )
    return value


def _follow_up(data: Mapping[str, Any]) -> datetime | None:
    """The disposition's follow-up time, or None when left blank. A time the database cannot
    store (past year 9999 once in UTC) is refused here, naming the field, not a server error;
    `crisis_rules.disposition_follow_up_check` then bounds it for every disposition."""
    value = data.get("follow_up_at")
    if value in ("", None):
        return None
    if not isinstance(value, datetime):
        raise ActionError("follow_up_at", "follow_up_at: enter a date and time.")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ActionError(
            "follow_up_at", "follow_up_at: that date is out of range; check the year."
        ) from None
    return value


def _text(data: Mapping[str, Any], name: str, message: str) -> str:
    value = str(data.get(name) or "").strip()
    if not value:
        raise ActionError(name, message)
    return value


def _cssrs(crisis: CrisisRecord, value: Any) -> Assessment | None:
    """The C-SSRS screen an evaluation links: this patient's, complete, and done for this
    crisis (at or after it opened, or a screen whose flag opened or joined it). An old screen says
    nothing about the risk now (clinical.md §16b: precautions until a clinician evaluates)."""
    if value in (None, ""):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        raise ActionError("assessment", "assessment: choose a C-SSRS screen.") from None
    found = (
        Assessment.objects.filter(patient=crisis.patient_id, pk=pk, scale_code=CSSRS_CODE)
        .exclude(status=AssessmentStatus.ENTERED_IN_ERROR)
        .first()
    )
    if found is None:
        raise ActionError("assessment", "assessment: no such C-SSRS screen on this chart.")
    if not found.complete:
        raise ActionError("assessment", "assessment: that C-SSRS screen is incomplete.")
    # Screens are timed to the minute on the forms, so a crisis opened within the minute counts.
    opened = crisis.opened_at.replace(second=0, microsecond=0)
    triggering = RiskFlag.objects.filter(
        pk__in=crisis_flag_ids(crisis), assessment_id=found.pk
    ).exists()
    if found.administered_at < opened and not triggering:
        raise ActionError(
            "assessment",
            "assessment: that C-SSRS screen was done before this crisis record was opened; "
            "link a screen done for this crisis, or describe the evaluation.",
        )
    return found


def do_record_step(
    actor: Actor, crisis: CrisisRecord, kind: str, data: Mapping[str, Any]
) -> CrisisStep:
    """Record one step of the guided workflow. Steps may be recorded again (the latest counts);
    contacts are repeated rows. Nothing but an addendum is accepted once the record is closed."""
    if kind not in WORKFLOW_STEPS:
        raise ActionError("kind", f"kind: choose one of {', '.join(WORKFLOW_STEPS)}.")
    now = timezone.now()
    with transaction.atomic():
        crisis = _locked(crisis)
        if crisis.status == CrisisStatus.CLOSED:
            raise ActionError("kind", "This crisis record is closed: add an addendum instead.")
        when = _when(data, now, crisis)
        step = CrisisStep(
            record=crisis, kind=kind, occurred_at=when, author_id=actor.user_id, recorded_at=now
        )
        step.note = str(data.get("note") or "").strip()
        if kind == Step.STAY:
            step.who = _text(data, "who", "who: name the person staying with the patient.")
        elif kind == Step.MEANS:
            step.note = _text(data, "note", "note: describe the means restriction.")
        elif kind == Step.EVALUATION:
            step.who = _text(data, "who", "who: name the evaluating clinician.")
            step.assessment = _cssrs(crisis, data.get("assessment"))
            if step.assessment is None and not step.note:
                raise ActionError(
                    "note", "note: link the C-SSRS screen or describe the evaluation."
                )
        elif kind == Step.DISPOSITION:
            disposition = str(data.get("disposition") or "")
            if disposition not in {d.value for d in Disposition}:
                raise ActionError("disposition", "disposition: choose a disposition.")
            follow_up = _follow_up(data)
            # The decision in the clinic's time, so the window a refusal names is the clinic's
            # clock; the follow-up as typed (converting a year-9999 time overflows).
            zone = clinic_zone(crisis.patient.clinic)
            decision = disposition_follow_up_check(disposition, when.astimezone(zone), follow_up)
            if not decision.ok:
                raise ActionError("follow_up_at", "follow_up_at: " + decision.reasons[0])
            step.disposition, step.follow_up_at = disposition, follow_up
            crisis.disposition, crisis.follow_up_at = disposition, follow_up
            crisis.follow_up_reminded_at = None  # a new follow-up time gets its own reminder
            crisis.save(update_fields=["disposition", "follow_up_at", "follow_up_reminded_at"])
        elif kind == Step.CONTACT:
            step.who = _text(data, "who", "who: name who was contacted.")
            step.method = _text(data, "method", "method: say how (phone, in person…).")
        step.save()
        _audit(actor, f"safety.crisis.{kind}", crisis, {"step": step.pk})
    return step


def steps_done(crisis: CrisisRecord) -> set[str]:
    return set(crisis.steps.values_list("kind", flat=True))


def _outdated_steps(crisis: CrisisRecord) -> tuple[datetime | None, tuple[str, ...]]:
    """When the last high-risk flag joined the record (clinic time), and which of the
    evaluation and disposition were done before it (`crisis_rules.outdated_by_new_flag`).
    The latest record of each step counts (steps may be recorded again); an evaluation that
    links the joined flag's own C-SSRS screen took that flag into account."""
    joined = list(
        CrisisFlag.objects.filter(crisis=crisis).values_list("joined_at", "flag__assessment_id")
    )
    if not joined:
        return None, ()
    last_join = max(at for at, _ in joined)
    screens_at = {pk: at for at, pk in joined if pk is not None}
    latest: dict[str, datetime] = {}
    for step in crisis.steps.filter(kind__in=REDO_AFTER_NEW_FLAG).order_by("recorded_at", "pk"):
        when = step.occurred_at
        if step.assessment_id in screens_at:
            when = max(when, screens_at[step.assessment_id])
        latest[step.kind] = when
    zone = clinic_zone(crisis.patient.clinic)
    return last_join.astimezone(zone), outdated_by_new_flag(latest, last_join)


def do_close_crisis(actor: Actor, crisis: CrisisRecord, summary: str) -> CrisisRecord:
    """Close with a summary once every required step is recorded; every flag of the record
    (the one that opened it and those that joined it) is resolved."""
    summary = (summary or "").strip()
    now = timezone.now()
    with transaction.atomic():
        crisis = _locked(crisis)
        if crisis.status == CrisisStatus.CLOSED:
            raise ActionError("summary", "This crisis record is already closed.")
        last_join, outdated = _outdated_steps(crisis)
        decision = close_check(
            steps_done(crisis),
            summary,
            disposition=crisis.disposition,
            plan_in_crisis=SafetyPlanVersion.objects.filter(patient_id=crisis.patient_id)
            .filter(Q(crisis=crisis) | Q(created_at__gte=crisis.opened_at))
            .exists(),
            outdated=outdated,
            last_flag_at=last_join,
            summary_documented=is_few_words(summary),
        )
        if not decision.ok:
            only_summary = len(decision.reasons) == 1 and not is_few_words(summary)
            field = "summary" if only_summary else "steps"
            raise ActionError(field, " ".join(decision.reasons))
        CrisisStep.objects.create(
            record=crisis,
            kind=Step.CLOSE,
            occurred_at=now,
            note=summary,
            author_id=actor.user_id,
            recorded_at=now,
        )
        crisis.status, crisis.closed_at, crisis.closed_by_id = (
            CrisisStatus.CLOSED,
            now,
            actor.user_id,
        )
        crisis.summary = summary
        crisis.save(update_fields=["status", "closed_at", "closed_by", "summary"])
        _audit(actor, "safety.crisis.closed", crisis, {"disposition": crisis.disposition})
        for flag_id in crisis_flag_ids(crisis):
            _resolve_by_close(actor, crisis, flag_id, summary, now)
    return crisis


def _resolve_by_close(
    actor: Actor, crisis: CrisisRecord, flag_id: int, summary: str, now: datetime
) -> None:
    """Closing the crisis resolves each of its flags (the one that opened it and those that
    joined it); one nobody had acknowledged yet is acknowledged by the close-out."""
    # NO KEY UPDATE: it still excludes an acknowledgment at the same moment, but lets the
    # watcher escalating this flag write its events (their foreign key checks the flag) and
    # let go of the escalation row this close-out then stops; FOR UPDATE made the two wait
    # for each other (a deadlock).
    flag = RiskFlag.objects.select_for_update(no_key=True).get(pk=flag_id)
    if flag.status == FlagStatus.RESOLVED:
        return
    flag.status = FlagStatus.RESOLVED
    acknowledging = flag.acknowledged_at is None
    if acknowledging:
        flag.acknowledged_at, flag.acknowledged_by_id = now, actor.user_id
        flag.action_taken = f"Crisis record closed: {summary}"[:2000]
    flag.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "action_taken"])
    if acknowledging:
        _acknowledged_by_close(actor, flag, now)
    record(
        actor,
        "safety.flag.resolved",
        object_type="risk_flag",
        object_id=flag.pk,
        patient_id=flag.patient_id,
        clinic_id=crisis.patient.clinic_id,
        detail={"crisis": crisis.pk},
    )


def _acknowledged_by_close(actor: Actor, flag: RiskFlag, now: datetime) -> None:
    """Closing the crisis acknowledged a flag nobody had acknowledged yet: the same end as
    `escalation.do_acknowledge` — the escalation stops, the in-app notices are read, and the
    acknowledgment is an event on the flag (and so on the risk timeline) and in the audit."""
    FlagEscalation.objects.filter(flag=flag).update(
        state=EscalationState.ACKNOWLEDGED, updated_at=now
    )
    StaffNotification.objects.filter(flag=flag, read_at__isnull=True).update(read_at=now)
    EscalationEvent.objects.create(
        flag=flag,
        clinic_id=flag.patient.clinic_id,
        at=now,
        kind=EventKind.ACKNOWLEDGED,
        actor_id=actor.user_id,
        detail=flag.action_taken,
    )
    record(
        actor,
        "safety.escalation.acknowledged",
        object_type="risk_flag",
        object_id=flag.pk,
        patient_id=flag.patient_id,
        clinic_id=flag.patient.clinic_id,
        detail={"step": 0, "recipient": None, "role": "", "by": "crisis close-out"},
    )


def do_add_addendum(actor: Actor, crisis: CrisisRecord, note: str) -> CrisisStep:
    """A later note on a record (open or closed): the original stays as written."""
    note = (note or "").strip()
    if not note:
        raise ActionError("note", "note: write the addendum.")
    now = timezone.now()
    with transaction.atomic():
        crisis = _locked(crisis)
        step = CrisisStep.objects.create(
            record=crisis,
            kind=Step.ADDENDUM,
            occurred_at=now,
            note=note,
            author_id=actor.user_id,
            recorded_at=now,
        )
        _audit(actor, "safety.crisis.addendum", crisis, {"step": step.pk})
    return step


def may_clear(actor: Actor, clinic_id: int) -> bool:
    """The person may clear blocks in the patient's clinic, read from their membership, not
    from the role the caller states."""
    return actor_may(actor, clinic_id, Perm.DOSING_BLOCK_CLEAR)


def do_clear_dosing_block(actor: Actor, block: DosingBlock, reason: str) -> DosingBlock:
    """A prescriber clears a dosing block with a documented reason. Dosing stays blocked for
    the rest of the day the block was raised (`clinical.crisis_rules.dosing_block`)."""
    reason = (reason or "").strip()
    if not reason:
        raise ActionError("reason", "reason: document why dosing may resume.")
    now = timezone.now()
    with transaction.atomic():
        block = (
            DosingBlock.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=block.pk)
        )
        if not may_clear(actor, block.patient.clinic_id):
            raise ActionError("reason", "Only a prescriber of the clinic may clear a dosing block.")
        if block.cleared_at is not None:
            raise ActionError("reason", "This dosing block is already cleared.")
        # "ok" is not a documented reason: the same few-words floor as any other documented
        # decision (core.reasons).
        if not is_few_words(reason):
            raise ActionError(
                "reason",
                f"reason: document why dosing may resume in a few words ({reasons.FLOOR}).",
            )
        block.cleared_at, block.cleared_by_id, block.clear_reason = now, actor.user_id, reason
        block.save(update_fields=["cleared_at", "cleared_by", "clear_reason"])
        record(
            actor,
            "safety.dosing.cleared",
            object_type="dosing_block",
            object_id=block.pk,
            patient_id=block.patient_id,
            clinic_id=block.patient.clinic_id,
            detail={
                "reason": reason[:300],
                "blocked_on": block.blocked_on.isoformat(),
                # None: the block has no crisis record (raised from a flag alone).
                "crisis_evaluated": None
                if block.crisis_id is None
                else not unevaluated_block_ids([block]),
            },
        )
    return block
