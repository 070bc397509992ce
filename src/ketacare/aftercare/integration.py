"""Integration therapy notes: write a draft, sign it (then it never changes), add addenda.

A risk answer other than "none" raises a safety flag (safety.actions.do_raise_flag) the moment
it is saved, in the same transaction: a risk disclosed in a session must not wait for the
signature. "Urgent" raises a high flag that also asks for a C-SSRS (clinical.md §16). A note
raises once per level: an edit from "concern" to "urgent" raises the high flag too (the moderate
one stands), while the same answer saved again, or a lower one, raises nothing.

Creating a note or an addendum takes `once`, the form's one-time submission key
(core/submission.py): stored with the new row in the same transaction, so Save pressed twice
writes (and flags) once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.aftercare.days import refuse_before_birth
from ketacare.aftercare.models import (
    IntegrationAddendum,
    IntegrationNote,
    NoteStatus,
    RiskAnswer,
)
from ketacare.core import submission
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.models import Patient
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.models import FlagSource, RiskLevel
from ketacare.scheduling.models import Appointment
from ketacare.treatments.models import TreatmentSession

TEXT_FIELDS = ("intentions", "themes", "insights", "homework", "risk_note")
RISK_LEVELS = {RiskAnswer.CONCERN: RiskLevel.MODERATE, RiskAnswer.URGENT: RiskLevel.HIGH}
# Lowest first, as safety.models.RiskLevel declares them.
_LEVEL_RANK = {level: rank for rank, level in enumerate(RiskLevel.values)}
# What a one-time key is for (core/submission.py `scope`): a note hangs off the patient, an
# addendum off its note.
ONCE_NOTE = "aftercare.integration_note"
ONCE_ADDENDUM = "aftercare.integration_addendum"


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:
        raise ActionError("actor", "A signed-in staff member must write this.")
    return actor.user_id


def _linked_sessions(patient: Patient, ids: Iterable[int]) -> list[TreatmentSession]:
    ids = list(ids)
    found = list(TreatmentSession.objects.filter(patient=patient, pk__in=ids))
    if len(found) != len(set(ids)):
        raise ActionError("treatment_sessions", "A linked session is not this patient's.")
    return found


def _appointment(patient: Patient, appointment_id: Any) -> Appointment | None:
    if not appointment_id:
        return None
    appt = Appointment.objects.filter(patient=patient, pk=appointment_id).first()
    if appt is None:
        raise ActionError("appointment", "That appointment is not this patient's.")
    return appt


def _raise_flag_if_needed(actor: Actor, note: IntegrationNote) -> None:
    """Raise the flag the note's risk answer calls for, unless its flag already stands at that
    level or above. A risk that rises on a later edit ("concern" → "urgent") raises a new,
    higher flag (crisis record, dosing block, faster escalation) and the note links to it; the
    earlier flag stays as it was. Lowering the answer never removes or lowers a flag."""
    if note.risk not in RISK_LEVELS:
        return
    level = RISK_LEVELS[RiskAnswer(note.risk)]
    earlier = note.risk_flag
    if earlier is not None and _LEVEL_RANK[earlier.level] >= _LEVEL_RANK[level]:
        return
    note.risk_flag = do_raise_flag(
        actor,
        note.patient,
        level=level,
        source=FlagSource.MANUAL,
        reason=(
            f"Integration session {note.held_on.isoformat()}: "
            f"{RiskAnswer(note.risk).label}. {note.risk_note}".strip()
        ),
        requires_cssrs=note.risk == RiskAnswer.URGENT,
    )
    note.save(update_fields=["risk_flag"])


def do_save_note(
    actor: Actor,
    patient: Patient,
    values: Mapping[str, Any],
    note: IntegrationNote | None = None,
    *,
    once: str = "",
) -> IntegrationNote:
    """Create (note=None) or update a draft. `values`: a form's cleaned_data with
    kind, held_on, appointment (id or None), treatment_sessions (ids), the text fields, risk.

    A held_on after today at the clinic is refused (ActionError on "held_on"), before anything
    is saved or flagged."""
    with transaction.atomic():
        if note is not None:
            note = IntegrationNote.objects.select_for_update().get(pk=note.pk)
            if note.status != NoteStatus.DRAFT:
                raise ActionError("status", "This note is signed: add an addendum instead.")
            if note.patient_id != patient.pk:
                raise ActionError("patient", "This note belongs to another patient.")
        if values.get("risk") not in RiskAnswer.values:
            raise ActionError("risk", "Answer the risk check.")
        held_on = values.get("held_on")
        if held_on is None:
            raise ActionError("held_on", "When was the session held?")
        # A note records a session that took place: a future date is a typing slip, and saving
        # it would raise a risk flag for a disclosure that cannot have been made yet. "Today"
        # is the clinic's, so a late-evening note is not refused on a server in another zone.
        today = clinic_today(patient.clinic)
        if held_on > today:
            raise ActionError(
                "held_on",
                f"{held_on.isoformat()} is in the future (today at the clinic is "
                f"{today.isoformat()}): write the note once the session has been held.",
            )
        refuse_before_birth("held_on", "The session date", held_on, patient)
        sessions = _linked_sessions(patient, values.get("treatment_sessions") or [])
        appt = _appointment(patient, values.get("appointment"))
        creating = note is None
        if note is None:
            note = IntegrationNote(
                clinic_id=patient.clinic_id, patient=patient, therapist_id=_user_id(actor)
            )
        note.kind = values["kind"]
        note.held_on = held_on
        note.appointment = appt
        note.risk = values["risk"]
        for name in TEXT_FIELDS:
            setattr(note, name, (values.get(name) or "").strip())
        note.updated_at = timezone.now()
        note.save()
        note.treatment_sessions.set(sessions)
        if creating:
            submission.remember(actor, once, submission.scope(ONCE_NOTE, patient.pk), note.pk)
        record(
            actor,
            "aftercare.integration.created" if creating else "aftercare.integration.updated",
            object_type="integration_note",
            object_id=note.pk,
            patient_id=patient.pk,
            clinic_id=patient.clinic_id,
            detail={"kind": note.kind, "risk": note.risk, "sessions": [s.pk for s in sessions]},
        )
        _raise_flag_if_needed(actor, note)
    return note


def do_sign_note(actor: Actor, note: IntegrationNote) -> IntegrationNote:
    with transaction.atomic():
        note = IntegrationNote.objects.select_for_update().get(pk=note.pk)
        if note.status == NoteStatus.SIGNED:
            raise ActionError("status", "This note is already signed.")
        if note.therapist_id != actor.user_id:
            raise ActionError("signed_by", "Only the therapist who wrote the note signs it.")
        if not (note.themes or note.insights or note.intentions):
            raise ActionError(
                "themes", "Record intentions, themes or insights before signing an empty note."
            )
        note.status = NoteStatus.SIGNED
        note.signed_at = timezone.now()
        note.signed_by_id = actor.user_id
        note.save(update_fields=["status", "signed_at", "signed_by"])
        record(
            actor,
            "aftercare.integration.signed",
            object_type="integration_note",
            object_id=note.pk,
            patient_id=note.patient_id,
            clinic_id=note.clinic_id,
        )
    return note


def do_add_addendum(
    actor: Actor, note: IntegrationNote, text: str, *, once: str = ""
) -> IntegrationAddendum:
    text = (text or "").strip()
    if not text:
        raise ActionError("text", "Write the addendum.")
    with transaction.atomic():
        note = IntegrationNote.objects.select_for_update().get(pk=note.pk)
        if note.status != NoteStatus.SIGNED:
            raise ActionError("status", "Edit the draft instead: addenda are for signed notes.")
        addendum = IntegrationAddendum.objects.create(
            note=note, text=text, author_id=_user_id(actor)
        )
        submission.remember(actor, once, submission.scope(ONCE_ADDENDUM, note.pk), addendum.pk)
        record(
            actor,
            "aftercare.integration.addendum",
            object_type="integration_note",
            object_id=note.pk,
            patient_id=note.patient_id,
            clinic_id=note.clinic_id,
            detail={"addendum": addendum.pk},
        )
    return addendum
