"""Appointment reminders, the pre-visit instructions, and the patient's confirm/cancel link.

- `send_appointment_reminders(now)` — run by the schedule (`measures.tasks.schedule_pass`):
  for every booked or confirmed appointment whose start is within one of the clinic's lead
  times (`ReminderLead`, default 48 h and 2 h), queue an email (patient has an address) and a
  text message (patient has a phone), each carrying the protocol's pre-visit instructions and
  the personal link `/a/<token>/`. A patient with neither gets an `AppointmentReminder` row
  with channel "none" and no message, so staff see on the appointment page that nobody was told.
- Each (appointment, lead, channel) is claimed by inserting its `AppointmentReminder` row in a
  savepoint while the appointment row is locked: a second pass (or a second worker) finds the
  row, or hits the unique constraint, and sends nothing. Delivery is the existing notification
  task (queued on commit, retried with backoff by the schedule's sweep).
- A lead's window is the first half of the lead, and closes when the next shorter lead's
  window opens: the 48 h reminder goes out between 48 h and 24 h before, the 2 h one in the last
  2 hours. So an appointment booked 3 hours ahead gets only the 2 h reminder, and a worker that
  was stopped for a day does not send yesterday's reminder late.
- The link token is random; only its SHA-256 is stored (`Appointment.link_token_hash`). One
  token per appointment: sending the link again issues a new one (the older message's link
  stops working). It works until the appointment starts.
- The patient's actions through the link (`do_confirm_by_link`, `do_cancel_by_link`,
  `do_request_reschedule_by_link`) are idempotent and audited with a patient actor.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.clinical.protocols import RequiredCheck
from ketacare.measures.scheduling import clinic_zone
from ketacare.notify.delivery import queue_notification
from ketacare.notify.models import Channel
from ketacare.safety.resources import crisis_sms, crisis_text
from ketacare.scheduling.models import (
    Appointment,
    AppointmentReminder,
    AppointmentStatus,
    AppointmentType,
    ReminderLead,
    ResourceKind,
)

logger = logging.getLogger("ketacare.schedule")

# Issue #5: "configurable lead times, default 48 h and 2 h". A clinic's ReminderLead rows
# replace these.
DEFAULT_LEAD_HOURS = (48, 2)
# The channel of the reminder row recorded when the patient has no email and no phone.
NO_CHANNEL = "none"
TOKEN_BYTES = 32  # secrets.token_urlsafe(32): 43 characters, 256 bits (as the /r/ links)
REMINDABLE = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED)
# Statuses the patient's link still works for (it shows a cancelled appointment as such).
LINK_STATUSES = (AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED)
PATIENT_LINK_ACTOR = "patient (appointment link)"
SYSTEM = Actor(label="ketacare-reminders")


# --- lead times ---------------------------------------------------------------------------


def clinic_leads(clinic: Clinic) -> tuple[int, ...]:
    """The clinic's lead times in hours, longest first (the defaults when none are set)."""
    hours = sorted({lead.hours for lead in clinic.reminder_leads.all() if lead.hours > 0})
    return tuple(reversed(hours)) if hours else DEFAULT_LEAD_HOURS


def lead_due(leads: Iterable[int], starts_at: datetime, now: datetime) -> int | None:
    """The lead whose window `now` is in, or None.

    The window of lead L runs from L hours before the start until half of L before it, and
    never past the moment the next shorter lead's window opens; the shortest lead's window
    runs until the start. Windows do not overlap, so at most one lead is due at a time.
    """
    remaining = starts_at - now
    if remaining <= timedelta(0):
        return None
    ordered = sorted(set(leads), reverse=True)
    for index, hours in enumerate(ordered):
        opens = timedelta(hours=hours)
        if index + 1 < len(ordered):
            closes = max(timedelta(hours=ordered[index + 1]), opens / 2)
        else:
            closes = timedelta(0)
        if closes < remaining <= opens:
            return hours
    return None


# --- instructions ---------------------------------------------------------------------------

# What the patient does for each check of the protocol's monitoring profile. Checks the staff
# do at the visit (oximetry, REMS form...) have no patient instruction.
PATIENT_INSTRUCTIONS: dict[RequiredCheck, str] = {
    # clinical.md §5d [LABEL] S11, S12: nausea and vomiting.
    RequiredCheck.NO_FOOD_2H: "Do not eat for at least 2 hours before your treatment.",
    RequiredCheck.NO_LIQUIDS_30MIN: "Do not drink anything for at least 30 minutes before it.",
    # clinical.md §4 [LABEL] S11: nasal corticosteroid or decongestant at least 1 h before.
    RequiredCheck.NASAL_STEROID_DECONGESTANT_1H_BEFORE: (
        "If you use a nasal steroid or decongestant spray, use it at least 1 hour before."
    ),
    # clinical.md §5d, §6c [LABEL] S2, S4.
    RequiredCheck.TRANSPORT_ARRANGED: "Arrange a ride home: you cannot drive yourself.",
    RequiredCheck.NO_DRIVING_UNTIL_NEXT_DAY: (
        "Do not drive or operate machinery until the next day, after a restful sleep."
    ),
    # clinical.md §11 [PRACTICE] P7: released to a responsible adult, no driving ~24 h.
    RequiredCheck.RESPONSIBLE_ADULT_ESCORT: (
        "Bring a responsible adult to take you home; do not drive for about 24 hours."
    ),
    RequiredCheck.ORAL_ANTIDEPRESSANT: "Keep taking your antidepressant as prescribed.",
    RequiredCheck.SSRI_OR_SNRI: "Keep taking your antidepressant as prescribed.",
}

# A treatment session without a plan (or whose protocol cannot be read): the safe common
# denominator of §5d and §11.
GENERIC_TREATMENT = (
    "Arrange a ride home: you cannot drive yourself.",
    "Do not drive or operate machinery until the next day, after a restful sleep.",
)
OTHER_VISITS: dict[str, tuple[str, ...]] = {
    AppointmentType.EVALUATION: ("Bring a list of the medicines you take.",),
    AppointmentType.TELEHEALTH: ("Join from a quiet, private place with a good connection.",),
}


def pre_visit_instructions(appointment: Appointment) -> list[str]:
    """The patient's instructions for this visit, from the plan's protocol when it has one."""
    if appointment.type != AppointmentType.TREATMENT:
        return list(OTHER_VISITS.get(appointment.type, ()))
    protocol = None
    if appointment.plan_id is not None:
        from ketacare.plans.actions import plan_protocol

        try:
            protocol = plan_protocol(appointment.plan)  # type: ignore[arg-type]  # plan_id set
        except ValueError:
            logger.warning("plan %s: protocol cannot be read", appointment.plan_id)
    if protocol is None:
        return list(GENERIC_TREATMENT)
    lines = list(
        dict.fromkeys(
            PATIENT_INSTRUCTIONS[check]
            for check in protocol.monitoring.required_checks
            if check in PATIENT_INSTRUCTIONS
        )
    )
    minutes = protocol.monitoring.min_observation_min
    if minutes:
        hours = minutes / 60
        span = f"{hours:g} hour{'s' if hours != 1 else ''}"
        if minutes % 30:
            span = f"{minutes} minutes"
        lines.append(f"Plan to stay at the clinic for at least {span} after your dose.")
    return lines


# --- the message ----------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def link_url(raw_token: str) -> str:
    return settings.KETACARE_BASE_URL + reverse("appointment_link:open", args=[raw_token])


def local_when(appointment: Appointment) -> str:
    """ "Tuesday, June 2 at 10:00 AM EDT" in the clinic's zone."""
    when = timezone.localtime(appointment.starts_at, clinic_zone(appointment.clinic))
    hour = when.hour % 12 or 12
    return f"{when:%A}, {when:%B} {when.day} at {hour}:{when:%M %p} {when.tzname()}"


def place(appointment: Appointment) -> str:
    resource = appointment.resource
    if appointment.type == AppointmentType.TELEHEALTH or resource is None:
        return ""
    kind = "room" if resource.kind == ResourceKind.ROOM else "chair"
    return f"{kind} {resource.name}" if kind not in resource.name.lower() else resource.name


def email_text(appointment: Appointment, url: str) -> tuple[str, str]:
    clinic = appointment.clinic
    when = local_when(appointment)
    what = appointment.get_type_display().lower()
    where = place(appointment)
    lines = [
        f"This is a reminder of your {what} at {clinic.name} on {when}"
        + (f" ({where})." if where else "."),
    ]
    instructions = pre_visit_instructions(appointment)
    if instructions:
        lines += ["", "Before your visit:", *(f"- {line}" for line in instructions)]
    lines += [
        "",
        "Please confirm, cancel or ask to reschedule with your personal link:",
        url,
        "The link is for you only and works until the appointment starts.",
    ]
    if clinic.phone:
        lines += ["", f"Questions? Call {clinic.name} at {clinic.phone}."]
    lines += ["", "If you are thinking about harming yourself or are in danger:"]
    lines += crisis_text(clinic)
    subject = f"Reminder: your appointment at {clinic.name}, {when}"
    return subject, "\n".join(lines)


def sms_text(appointment: Appointment, url: str) -> str:
    clinic = appointment.clinic
    parts = [
        f"{clinic.name}: reminder of your {appointment.get_type_display().lower()} "
        f"on {local_when(appointment)}."
    ]
    parts += pre_visit_instructions(appointment)
    parts.append(f"Confirm or cancel: {url}")
    if clinic.phone:
        parts.append(f"Questions: {clinic.phone}.")
    parts.append(crisis_sms(clinic))
    return " ".join(parts)


# --- the pass -------------------------------------------------------------------------------


@dataclass
class ReminderTotals:
    sent: int = 0
    unreachable: int = 0


def reminder_candidates(now: datetime) -> list[tuple[Appointment, int]]:
    """(appointment, lead) for every appointment with a lead window open now and no reminder
    at that lead yet. One query for the appointments (their starts are within the longest
    lead), one for the clinics' leads, one for the reminders already recorded."""
    leads_by_clinic: dict[int, list[int]] = {}
    for clinic_id, hours in ReminderLead.objects.values_list("clinic_id", "hours"):
        if hours > 0:
            leads_by_clinic.setdefault(clinic_id, []).append(hours)
    longest = max([*DEFAULT_LEAD_HOURS, *(h for hs in leads_by_clinic.values() for h in hs)])
    upcoming = list(
        Appointment.objects.filter(
            status__in=REMINDABLE,
            starts_at__gt=now,
            starts_at__lte=now + timedelta(hours=longest),
        ).order_by("starts_at", "pk")
    )
    due: list[tuple[Appointment, int]] = []
    for appointment in upcoming:
        leads = leads_by_clinic.get(appointment.clinic_id) or DEFAULT_LEAD_HOURS
        lead = lead_due(leads, appointment.starts_at, now)
        if lead is not None:
            due.append((appointment, lead))
    done = set(
        AppointmentReminder.objects.filter(appointment_id__in=[a.pk for a, _ in due]).values_list(
            "appointment_id", "lead_hours"
        )
    )
    return [(a, lead) for a, lead in due if (a.pk, lead) not in done]


def send_appointment_reminders(now: datetime | None = None) -> dict[str, int]:
    """One reminder pass. Safe to run twice, or on two workers at once."""
    now = now or timezone.now()
    totals = ReminderTotals()
    for appointment, lead in reminder_candidates(now):
        outcome = send_reminder(appointment.pk, lead, now)
        if outcome == "sent":
            totals.sent += 1
        elif outcome == "unreachable":
            totals.unreachable += 1
    return {"reminders_sent": totals.sent, "reminders_unreachable": totals.unreachable}


def _claim(appointment: Appointment, lead: int, channel: str, now: datetime) -> bool:
    """Insert the reminder row in a savepoint: False when another pass has it already."""
    try:
        with transaction.atomic():
            AppointmentReminder.objects.create(
                appointment=appointment, lead_hours=lead, channel=channel, created_at=now
            )
    except IntegrityError:
        return False
    return True


def send_reminder(appointment_id: uuid.UUID, lead: int, now: datetime) -> str:
    """Claim and queue the reminder of one appointment at one lead. Returns "sent",
    "unreachable" (no email, no phone: recorded as channel "none"), or "skipped"."""
    with transaction.atomic():
        # The lock orders us after a cancellation (or another worker) that is committing now.
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("clinic", "patient", "resource", "plan")
            .filter(pk=appointment_id, status__in=REMINDABLE, starts_at__gt=now)
            .first()
        )
        if appointment is None:
            return "skipped"
        if AppointmentReminder.objects.filter(appointment=appointment, lead_hours=lead).exists():
            return "skipped"
        patient = appointment.patient
        channels = [
            channel
            for channel, address in ((Channel.EMAIL, patient.email), (Channel.SMS, patient.phone))
            if address
        ]
        if not channels:
            if not _claim(appointment, lead, NO_CHANNEL, now):
                return "skipped"
            record(
                SYSTEM,
                "scheduling.reminder.unreachable",
                object_type="appointment",
                object_id=appointment.pk,
                patient_id=patient.pk,
                clinic_id=appointment.clinic_id,
                detail={"lead_hours": lead, "reason": "no email address and no phone number"},
            )
            logger.warning("appointment %s: no email or phone for its reminder", appointment.pk)
            return "unreachable"
        claimed = [c for c in channels if _claim(appointment, lead, c, now)]
        if not claimed:
            return "skipped"
        token = secrets.token_urlsafe(TOKEN_BYTES)
        url = link_url(token)
        Appointment.objects.filter(pk=appointment.pk).update(link_token_hash=hash_token(token))
        appointment.link_token_hash = hash_token(token)
        log_ids = []
        for channel in claimed:
            if channel == Channel.EMAIL:
                subject, body, to = *email_text(appointment, url), patient.email
            else:
                subject, body, to = "", sms_text(appointment, url), patient.phone
            log = queue_notification(
                channel=channel,
                to=to,
                subject=subject,
                body=body,
                purpose="scheduling.reminder",
                reference=f"appointment:{appointment.pk}"[:60],
                patient=patient,
                clinic=appointment.clinic,
            )
            AppointmentReminder.objects.filter(
                appointment=appointment, lead_hours=lead, channel=channel
            ).update(notification=log)
            log_ids.append(log.pk)
        record(
            SYSTEM,
            "scheduling.reminder.queued",
            object_type="appointment",
            object_id=appointment.pk,
            patient_id=patient.pk,
            clinic_id=appointment.clinic_id,
            detail={"lead_hours": lead, "channels": claimed},
        )
        for log_id in log_ids:
            transaction.on_commit(partial(_enqueue_delivery, log_id))
    return "sent"


def _enqueue_delivery(log_id: int) -> None:
    from ketacare.measures.tasks import send_notification

    send_notification.enqueue(log_id)


# --- the patient's link ---------------------------------------------------------------------


def find_appointment(raw_token: str, now: datetime | None = None) -> Appointment | None:
    """The appointment a raw token opens, while it can be used (before the start)."""
    if not raw_token or len(raw_token) > 100:
        return None
    now = now or timezone.now()
    return (
        Appointment.objects.select_related("clinic", "patient", "resource", "plan")
        .filter(link_token_hash=hash_token(raw_token), status__in=LINK_STATUSES, starts_at__gt=now)
        .first()
    )


def patient_actor(appointment: Appointment, ip: str) -> Actor:
    return Actor(label=PATIENT_LINK_ACTOR, clinic_id=appointment.clinic_id, ip=ip[:64])


def _locked_for_link(appointment: Appointment, now: datetime) -> Appointment:
    fresh = (
        Appointment.objects.select_for_update(of=("self",))
        .filter(pk=appointment.pk, link_token_hash=appointment.link_token_hash)
        .first()
    )
    if fresh is None or fresh.starts_at <= now or fresh.status not in LINK_STATUSES:
        raise ActionError("link", "This link can no longer be used.")
    return fresh


def _link_audit(appointment: Appointment, ip: str, action: str, **detail: object) -> None:
    record(
        patient_actor(appointment, ip),
        f"scheduling.appointment_link.{action}",
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        clinic_id=appointment.clinic_id,
        detail=dict(detail),
    )


def do_open_appointment_link(appointment: Appointment, ip: str) -> None:
    with transaction.atomic():
        _link_audit(appointment, ip, "viewed")


def do_confirm_by_link(appointment: Appointment, ip: str) -> Appointment:
    """booked → confirmed. Confirming twice is fine (nothing changes the second time)."""
    now = timezone.now()
    with transaction.atomic():
        fresh = _locked_for_link(appointment, now)
        if fresh.status == AppointmentStatus.CANCELLED:
            raise ActionError("action", "This appointment was cancelled: call us to book again.")
        changed = fresh.status == AppointmentStatus.BOOKED
        if changed:
            fresh.status = AppointmentStatus.CONFIRMED
            fresh.confirmed_at = now
            fresh.updated_at = now
            fresh.save(update_fields=["status", "confirmed_at", "updated_at"])
        _link_audit(fresh, ip, "confirmed", changed=changed)
    return fresh


def do_cancel_by_link(appointment: Appointment, ip: str, reason: str = "") -> Appointment:
    """→ cancelled with the patient's reason; allowed until the start. Idempotent."""
    now = timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        fresh = _locked_for_link(appointment, now)
        changed = fresh.status != AppointmentStatus.CANCELLED
        if changed:
            fresh.status = AppointmentStatus.CANCELLED
            fresh.status_reason = "Cancelled by the patient through the reminder link" + (
                f": {reason}" if reason else "."
            )
            fresh.updated_at = now
            fresh.save(update_fields=["status", "status_reason", "updated_at"])
        # The reason is the patient's free text: kept on the appointment, not in the log.
        _link_audit(fresh, ip, "cancelled", changed=changed, gave_reason=bool(reason))
    return fresh


def do_request_reschedule_by_link(appointment: Appointment, ip: str) -> Appointment:
    """Mark the request for staff (reschedule_requested_at); a second request keeps the first
    time."""
    now = timezone.now()
    with transaction.atomic():
        fresh = _locked_for_link(appointment, now)
        if fresh.status == AppointmentStatus.CANCELLED:
            raise ActionError("action", "This appointment was cancelled: call us to book again.")
        changed = fresh.reschedule_requested_at is None
        if changed:
            fresh.reschedule_requested_at = now
            fresh.updated_at = now
            fresh.save(update_fields=["reschedule_requested_at", "updated_at"])
        _link_audit(fresh, ip, "reschedule_requested", changed=changed)
    return fresh
