"""Changes to consultation requests. Each action owns its transaction and its audit entry.

The status rules live here (`TRANSITIONS`), not in the pages:

    new ──► contacted ──► evaluation booked ──► converted (only by "Convert to patient")
     │          │  ▲              │
     └──────────┴──┴──► not a fit / no response ──► contacted (reopened, with a reason)

Recording the first contact attempt on a new request moves it to "contacted" by itself.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.models import Clinic
from ketacare.clinical.risk_words import find_risk_phrases
from ketacare.intake.emails import ACK_PURPOSE, acknowledgement, queue_email
from ketacare.intake.models import (
    ConsultationRequest,
    ContactAttempt,
    RequestStatus,
    StatusChange,
)
from ketacare.intake.newsletter import do_request_subscription
from ketacare.intake.wording import CURRENT_CONTACT_CONSENT
from ketacare.patients.actions import do_register_patient
from ketacare.patients.models import Patient

S = RequestStatus
PUBLIC_ACTOR_LABEL = "public-consultation-form"

TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.CONTACTED, S.EVALUATION_BOOKED, S.NOT_A_FIT}),
    S.CONTACTED: frozenset({S.EVALUATION_BOOKED, S.NOT_A_FIT, S.NO_RESPONSE}),
    # Back to "contacted" when an evaluation is cancelled or needs rebooking.
    S.EVALUATION_BOOKED: frozenset({S.CONTACTED, S.NOT_A_FIT, S.NO_RESPONSE}),
    # Closed requests can be reopened (the person called back; the decision was a mistake).
    S.NOT_A_FIT: frozenset({S.CONTACTED}),
    S.NO_RESPONSE: frozenset({S.CONTACTED}),
    S.CONVERTED: frozenset(),
}
CONVERTIBLE_FROM = frozenset({S.CONTACTED, S.EVALUATION_BOOKED})
# Moving here needs a written reason; so does reopening a closed request.
REASON_REQUIRED_TO = frozenset({S.NOT_A_FIT})
REASON_REQUIRED_FROM = frozenset({S.NOT_A_FIT, S.NO_RESPONSE})


def _label(status: str) -> str:
    return str(dict(S.choices).get(status, status))


def allowed_next(status: str) -> list[str]:
    """Statuses a page may offer, in the order of the pathway."""
    return [s for s in S.values if s in TRANSITIONS.get(status, frozenset())]


# --- the public form --------------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    consultation: ConsultationRequest | None
    duplicate: bool
    # What they wrote has risk words: the thank-you page leads with the crisis lines.
    risk_words: bool = False


def dedupe_key(clinic: Clinic, email: str, phone: str, day: date) -> str:
    """One request per contact (the email, or the phone's digits) per clinic-local day."""
    contact = email.strip().lower() or re.sub(r"\D", "", phone)
    return hashlib.sha256(f"{clinic.pk}|{contact}|{day.isoformat()}".encode()).hexdigest()


def clinic_day(clinic: Clinic, now: datetime) -> date:
    try:
        zone = ZoneInfo(clinic.time_zone)
    except (ValueError, KeyError):
        zone = ZoneInfo("UTC")
    return now.astimezone(zone).date()


def _already_submitted(key: str) -> bool:
    return ConsultationRequest.objects.filter(dedupe_key=key).exists()


def do_submit_request(
    clinic: Clinic, data: dict[str, Any], *, network: str, now: datetime | None = None
) -> Submission:
    """Store a validated public request once, acknowledge it by email, and handle the
    newsletter opt-in. A repeat of today's request stores nothing and sends nothing."""
    now = now or timezone.now()
    if not data.get("consent_to_contact"):
        raise ActionError("consent_to_contact", "Consent to be contacted is required.")
    key = dedupe_key(clinic, data.get("email", ""), data.get("phone", ""), clinic_day(clinic, now))
    risk = find_risk_phrases(f"{data.get('other_text', '')}\n{data.get('message', '')}")
    consultation: ConsultationRequest | None = None
    with transaction.atomic():
        if not _already_submitted(key):
            try:
                with transaction.atomic():
                    consultation = ConsultationRequest.objects.create(
                        clinic=clinic,
                        given_name=data["given_name"],
                        family_name=data["family_name"],
                        email=data.get("email", ""),
                        phone=data.get("phone", ""),
                        preferred_contact=data["preferred_contact"],
                        preferred_time=data["preferred_time"],
                        help_with=list(data["help_with"]),
                        other_text=data.get("other_text", ""),
                        referring_clinician=data.get("referring_clinician", ""),
                        message=data.get("message", ""),
                        risk_phrases=list(risk.found),
                        consent_to_contact=True,
                        consent_text_version=CURRENT_CONTACT_CONSENT,
                        consented_at=now,
                        newsletter_opt_in=bool(data.get("newsletter")),
                        submitted_at=now,
                        status_changed_at=now,
                        client_network=network,
                        dedupe_key=key,
                    )
            except IntegrityError:
                # A simultaneous identical submission (double click) won the race.
                if not ConsultationRequest.objects.filter(dedupe_key=key).exists():
                    raise
        if consultation is not None:
            record(
                Actor(label=PUBLIC_ACTOR_LABEL, clinic_id=clinic.pk, ip=network),
                "intake.request.submitted",
                object_type="consultation_request",
                object_id=consultation.pk,
                clinic_id=clinic.pk,
                detail={"emailed": bool(consultation.email), "risk_words": risk.concerning},
            )
            if consultation.email:
                subject, body = acknowledgement(clinic)
                queue_email(
                    clinic,
                    consultation.email,
                    subject,
                    body,
                    purpose=ACK_PURPOSE,
                    reference=f"consultation_request:{consultation.pk}",
                )
        if data.get("newsletter") and data.get("email"):
            do_request_subscription(clinic, data["email"], network=network, now=now)
    return Submission(consultation, duplicate=consultation is None, risk_words=risk.concerning)


# --- the intake queue -------------------------------------------------------------------------


def _locked(consultation: ConsultationRequest) -> ConsultationRequest:
    return ConsultationRequest.objects.select_for_update().get(pk=consultation.pk)


def _move(
    actor: Actor, locked: ConsultationRequest, to_status: str, reason: str, now: datetime
) -> StatusChange:
    change = StatusChange.objects.create(
        consultation=locked,
        from_status=locked.status,
        to_status=to_status,
        reason=reason,
        by_id=actor.user_id,
        at=now,
    )
    locked.status = to_status
    locked.status_reason = reason
    locked.status_changed_at = now
    return change


def do_record_attempt(
    actor: Actor, consultation: ConsultationRequest, data: dict[str, Any]
) -> ContactAttempt:
    with transaction.atomic():
        locked = _locked(consultation)
        if locked.status == S.CONVERTED:
            raise ActionError(
                "outcome",
                "This request was converted to a patient record and is closed; record further "
                "contact on the patient's chart.",
            )
        now = timezone.now()
        attempt = ContactAttempt.objects.create(
            consultation=locked,
            at=data.get("at") or now,
            channel=data["channel"],
            outcome=data["outcome"],
            note=data.get("note", ""),
            by_id=actor.user_id,
            recorded_at=now,
        )
        moved = locked.status == S.NEW
        if moved:
            _move(actor, locked, S.CONTACTED, "Contact attempt recorded.", now)
            locked.save(update_fields=["status", "status_reason", "status_changed_at"])
        record(
            actor,
            "intake.request.contact_recorded",
            object_type="consultation_request",
            object_id=locked.pk,
            clinic_id=locked.clinic_id,
            detail={"channel": attempt.channel, "outcome": attempt.outcome, "to_contacted": moved},
        )
    consultation.refresh_from_db()
    return attempt


def check_transition(
    consultation: ConsultationRequest, to_status: str, reason: str, *, attempts: int
) -> None:
    """Raise ActionError (naming the field) unless `to_status` may follow the current one."""
    current = consultation.status
    if to_status not in S.values:
        raise ActionError("status", f"“{to_status}” is not a request status.")
    if to_status == current:
        raise ActionError("status", f"The request is already “{_label(current)}”.")
    if to_status == S.CONVERTED:
        raise ActionError(
            "status",
            "Use “Convert to patient”: it registers the patient and marks the request converted.",
        )
    if current == S.CONVERTED:
        raise ActionError("status", "This request was converted to a patient record; it is closed.")
    if to_status not in TRANSITIONS[current]:
        options = ", ".join(f"“{_label(s)}”" for s in allowed_next(current))
        raise ActionError(
            "status",
            f"A request that is “{_label(current)}” cannot move to “{_label(to_status)}”; "
            f"it can move to {options}.",
        )
    if to_status == S.NO_RESPONSE and attempts == 0:
        raise ActionError(
            "status", "Record at least one contact attempt before marking “No response”."
        )
    if not reason and to_status in REASON_REQUIRED_TO:
        raise ActionError("reason", f"Please give the reason for “{_label(to_status)}”.")
    if not reason and current in REASON_REQUIRED_FROM:
        raise ActionError("reason", "Please give the reason for reopening this request.")


def do_set_status(
    actor: Actor,
    consultation: ConsultationRequest,
    to_status: str,
    reason: str = "",
    *,
    expected_from: str | None = None,
) -> StatusChange:
    """Move a request along the pathway. `expected_from` is the status the page showed: if
    someone changed it meanwhile, nothing happens and the error says so."""
    reason = reason.strip()
    with transaction.atomic():
        locked = _locked(consultation)
        if expected_from and locked.status != expected_from:
            raise ActionError(
                "status",
                f"Someone changed this request to “{locked.get_status_display()}” meanwhile; "
                "check it and try again.",
            )
        check_transition(locked, to_status, reason, attempts=locked.attempts.count())
        previous = locked.status
        change = _move(actor, locked, to_status, reason, timezone.now())
        locked.save(update_fields=["status", "status_reason", "status_changed_at"])
        record(
            actor,
            "intake.request.status_changed",
            object_type="consultation_request",
            object_id=locked.pk,
            clinic_id=locked.clinic_id,
            detail={"from": previous, "to": to_status},
        )
    consultation.refresh_from_db()
    return change


def conversion_problem(consultation: ConsultationRequest) -> str:
    """Why this request cannot be converted now; '' when it can."""
    if consultation.converted_patient_id or consultation.status == S.CONVERTED:
        return "This request was already converted to a patient record."
    if consultation.status == S.NEW:
        return "Record your first contact with this person before registering them."
    if consultation.status not in CONVERTIBLE_FROM:
        return (
            f"A request that is “{consultation.get_status_display()}” cannot be converted; "
            "reopen it first."
        )
    return ""


def do_convert_request(
    actor: Actor, consultation: ConsultationRequest, patient_data: dict[str, Any]
) -> Patient:
    """Register the patient from the (prefilled, reviewed) registration form and close the
    request as converted, in one transaction: both happen, or neither."""
    with transaction.atomic():
        locked = _locked(consultation)
        problem = conversion_problem(locked)
        if problem:
            raise ActionError("status", problem)
        patient = do_register_patient(actor, locked.clinic, patient_data)
        _close_with(actor, locked, patient, f"Registered as {patient.mrn}.")
        record(
            actor,
            "intake.request.converted",
            object_type="consultation_request",
            object_id=locked.pk,
            patient_id=patient.pk,
            clinic_id=locked.clinic_id,
            detail={"mrn": patient.mrn},
        )
    consultation.refresh_from_db()
    return patient


def do_link_request(actor: Actor, consultation: ConsultationRequest, patient: Patient) -> None:
    """The person asking is already a patient of the clinic (the registration form found the
    same legal name and date of birth, or staff recognised them): close the request as
    converted, pointing at that chart, and register no one."""
    with transaction.atomic():
        locked = _locked(consultation)
        problem = conversion_problem(locked)
        if problem:
            raise ActionError("status", problem)
        if patient.clinic_id != locked.clinic_id:
            # Views fetch the patient through the clinic; this guards any other caller.
            raise ActionError("patient", "That patient is not a patient of this clinic.")
        reason = f"Already a patient: linked to {patient.mrn}, not registered again."
        _close_with(actor, locked, patient, reason)
        record(
            actor,
            "intake.request.linked",
            object_type="consultation_request",
            object_id=locked.pk,
            patient_id=patient.pk,
            clinic_id=locked.clinic_id,
            detail={"mrn": patient.mrn},
        )
    consultation.refresh_from_db()


def _close_with(actor: Actor, locked: ConsultationRequest, patient: Patient, reason: str) -> None:
    now = timezone.now()
    _move(actor, locked, S.CONVERTED, reason, now)
    locked.converted_patient = patient
    locked.converted_at = now
    locked.save(
        update_fields=[
            "status",
            "status_reason",
            "status_changed_at",
            "converted_patient",
            "converted_at",
        ]
    )
