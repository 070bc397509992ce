"""Escalation that cannot be missed.

A new flag (signal `risk_flag_raised`, inside the transaction that raised it) records a
"raised" event and at once notifies the patient's prescriber and whoever is on call: an in-app
notification, an email and a text message (notify backend: logged, retried with backoff,
failures visible on the flag). Unacknowledged by its due time (clinical/escalation.py, clinic
settings), the worker's watch pass (`escalate_due`, every KETACARE_WATCH_SECONDS) moves it to
the first person on the clinic's escalation list (as it is then) not yet paged, then to the
director (or records that there is none). Only people who may acknowledge flags are paged
(`rota`). Every step is an EscalationEvent and an audit entry.

Restart-safe: all state is in FlagEscalation rows (step, due_at); a flag raised while the
worker was down is simply due when it starts, and an open flag without a row (its receiver
failed, or it was written directly) is picked up by the watcher. Two workers: each step is
claimed with a conditional UPDATE on (step, due_at, state), so only one of them pages anybody.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import User
from ketacare.clinical.escalation import LOOK_AHEAD_DAYS, EscalationPolicy, escalation_due
from ketacare.core import reasons
from ketacare.core.reasons import is_few_words
from ketacare.measures.scheduling import clinic_zone
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel, NotificationLog
from ketacare.safety.escalation_models import (
    EscalationEvent,
    EscalationState,
    EventKind,
    FlagEscalation,
    StaffAlertContact,
    StaffNotification,
)
from ketacare.safety.models import FlagStatus, RiskFlag, RiskLevel
from ketacare.safety.rota import (
    closed_dates,
    director_of,
    escalation_list,
    on_call_at,
    patient_prescriber,
    policy_for,
)

logger = logging.getLogger("ketacare.safety")

SYSTEM = Actor(label="ketacare-escalation")
PURPOSE = "safety.flag"
# Rows per query when a watch pass reads flags and due escalations; a pass reads them all.
BATCH = 200


NOTIFICATION_TEXT_MAX = StaffNotification._meta.get_field("text").max_length or 300


def flag_reference(flag_id: int) -> str:
    return f"riskflag:{flag_id}"


@dataclass(frozen=True)
class Target:
    user: User
    role: str


DIRECTOR = "director"
DIRECTOR_REPEAT = f"{DIRECTOR} (repeat page)"


@dataclass(frozen=True)
class StepPlan:
    """Who one step pages. `director_step`: the director's step, the last rung (its targets
    hold no director when there is none to page: the step records so)."""

    targets: list[Target]
    director_step: bool = False


# --- who, at which step -----------------------------------------------------------------------


def targets_for_step(
    flag: RiskFlag,
    step: int,
    now: datetime,
    *,
    told: Collection[int] = (),
    director_done: bool = False,
) -> StepPlan | None:
    """Step 1: prescriber and on-call. Each later step: the first person on the escalation
    list as it is now (in order) who has not been paged in this escalation (`told`), so a list
    edited, reordered or left by someone already paged never skips anyone; once everyone on it
    has been paged, the director (unless `director_done`). None: there is no such step
    (everyone has been paged)."""
    clinic = flag.patient.clinic
    if step <= 1:
        found = []
        prescriber = patient_prescriber(flag.patient, pageable=True)
        if prescriber is not None:
            found.append(Target(prescriber, "patient's prescriber"))
        found += [Target(u, "on call") for u in on_call_at(clinic, now)]
        unique: dict[int, Target] = {}
        for target in found:
            unique.setdefault(target.user.pk, target)
        return StepPlan(list(unique.values()))
    listed = escalation_list(clinic)
    # Whoever is on call now is told too if they were not yet (the shift changed since the
    # flag was raised: a high flag at 17:59 must reach the 18:00 on-call clinician, a low
    # flag of Friday evening the one on call on Monday morning). `_advance` skips anyone told.
    on_call_now = [Target(u, "on call now") for u in on_call_at(clinic, now)]
    for position, user in enumerate(listed, start=1):
        if user.pk not in told:
            return StepPlan([Target(user, f"escalation list #{position}"), *on_call_now])
    if not director_done:
        director = director_of(clinic)
        head = [Target(director, DIRECTOR)] if director is not None else []
        return StepPlan(head + on_call_now, director_step=True)
    return None


# --- starting and advancing -------------------------------------------------------------------


def on_flag_raised(sender: Any, flag: RiskFlag, **kwargs: Any) -> None:
    """Signal receiver. A failure here never undoes the flag: it is logged, and the watcher
    starts the escalation on its next pass (open flag without an escalation row)."""
    try:
        with transaction.atomic():
            # Raised in this very transaction: open, and nobody else can have acknowledged it.
            start_escalation(flag, just_raised=True)
    except Exception:
        logger.exception("Escalation of flag %s could not start; the watch pass retries.", flag.pk)


def start_escalation(
    flag: RiskFlag, now: datetime | None = None, *, just_raised: bool = False
) -> FlagEscalation | None:
    """Create the escalation row and run step 1 (prescriber + on call) now. None when another
    process already started it, or the flag is no longer open.

    The watcher's orphans were read before this transaction: the flag is re-read under a row
    lock, so one acknowledged (or resolved) since is never paged and gets no escalation row,
    and an acknowledgment arriving meanwhile waits for this row and then stops it.
    `just_raised`: the caller raised the flag in this transaction (the signal), no re-read."""
    now = now or timezone.now()
    if just_raised:
        return _start(flag, now)
    with transaction.atomic():  # the lock lasts until the row and step 1 are written
        still_open = list(
            RiskFlag.objects.select_for_update(no_key=True)
            .filter(pk=flag.pk, status=FlagStatus.OPEN)
            .values_list("pk", flat=True)
        )
        if not still_open:
            return None
        return _start(flag, now)


def _start(flag: RiskFlag, now: datetime) -> FlagEscalation | None:
    policy = policy_for(flag.patient.clinic)
    try:
        with transaction.atomic():
            escalation = FlagEscalation.objects.create(
                flag=flag,
                clinic_id=flag.patient.clinic_id,
                step=1,
                due_at=_next_due(flag, now, policy),
                updated_at=now,
            )
    except IntegrityError:
        return None
    _event(flag, EventKind.RAISED, 0, now, detail=f"{flag.get_level_display()}: {flag.reason}")
    # Nobody can have been told yet: notices are sent only by `_advance`, under this row.
    _advance(escalation, flag, 1, now, told=set(), policy=policy)
    return escalation


def _next_due(flag: RiskFlag, now: datetime, policy: EscalationPolicy) -> datetime:
    """When the step taken now escalates if nobody acknowledges (clinical.escalation). A low
    flag counts business days, so the clinic's closures are read for it (only for it: high and
    moderate delays are elapsed time, and a high flag's submission pays no query for them)."""
    clinic = flag.patient.clinic
    local_now = timezone.localtime(now, clinic_zone(clinic))
    closed: frozenset[date] = frozenset()
    if flag.level == RiskLevel.LOW:
        closed = closed_dates(clinic, local_now.date(), LOOK_AHEAD_DAYS)
    return escalation_due(flag.level, local_now, policy, closed).at


@dataclass
class _Paged:
    """What an escalation has done so far (from its events)."""

    told: set[int]
    # None: the director's step has not come; True: the director was paged; False: there
    # was none to page.
    director: bool | None = None


def _paged_so_far(flag: RiskFlag) -> _Paged:
    paged = _Paged(told=set())
    for kind, recipient_id, role in EscalationEvent.objects.filter(
        flag=flag, kind__in=[EventKind.NOTIFIED, EventKind.ESCALATED, EventKind.NOBODY]
    ).values_list("kind", "recipient_id", "role"):
        if kind != EventKind.NOBODY and recipient_id is not None:
            paged.told.add(recipient_id)
        if role in (DIRECTOR, DIRECTOR_REPEAT):
            paged.director = paged.director or kind != EventKind.NOBODY
    return paged


NO_DIRECTOR = (
    "No director to page: none is set in Safety settings who still works here in a role that "
    "may acknowledge flags, and the clinic has no other director."
)


def _exhausted_text(paged: _Paged, listed: int) -> str:
    """What the last event says: only what happened (each case its own sentence)."""
    if not paged.told:
        return (
            "Nobody could be paged: no prescriber on file, nobody on call, nobody on the "
            "escalation list and no director (or none of them may acknowledge flags). The banner "
            "stays until someone acknowledges; set up the rota and the escalation list (Safety "
            "settings)."
        )
    stays = "the banner stays until someone acknowledges."
    if paged.director:
        if listed:
            return f"Everyone on the escalation list and the director has been paged; {stays}"
        return f"The escalation list is empty; the director has been paged; {stays}"
    if listed:
        return (
            "Everyone on the escalation list has been paged, but there was no director to "
            f"page; {stays} Set the director in Safety settings."
        )
    return (
        "The escalation list is empty and there was no director to page: only the people told "
        f"(prescriber, on call) were paged; {stays} Set up the escalation list and the "
        "director (Safety settings)."
    )


def _advance(
    escalation: FlagEscalation,
    flag: RiskFlag,
    step: int,
    now: datetime,
    *,
    told: set[int] | None = None,
    policy: EscalationPolicy | None = None,
) -> None:
    """Notify the first step from `step` on that has someone not yet told; set the next due
    time, or mark the escalation exhausted. The caller holds the claim on this step.
    `told`: who was notified already, when the caller knows (a new escalation: nobody, and no
    director step yet; else read from the events); `policy`: the clinic's escalation policy,
    when the caller read it."""
    paged = _Paged(told=told) if told is not None else _paged_so_far(flag)
    while True:
        plan = targets_for_step(
            flag, step, now, told=paged.told, director_done=paged.director is not None
        )
        if plan is None:
            escalation.state = EscalationState.EXHAUSTED
            escalation.step = step
            escalation.updated_at = now
            escalation.save(update_fields=["state", "step", "updated_at"])
            listed = len(escalation_list(flag.patient.clinic)) if paged.told else 0
            _event(flag, EventKind.EXHAUSTED, step, now, detail=_exhausted_text(paged, listed))
            return
        targets = plan.targets
        if plan.director_step:
            paged.director = any(t.role == DIRECTOR for t in targets)
            if not paged.director:
                # Visible on the flag's escalation history and the risk timeline.
                _event(flag, EventKind.NOBODY, step, now, role=DIRECTOR, detail=NO_DIRECTOR)
        # People told at an earlier step are skipped (the list moves on to someone new), but
        # the director, the last rung, is paged again even if told at step 1 (a prescriber
        # who is also the director and asleep at 2 a.m. would otherwise hear once, ever).
        fresh: list[Target] = []
        for t in targets:  # once per person, under the first role named for them
            if any(f.user.pk == t.user.pk for f in fresh):
                continue
            if t.user.pk not in paged.told:
                fresh.append(t)
            elif t.role == DIRECTOR:
                fresh.append(Target(t.user, DIRECTOR_REPEAT))
        if fresh:
            kind = EventKind.NOTIFIED if step <= 1 else EventKind.ESCALATED
            for target in fresh:
                _notify(flag, target, kind, step, now)
                paged.told.add(target.user.pk)
            break
        if step <= 1 and not targets:
            _event(
                flag,
                EventKind.NOBODY,
                step,
                now,
                detail="No prescriber on file (who may acknowledge flags) and nobody on call: "
                "going straight to the escalation list.",
            )
        step += 1
    due_at = _next_due(flag, now, policy or policy_for(flag.patient.clinic))
    if escalation.step == step and escalation.due_at == due_at:
        return  # already stored so (a new escalation whose step 1 reached someone)
    escalation.step = step
    escalation.due_at = due_at
    escalation.updated_at = now
    escalation.save(update_fields=["step", "due_at", "updated_at"])


def _event(
    flag: RiskFlag,
    kind: str,
    step: int,
    now: datetime,
    *,
    recipient: User | None = None,
    role: str = "",
    actor: User | None = None,
    detail: str = "",
    audit_actor: Actor = SYSTEM,
) -> EscalationEvent:
    event = EscalationEvent.objects.create(
        flag=flag,
        clinic_id=flag.patient.clinic_id,
        at=now,
        kind=kind,
        step=step,
        recipient=recipient,
        role=role,
        actor=actor,
        detail=detail,
    )
    if kind == EventKind.RAISED:
        return event  # do_raise_flag audited it ("safety.flag.raised")
    record(
        audit_actor,
        f"safety.escalation.{kind}",
        object_type="risk_flag",
        object_id=flag.pk,
        patient_id=flag.patient_id,
        clinic_id=flag.patient.clinic_id,
        detail={"step": step, "recipient": recipient.pk if recipient else None, "role": role},
    )
    return event


def _notify(flag: RiskFlag, target: Target, kind: str, step: int, now: datetime) -> None:
    patient, clinic, user = flag.patient, flag.patient.clinic, target.user
    level = flag.get_level_display()
    # The in-app text holds 300 characters: a long name is shortened, never the notice lost
    # (on PostgreSQL a longer text failed the insert, and with it the whole escalation).
    tail = f" ({patient.mrn}) — you are notified as {target.role}."
    head = f"{level} risk flag: "
    name = patient.display_name
    room = NOTIFICATION_TEXT_MAX - len(head) - len(tail)
    if len(name) > room:
        name = name[: max(room - 1, 0)] + "…"
    StaffNotification.objects.create(
        user=user, clinic=clinic, flag=flag, text=f"{head}{name}{tail}", created_at=now
    )
    url = f"{settings.KETACARE_BASE_URL}/safety/flags/{flag.pk}/"
    channels = ["in-app"]
    logs: list[NotificationLog] = []
    # Neither message names the patient (lock screens, shared mailboxes).
    if user.email:
        logs.append(
            queue_notification(
                channel=Channel.EMAIL,
                to=user.email,
                subject=f"[KetaCare] {level} risk flag at {clinic.name}: please acknowledge",
                body=(
                    f"A {level.lower()} suicide-risk flag was raised at {clinic.name} and has "
                    f"not been acknowledged. You are notified as {target.role}.\n\n"
                    f"Open it and record the action taken: {url}\n"
                ),
                purpose=PURPOSE,
                reference=flag_reference(flag.pk),
                patient=patient,
                clinic=clinic,
            )
        )
        channels.append("email")
    mobile = StaffAlertContact.objects.filter(user=user).values_list("mobile", flat=True).first()
    if mobile:
        logs.append(
            queue_notification(
                channel=Channel.SMS,
                to=mobile,
                body=f"KetaCare: {level} risk flag at {clinic.name}, not yet acknowledged. "
                f"Open {url}",
                purpose=PURPOSE,
                reference=flag_reference(flag.pk),
                patient=patient,
                clinic=clinic,
            )
        )
        channels.append("text")
    else:
        channels.append("no text: no mobile number on file")
    ids = [log.pk for log in logs]
    transaction.on_commit(lambda: _enqueue(ids))
    _event(
        flag,
        kind,
        step,
        now,
        recipient=user,
        role=target.role,
        detail=", ".join(channels),
    )


def _enqueue(ids: list[int]) -> None:
    from ketacare.measures.tasks import send_notification

    for log_id in ids:
        try:
            send_notification.enqueue(log_id)
        except Exception:  # the schedule's sweep hands lost messages back to delivery
            logger.exception("Could not enqueue notification %s; the sweep will.", log_id)


# --- the watcher ------------------------------------------------------------------------------


def escalate_due(now: datetime | None = None) -> int:
    """Watch pass: start escalations that never started; move every due one a step on.

    Returns how many it started or moved (core.watch's contract). Each flag is on its own: one
    that fails (a data problem in one clinic) is logged, its transaction rolled back, and
    retried on the next pass, while the rest of the pass carries on."""
    now = now or timezone.now()
    acted = 0
    for flag in _orphans():
        try:
            with transaction.atomic():
                started = start_escalation(flag, now)
        except Exception:
            logger.exception(
                "Escalation of flag %s could not start; the next watch pass retries.", flag.pk
            )
            continue
        if started is not None:
            acted += 1
    for pk, step, due_at, flag_id in _due(now):
        try:
            advanced = claim_and_advance(pk, step, due_at, now)
        except Exception:
            # claim_and_advance's transaction rolled the claim back: still due next pass.
            logger.exception(
                "Escalation of flag %s could not move past step %s; the next watch pass retries.",
                flag_id,
                step,
            )
            continue
        if advanced:
            acted += 1
    return acted


def _orphans() -> Iterator[RiskFlag]:
    """Every open flag whose escalation never started, oldest first, BATCH rows per query.

    The pass pages on past the last row it read instead of stopping at BATCH: flags that keep
    failing (each is retried every pass) can never hold back a newer flag behind them."""
    after = 0
    while True:
        page = list(
            RiskFlag.objects.filter(status=FlagStatus.OPEN, escalation__isnull=True, pk__gt=after)
            .select_related("patient", "patient__clinic")
            .order_by("pk")[:BATCH]
        )
        yield from page
        if len(page) < BATCH:
            return
        after = page[-1].pk


def _due(now: datetime) -> Iterator[tuple[int, int, datetime, int]]:
    """Every active escalation due by `now`, earliest first, BATCH rows per query, paging on
    (due_at, pk) past the last row read, for the same reason as `_orphans`."""
    cursor: tuple[datetime, int] | None = None
    while True:
        rows = FlagEscalation.objects.filter(state=EscalationState.ACTIVE, due_at__lte=now)
        if cursor is not None:
            rows = rows.filter(Q(due_at__gt=cursor[0]) | Q(due_at=cursor[0], pk__gt=cursor[1]))
        page = list(
            rows.order_by("due_at", "pk").values_list("pk", "step", "due_at", "flag_id")[:BATCH]
        )
        yield from page
        if len(page) < BATCH:
            return
        cursor = (page[-1][2], page[-1][0])


def claim_and_advance(pk: int, step: int, due_at: datetime, now: datetime) -> bool:
    """Take step `step + 1` of escalation `pk` if nobody else has: the conditional UPDATE only
    matches while the row still has the (step, due_at) this worker read."""
    with transaction.atomic():
        claimed = FlagEscalation.objects.filter(
            pk=pk, step=step, due_at=due_at, state=EscalationState.ACTIVE
        ).update(step=step + 1, updated_at=now)
        if not claimed:
            return False
        escalation = FlagEscalation.objects.select_related(
            "flag", "flag__patient", "flag__patient__clinic"
        ).get(pk=pk)
        flag = escalation.flag
        if flag.status != FlagStatus.OPEN:
            escalation.state = EscalationState.ACKNOWLEDGED
            escalation.save(update_fields=["state"])
            return False
        _advance(escalation, flag, step + 1, now)
    return True


# --- acknowledging ----------------------------------------------------------------------------


def _already_acknowledged(flag: RiskFlag) -> str:
    """Who acknowledged the flag first and when, so the second clinician (two answered the
    same page) knows what was done; their own text stays in the form to add elsewhere."""
    done = (
        RiskFlag.objects.filter(pk=flag.pk)
        .select_related("acknowledged_by", "patient__clinic")
        .first()
    )
    if done is None or done.acknowledged_at is None:
        return "This flag is no longer open."
    who = done.acknowledged_by.display_name if done.acknowledged_by else "someone"
    at = timezone.localtime(done.acknowledged_at, clinic_zone(done.patient.clinic))
    return (
        f"{who} acknowledged this flag at {at:%Y-%m-%d %H:%M}: {done.action_taken[:300]} "
        "Your text is kept below; add it to the chart if it says more."
    )


ACK_ACTIONS: list[tuple[str, str]] = [
    ("called_patient", "Called the patient"),
    ("saw_patient", "Saw the patient in person"),
    ("cssrs", "Completed a C-SSRS screen"),
    ("safety_plan", "Reviewed the safety plan with the patient"),
    ("emergency", "Sent to emergency services / emergency department"),
    ("other", "Other (described below)"),
]


def do_acknowledge(
    actor: Actor, user: User, flag: RiskFlag, action: str, note: str, now: datetime | None = None
) -> RiskFlag:
    """A clinician saw the flag and acted. Stops the escalation and the banner."""
    now = now or timezone.now()
    labels = dict(ACK_ACTIONS)
    if action not in labels:
        raise ActionError("action", "Choose the action taken.")
    note = note.strip()
    if not is_few_words(note):
        raise ActionError(
            "note",
            f"Describe what you did (who, when, what was agreed) in a few words ({reasons.FLOOR}).",
        )
    if len(note) > 2000:
        raise ActionError("note", "Keep the description under 2000 characters.")
    with transaction.atomic():
        updated = RiskFlag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(
            status=FlagStatus.ACKNOWLEDGED,
            acknowledged_by=user,
            acknowledged_at=now,
            action_taken=f"{labels[action]}: {note}",
        )
        if not updated:
            raise ActionError("flag", _already_acknowledged(flag))
        flag.refresh_from_db()
        FlagEscalation.objects.filter(flag=flag).update(
            state=EscalationState.ACKNOWLEDGED, updated_at=now
        )
        StaffNotification.objects.filter(flag=flag, read_at__isnull=True).update(read_at=now)
        _event(
            flag,
            EventKind.ACKNOWLEDGED,
            0,
            now,
            actor=user,
            detail=flag.action_taken,
            audit_actor=actor,
        )
    return flag
