"""More of the session page: the controlled-substance entries of the session, infusion rate
changes and pauses, side effects, vitals corrections, signing and addenda, and the printable
discharge sheet. Mounted under /patients/<patient_id>/sessions/<session_id>/ like the rest;
each view goes through `access_patient`, calls one action and redirects back to the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, actor_from_request, audit
from ketacare.accounts.models import Role
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.patients.access import access_patient
from ketacare.treatments import corrections, infusion, side_effects, signing, views
from ketacare.treatments import substance_actions as sa
from ketacare.treatments.discharge_sheet import discharge_sheet, sheet_available
from ketacare.treatments.forms_chair import (
    AddendumForm,
    CorrectReadingForm,
    InfusionForm,
    SideEffectErrorForm,
    SideEffectForm,
)
from ketacare.treatments.forms_substances import UseForm
from ketacare.treatments.models import CLOSED_SESSION_STATUSES, TreatmentSession
from ketacare.treatments.models_substances import ROUTE_DRUG, SubstanceEntry
from ketacare.treatments.substance_ledger import lots_for_route, session_log_problems


def _lots(session: TreatmentSession) -> list[Any]:
    drug = ROUTE_DRUG.get(session.route)
    return lots_for_route(session.clinic, drug, include_expired=True) if drug else []


def chair_context(
    request: HttpRequest,
    session: TreatmentSession,
    bound: dict[str, Any],
    page: dict[str, Any],
) -> dict[str, Any]:
    """What the extra sections of the session page need."""
    membership = getattr(request, "membership", None)
    dose_form = page.get("dose_form")
    if dose_form is not None and "lot_id" in dose_form.fields:
        drug = ROUTE_DRUG.get(session.route)
        usable = lots_for_route(session.clinic, drug) if drug else []
        dose_form.fields["lot_id"].widget.choices = [("", "— type the lot below —")] + [
            (lot.pk, f"{lot.lot_number} · exp {lot.expiry:%Y-%m-%d}") for lot in usable
        ]
    entries = sa.session_entries(session)
    superseded = {e.corrects_id for e in entries if e.corrects_id}
    dose = getattr(session, "dose", None) if session.dosing_started_at else None
    use_form = bound.get("use") or UseForm(
        lots=_lots(session),
        initial={"lot": dose.drug_lot_id} if dose is not None and dose.drug_lot_id else None,
    )
    can_run = has_perm(membership, Perm.SESSION_RUN) and session.locked_at is None
    infusing = session.status == "dosing" and dose is not None and not dose.devices_planned
    open_to_correct = can_run and session.status in corrections.CORRECTABLE
    correctable = list(page.get("readings", [])) if open_to_correct else []
    correct_form = bound.get("correct_reading")
    wanted = request.GET.get("correct", "")
    if correct_form is None and wanted.isdigit():
        chosen = next((r for r in correctable if r.pk == int(wanted)), None)
        if chosen is not None:
            correct_form = CorrectReadingForm(
                initial={
                    "reading": chosen.pk,
                    **{
                        name: getattr(chosen, name)
                        for name in CorrectReadingForm.base_fields
                        if name not in ("reading", "correction_reason")
                    },
                }
            )
    signatures = list(session.signatures.select_related("by"))
    role = getattr(membership, "role", "")
    signs_as = signing.ROLE_SIGNS_AS.get(Role(role)) if role in Role.values else None
    closed = session.status in CLOSED_SESSION_STATUSES
    return {
        "sheet_available": sheet_available(session),
        "can_run": page.get("can_run", False) and session.locked_at is None,
        "signatures": signatures,
        "signs_as": signs_as,
        "can_sign": closed
        and session.locked_at is None
        and has_perm(membership, Perm.SESSION_SIGN)
        and signs_as is not None
        and all(s.role != signs_as and s.by_id != request.user.pk for s in signatures),
        "log_problems": session_log_problems(session) if closed and not session.locked_at else [],
        "addenda": list(session.addenda.select_related("by")),
        "can_add_addendum": closed and has_perm(membership, Perm.SESSION_SIGN),
        "addendum_form": bound.get("addendum") or AddendumForm(),
        "corrected_readings": corrections.corrected_readings(session),
        "correctable": correctable,
        "correct_form": correct_form,
        "infusion_lines": infusion.timeline(session),
        "infusing": infusing and can_run,
        "paused": infusing and infusion.is_paused(session),
        "infusion_form": bound.get("infusion") or InfusionForm(),
        "side_effects": list(
            session.side_effects.select_related("recorded_by", "entered_in_error_by")
        ),
        "side_effect_form": bound.get("side_effect") or SideEffectForm(),
        # A refused "entered in error" shows under its own row, with the reason typed.
        "side_effect_error_form": bound.get("side_effect_error"),
        "can_mark_side_effects": can_run,
        "can_record_side_effects": can_run and session.dosing_started_at is not None,
        "substance_entries": [(e, e.pk not in superseded) for e in entries],
        "use_form": use_form,
        "can_record_substances": has_perm(membership, Perm.SUBSTANCE_RECORD)
        and session.locked_at is None
        and session.dosing_started_at is not None,
    }


def _bad(
    request: HttpRequest, session: TreatmentSession, key: str, form: forms.Form, exc: ActionError
) -> HttpResponse:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    bound: dict[str, Any] = {key: form}
    error = exc.message if exc.field == "session" else ""  # signed and locked
    return views._page(request, session, 400, error, **bound)


def _form_action(
    request: HttpRequest,
    patient_id: str,
    session_id: int,
    perm: Perm,
    key: str,
    make_form: Callable[[TreatmentSession], forms.Form],
    act: Callable[[Actor, TreatmentSession, dict[str, Any]], object],
    anchor: str,
) -> HttpResponse:
    """Every form of the session page has this shape: the patient through `access_patient`
    (clinic and permission), the form checked (400: the page with the form's errors under
    `key`), one action (its ActionError named on the form's field), then back to the page at
    `anchor`."""
    patient = access_patient(request, patient_id, perm)
    session = views._session(patient, session_id)
    form = make_form(session)
    if not form.is_valid():
        return views._page(request, session, 400, "", **{key: form})
    try:
        act(actor_from_request(request), session, form.cleaned_data)
    except ActionError as exc:
        return _bad(request, session, key, form, exc)
    return views._to(session, anchor)


@staff_view()
@require_POST
def record_use(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    return _form_action(
        request,
        patient_id,
        session_id,
        Perm.SUBSTANCE_RECORD,
        "use",
        lambda session: UseForm(request.POST, lots=_lots(session)),
        sa.do_record_use,
        "substances",
    )


@staff_view()
@require_POST
def infusion_event(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    def act(actor: Actor, session: TreatmentSession, data: dict[str, Any]) -> object:
        return infusion.do_infusion_event(
            actor, session, data["kind"], data["rate_ml_per_h"], data["reason"]
        )

    return _form_action(
        request,
        patient_id,
        session_id,
        Perm.SESSION_RUN,
        "infusion",
        lambda _: InfusionForm(request.POST),
        act,
        "infusion",
    )


@staff_view()
@require_POST
def record_side_effect(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    return _form_action(
        request,
        patient_id,
        session_id,
        Perm.SESSION_RUN,
        "side_effect",
        lambda _: SideEffectForm(request.POST),
        side_effects.do_record_side_effect,
        "side-effects",
    )


@staff_view()
@require_POST
def mark_side_effect_in_error(
    request: HttpRequest, patient_id: str, session_id: int
) -> HttpResponse:
    def act(actor: Actor, session: TreatmentSession, data: dict[str, Any]) -> object:
        return side_effects.do_mark_side_effect_in_error(
            actor, session, data["side_effect"], data["error_reason"]
        )

    return _form_action(
        request,
        patient_id,
        session_id,
        Perm.SESSION_RUN,
        "side_effect_error",
        lambda _: SideEffectErrorForm(request.POST),
        act,
        "side-effects",
    )


@staff_view()
@require_POST
def correct_reading(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    def act(actor: Actor, session: TreatmentSession, data: dict[str, Any]) -> object:
        return corrections.do_correct_reading(
            actor, session, data["reading"], data, data["correction_reason"]
        )

    return _form_action(
        request,
        patient_id,
        session_id,
        Perm.SESSION_RUN,
        "correct_reading",
        lambda _: CorrectReadingForm(request.POST),
        act,
        "corrections",
    )


@staff_view()
@require_POST
def sign(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_SIGN)
    session = views._session(patient, session_id)
    membership = getattr(request, "membership", None)
    voided: list[str] = []
    try:
        signing.do_sign(
            actor_from_request(request), session, getattr(membership, "role", ""), voided
        )
    except ActionError as exc:
        return views._page(request, session, 400, exc.message)
    for text in voided:
        messages.warning(request, text)
    return views._to(session, "signing")


@staff_view()
@require_POST
def add_addendum(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    return _form_action(
        request,
        patient_id,
        session_id,
        Perm.SESSION_SIGN,
        "addendum",
        lambda _: AddendumForm(request.POST),
        lambda actor, session, data: signing.do_add_addendum(actor, session, data["text"]),
        "signing",
    )


@staff_view()
def print_discharge_sheet(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    session = views._session(patient, session_id)
    if not sheet_available(session):
        return views._page(
            request, session, 400, "The discharge instructions print once the patient leaves."
        )
    audit(
        request,
        "treatments.session.discharge_sheet_viewed",
        object_type="session",
        object_id=session.pk,
        patient_id=patient.pk,
    )
    context = {"patient": patient, "session": session, "sheet": discharge_sheet(session)}
    return render(request, "treatments/discharge_sheet.html", context)


__all__ = ["SubstanceEntry", "chair_context", "record_use"]
