"""Secure messages between a patient and their care team. Each `do_*` is one action: its
own transaction and audit entry. Message text never goes into the audit log.

A patient's message with risk words (clinical.risk_words) in its body, or in the subject of a
new conversation, raises a risk flag for staff at
once (safety.actions.do_raise_flag) and the portal shows crisis resources to the patient.

Sending takes `once`, the form's one-time submission key (core/submission.py), stored with the
new thread (a first message) or message (a reply) in the same transaction: Send pressed twice
sends, and flags, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic, User
from ketacare.clinical.risk_words import find_risk_phrases
from ketacare.core import submission
from ketacare.patients.models import Patient
from ketacare.portal.models import Message, MessageKind, MessageThread, ThreadStatus
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.models import FlagSource, RiskLevel
from ketacare.scheduling.models import Appointment

MAX_BODY = 5000
MAX_SUBJECT = 150
# What a one-time key is for (core/submission.py `scope`): a patient's new conversation hangs
# off the patient (the key is stored with the thread), a patient's or a staff member's reply
# off the thread (stored with the message).
ONCE_THREAD = "portal.thread"
ONCE_PATIENT_REPLY = "portal.patient_reply"
ONCE_STAFF_REPLY = "portal.staff_reply"


def _body_problem(body: str) -> str:
    text = (body or "").strip()
    if not text:
        return "Write a message first."
    if len(text) > MAX_BODY:
        return f"Messages can be at most {MAX_BODY} characters ({len(text)})."
    return ""


def _subject_problem(subject: str) -> str:
    title = (subject or "").strip()
    if not title:
        return "Give your message a subject."
    if len(title) > MAX_SUBJECT:
        return f"The subject can be at most {MAX_SUBJECT} characters."
    return ""


def new_thread_problems(subject: str, body: str) -> dict[str, str]:
    """Every problem of a first message at once ({field: message}), so the page shows the
    subject's and the message's together instead of one per attempt."""
    found = {"subject": _subject_problem(subject), "body": _body_problem(body)}
    return {field: problem for field, problem in found.items() if problem}


def _clean_body(body: str) -> str:
    problem = _body_problem(body)
    if problem:
        raise ActionError("body", problem)
    return (body or "").strip()


def _audit(actor: Actor, action: str, thread: MessageThread, **detail: object) -> None:
    record(
        actor,
        action,
        object_type="message_thread",
        object_id=thread.pk,
        patient_id=thread.patient_id,
        clinic_id=thread.clinic_id,
        detail=dict(detail),
    )


@dataclass(frozen=True)
class Sent:
    message: Message
    crisis: bool


def do_patient_send(
    actor: Actor,
    patient: Patient,
    body: str,
    *,
    thread: MessageThread | None = None,
    subject: str = "",
    kind: str = MessageKind.MESSAGE,
    appointment: Appointment | None = None,
    once: str = "",
) -> Sent:
    """A patient writes to the care team (a new thread when `thread` is None)."""
    text = _clean_body(body)
    now = timezone.now()
    with transaction.atomic():
        new_thread = thread is None
        if thread is None:
            problem = _subject_problem(subject)
            if problem:
                raise ActionError("subject", problem)
            title = subject.strip()
            thread = MessageThread.objects.create(
                clinic_id=patient.clinic_id, patient=patient, subject=title, created_at=now
            )
        elif thread.patient_id != patient.pk:
            raise ActionError("thread", "No such conversation.")
        # A first message's subject is the patient's words too ("I want to kill myself" as
        # the subject of "Please call me back."): scan it with the body. A reply's thread
        # subject was scanned when the conversation began.
        risk = find_risk_phrases(f"{thread.subject}\n{text}" if new_thread else text)
        message = Message.objects.create(
            thread=thread,
            from_patient=True,
            sender_id=actor.user_id,
            kind=kind,
            body=text,
            appointment=appointment,
            risk_phrases=list(risk.found),
            sent_at=now,
        )
        if new_thread:
            submission.remember(actor, once, submission.scope(ONCE_THREAD, patient.pk), thread.pk)
        else:
            submission.remember(
                actor, once, submission.scope(ONCE_PATIENT_REPLY, thread.pk), message.pk
            )
        MessageThread.objects.filter(pk=thread.pk).update(
            last_message_at=now, status=ThreadStatus.OPEN
        )
        if risk.concerning:
            flag = do_raise_flag(
                actor,
                patient,
                level=RiskLevel.HIGH,
                source=FlagSource.PATIENT_REQUEST,
                reason=risk.reason,
            )
            Message.objects.filter(pk=message.pk).update(flag=flag)
            message.flag = flag
        _audit(
            actor,
            "portal.message.sent",
            thread,
            message=message.pk,
            kind=kind,
            risk_words=risk.concerning,
        )
    return Sent(message, risk.concerning)


def do_staff_reply(
    actor: Actor, user: User, thread: MessageThread, body: str, *, once: str = ""
) -> Message:
    text = _clean_body(body)
    now = timezone.now()
    with transaction.atomic():
        message = Message.objects.create(
            thread=thread, from_patient=False, sender=user, body=text, sent_at=now
        )
        submission.remember(actor, once, submission.scope(ONCE_STAFF_REPLY, thread.pk), message.pk)
        # Replying means the staff member has read the patient's messages.
        Message.objects.filter(thread=thread, from_patient=True, read_at=None).update(
            read_at=now, read_by=user
        )
        MessageThread.objects.filter(pk=thread.pk).update(last_message_at=now)
        _audit(actor, "portal.message.replied", thread, message=message.pk)
    return message


def do_mark_read_by_staff(actor: Actor, user: User, thread: MessageThread) -> int:
    with transaction.atomic():
        count = Message.objects.filter(thread=thread, from_patient=True, read_at=None).update(
            read_at=timezone.now(), read_by=user
        )
        _audit(actor, "portal.thread.viewed", thread, newly_read=count)
    return count


def do_mark_read_by_patient(actor: Actor, thread: MessageThread) -> int:
    with transaction.atomic():
        count = Message.objects.filter(thread=thread, from_patient=False, read_at=None).update(
            read_at=timezone.now()
        )
        if count:
            _audit(actor, "portal.thread.read", thread, newly_read=count)
    return count


def do_assign(actor: Actor, thread: MessageThread, assignee: User | None) -> None:
    if (
        assignee is not None
        and not assignee.memberships.filter(clinic_id=thread.clinic_id, is_active=True).exists()
    ):
        raise ActionError("assigned_to", "Choose someone who works at this clinic.")
    with transaction.atomic():
        MessageThread.objects.filter(pk=thread.pk).update(assigned_to=assignee)
        thread.assigned_to = assignee
        _audit(
            actor, "portal.thread.assigned", thread, assigned_to=assignee.pk if assignee else None
        )


def do_set_status(actor: Actor, thread: MessageThread, status: str) -> None:
    if status not in ThreadStatus.values:
        raise ActionError("status", "Status must be open or closed.")
    with transaction.atomic():
        MessageThread.objects.filter(pk=thread.pk).update(status=status)
        thread.status = status
        _audit(actor, "portal.thread.status", thread, status=status)


def inbox(clinic: Clinic) -> QuerySet[MessageThread]:
    """The clinic's threads with a count of the patient's unread messages."""
    return (
        MessageThread.objects.filter(clinic=clinic)
        .select_related("patient", "assigned_to")
        .annotate(
            unread=Count("messages", filter=Q(messages__from_patient=True, messages__read_at=None)),
            flagged=Count("messages", filter=Q(messages__flag__isnull=False)),
        )
    )


def patient_threads(patient: Patient) -> QuerySet[MessageThread]:
    return MessageThread.objects.filter(patient=patient).annotate(
        unread=Count("messages", filter=Q(messages__from_patient=False, messages__read_at=None))
    )
