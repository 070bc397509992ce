"""Writing the REMS Patient Monitoring Form: the fields the record lacks, then submission.

Each action owns its transaction, locks the session row, refuses with an `ActionError` naming
the field, and writes an audit entry `treatments.rems_form.<verb>`. A submitted form is frozen
(`submitted_fields`): it is never edited again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, record
from ketacare.accounts.permissions import Perm, actor_may
from ketacare.clinical.vitals import VitalSigns, implausible
from ketacare.measures.scheduling import clinic_today
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.models_rems import RemsMonitoringForm, RemsSubmitMethod
from ketacare.treatments.rems_form import (
    BP,
    CLOSED,
    INTEGER,
    NO,
    SERIOUS,
    YES,
    YESNO,
    build_form,
    is_rems_session,
    says_yes,
    serious_events,
    snapshot,
)

# "132/84", "132/84 mmHg at 10:42": the unit, when typed, is not kept in the rest (the stored
# value carries it once, and saving the form again must give the same value).
BP_PATTERN = re.compile(r"^\s*(\d{2,3})\s*/\s*(\d{2,3})(?:\s*mm\s*hg\b|\b)(.*)$", re.S | re.I)
MINUTES_PATTERN = re.compile(r"[0-9]{1,4}")
MAX_TEXT = 500


def _audit(actor: Actor, session: TreatmentSession, verb: str, detail: dict[str, Any]) -> None:
    record(
        actor,
        f"treatments.rems_form.{verb}",
        object_type="session",
        object_id=session.pk,
        patient_id=session.patient_id,
        clinic_id=session.clinic_id,
        detail=detail,
    )


def _locked(session: TreatmentSession) -> tuple[TreatmentSession, RemsMonitoringForm]:
    session = (
        TreatmentSession.objects.select_for_update(of=("self",))
        .select_related("patient", "clinic", "plan", "appointment__resource")
        .get(pk=session.pk)
    )
    if not is_rems_session(session):
        raise ActionError("session", "A REMS monitoring form is only kept for esketamine doses.")
    form, _ = RemsMonitoringForm.objects.select_for_update().get_or_create(
        session=session, defaults={"clinic_id": session.clinic_id}
    )
    if form.is_submitted:
        raise ActionError("session", "This form was submitted; it can no longer change.")
    return session, form


def clean_entry(code: str, kind: str, label: str, raw: Any) -> str:
    """One typed value, checked for its kind; '' clears it."""
    text = str(raw if raw is not None else "").strip()
    if not text:
        return ""
    if len(text) > MAX_TEXT:
        raise ActionError(code, f"{label}: at most {MAX_TEXT} characters.")
    if kind == YESNO:
        canonical = {"yes": YES, "no": NO}.get(text.lower())
        if canonical is None:
            raise ActionError(code, f"{label}: answer Yes or No.")
        return canonical
    if kind == INTEGER:
        # ASCII digits only: str.isdigit() also accepts "²", which int() then refuses (a 500).
        if not MINUTES_PATTERN.fullmatch(text) or int(text) > 24 * 60:
            raise ActionError(code, f"{label}: enter whole minutes (0–1440).")
        return str(int(text))
    if kind == BP:
        match = BP_PATTERN.match(text)
        if match is None:
            raise ActionError(code, f"{label}: enter it as systolic/diastolic, e.g. 132/84.")
        sbp, dbp = int(match.group(1)), int(match.group(2))
        problems = implausible(VitalSigns(systolic_mmhg=sbp, diastolic_mmhg=dbp))
        if problems:
            raise ActionError(code, f"{label}: {problems[0][1]}")
        rest = match.group(3).strip()
        return f"{sbp}/{dbp} mmHg{(' ' + rest) if rest else ''}"
    return text


class EntryConflict(ActionError):
    """Someone saved this field since the page was opened; `current` is what is stored now."""

    def __init__(self, field: str, message: str, current: str):
        super().__init__(field, message)
        self.current = current


def _require_staff(actor: Actor, session: TreatmentSession, field: str) -> None:
    """The form is the chair staff's (the pages check `SESSION_RUN` too; so does the action)."""
    if not actor_may(actor, session.clinic_id, Perm.SESSION_RUN):
        raise ActionError(field, "Only the clinic's chair staff complete the REMS form.")


def do_save_rems_entries(
    actor: Actor,
    session: TreatmentSession,
    values: Mapping[str, Any],
    seen: Mapping[str, str] | None = None,
) -> RemsMonitoringForm:
    """Store what staff typed for the fields the record lacks (blank clears an entry).

    `seen` holds, per field, what the page showed when it was opened. A field posted as it was
    shown is left alone (so an older copy of the page never clears or reverts what someone
    else saved since); a field changed on the page while someone else also changed it is
    refused (`EntryConflict`) naming it."""
    now = timezone.now()
    with transaction.atomic():
        session, form_row = _locked(session)
        _require_staff(actor, session, "entries")
        form = build_form(session, form_row)
        fields = form.by_code()
        entries = dict(form_row.entries)
        changed = []
        for code, raw in values.items():
            f = fields.get(code)
            if f is None:
                raise ActionError(code, f"{code}: not a field of this form.")
            text = clean_entry(code, f.kind, f.label, raw)
            if code == SERIOUS and text and not says_yes(text):
                serious = serious_events(session)
                if serious:
                    raise ActionError(
                        code,
                        f"{f.label}: the session record holds {'; '.join(serious)}. "
                        "Answer “Yes: …” and describe it.",
                    )
            if not f.editable:
                if text and text != f.value:
                    raise ActionError(
                        code, f"{f.label}: taken from the session record; correct it there."
                    )
                continue
            shown = None if seen is None else seen.get(code)
            if shown is not None:
                if str(raw if raw is not None else "").strip() == shown.strip():
                    continue  # not touched on this page
                stored = entries.get(code, "")
                if stored != shown.strip() and stored != text:
                    raise EntryConflict(
                        code,
                        f"{f.label}: saved meanwhile by someone else as “{stored or 'blank'}”. "
                        "Check it and save again.",
                        stored,
                    )
            if entries.get(code, "") != text:
                changed.append(code)
            if text:
                entries[code] = text
            else:
                entries.pop(code, None)
        form_row.entries = entries
        form_row.updated_at, form_row.updated_by_id = now, actor.user_id
        form_row.save()
        _audit(actor, session, "saved", {"fields": changed})
    return form_row


def do_submit_rems_form(
    actor: Actor,
    session: TreatmentSession,
    *,
    submitted_on: date | None,
    method: str,
    confirmation: str = "",
) -> RemsMonitoringForm:
    """Mark the form submitted, freezing every field; refused while any is not recorded."""
    now = timezone.now()
    with transaction.atomic():
        session, form_row = _locked(session)
        _require_staff(actor, session, "submitted_on")
        if session.status not in CLOSED:
            raise ActionError(
                "submitted_on", "The session is still running: submit after discharge."
            )
        if method not in RemsSubmitMethod.values:
            raise ActionError("method", "Choose how the form was sent (online or fax).")
        if submitted_on is None:
            raise ActionError("submitted_on", "Enter the date the form was submitted.")
        form = build_form(session, form_row)
        today = clinic_today(session.clinic)
        if submitted_on > today:
            raise ActionError("submitted_on", "The submission date cannot be in the future.")
        if submitted_on < form.treatment_date:
            raise ActionError("submitted_on", "The submission date is before the treatment.")
        missing = form.missing
        if missing:
            raise ActionError(
                "submitted_on",
                "Not recorded yet: " + "; ".join(f.label for f in missing) + ".",
            )
        form_row.submitted_on = submitted_on
        form_row.submitted_at, form_row.submitted_by_id = now, actor.user_id
        form_row.method = method
        form_row.confirmation = (confirmation or "").strip()[:80]
        form_row.submitted_fields = snapshot(form)
        form_row.save()
        late = (submitted_on - form.due_on).days
        _audit(
            actor,
            session,
            "submitted",
            {"on": submitted_on.isoformat(), "method": method, "days_late": max(late, 0)},
        )
    return form_row
