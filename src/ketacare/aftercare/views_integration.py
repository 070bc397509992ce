"""Integration therapy notes on a patient (mounted at patients/<patient_id>/aftercare/).

Every page fetches the patient through `access_patient` first (another clinic's patient is a
404, audited), then checks Perm.INTEGRATION_WRITE for writes. Reads are audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.aftercare.forms import AddendumForm, IntegrationNoteForm
from ketacare.aftercare.integration import (
    ONCE_ADDENDUM,
    ONCE_NOTE,
    do_add_addendum,
    do_save_note,
    do_sign_note,
)
from ketacare.aftercare.models import IntegrationNote, NoteStatus
from ketacare.core import submission
from ketacare.core.form_errors import add_refusal
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.evaluations.models import RouteChoice
from ketacare.measures.scheduling import clinic_today, clinic_zone
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient
from ketacare.scheduling.models import Appointment, AppointmentType
from ketacare.treatments.models import TreatmentSession


def _choices(patient: Patient) -> dict[str, list[tuple[str, str]]]:
    zone = clinic_zone(patient.clinic)
    appts = Appointment.objects.filter(
        patient=patient,
        type__in=(AppointmentType.INTEGRATION, AppointmentType.TELEHEALTH),
    ).order_by("-starts_at")[:30]
    sessions = TreatmentSession.objects.filter(patient=patient).order_by("-created_at")[:30]

    def route_label(route: str) -> str:
        return str(RouteChoice(route).label) if route in RouteChoice.values else route

    def when(s: TreatmentSession) -> str:
        at = s.dosing_started_at or s.created_at
        return f"{at.astimezone(zone):%Y-%m-%d} · {route_label(s.route)} · {s.get_status_display()}"

    return {
        "appointments": [
            (str(a.pk), f"{a.starts_at.astimezone(zone):%Y-%m-%d %H:%M} · {a.get_type_display()}")
            for a in appts
        ],
        "sessions": [(str(s.pk), when(s)) for s in sessions],
    }


def _note(patient: Patient, pk: int) -> IntegrationNote:
    note = (
        IntegrationNote.objects.filter(patient=patient, clinic=patient.clinic, pk=pk)
        .select_related("therapist", "signed_by", "risk_flag", "appointment")
        .first()
    )
    if note is None:
        raise Http404("No such note.")
    return note


def _note_url(patient: Patient, pk: object) -> str:
    return reverse("aftercare_patient:note", args=[patient.pk, pk])


def _initial(note: IntegrationNote) -> dict[str, Any]:
    return {
        "kind": note.kind,
        "held_on": note.held_on,
        "appointment": str(note.appointment_id or ""),
        "treatment_sessions": [
            str(pk) for pk in note.treatment_sessions.values_list("pk", flat=True)
        ],
        "intentions": note.intentions,
        "themes": note.themes,
        "insights": note.insights,
        "homework": note.homework,
        "risk": note.risk,
        "risk_note": note.risk_note,
    }


def _values(form: IntegrationNoteForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["treatment_sessions"] = [int(x) for x in data.get("treatment_sessions") or []]
    return data


@staff_view()
def note_list(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id)
    notes = list(
        IntegrationNote.objects.filter(patient=patient, clinic=request.clinic)
        .select_related("therapist")
        .prefetch_related("treatment_sessions")
    )
    audit(
        request,
        "aftercare.integration.listed",
        object_type="integration_note",
        patient_id=patient.pk,
        detail={"count": len(notes)},
    )
    return render(
        request,
        "aftercare/integration_list.html",
        {
            "patient": patient,
            "notes": notes,
            "can_write": has_perm(request.membership, Perm.INTEGRATION_WRITE),
        },
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def note_new(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.INTEGRATION_WRITE)
    choices = _choices(patient)
    if request.method == "POST":
        once, first = submission.page_key(request, submission.scope(ONCE_NOTE, patient.pk))
        if first:
            return already_saved(request, _note_url(patient, first))
        form = IntegrationNoteForm(request.POST, today=clinic_today(patient.clinic), **choices)
        if form.is_valid():
            try:
                note = do_save_note(actor_from_request(request), patient, _values(form), once=once)
            except AlreadySaved as saved:
                return already_saved(request, _note_url(patient, saved.object_id))
            except ActionError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, "Integration note saved as a draft.")
                return redirect("aftercare_patient:note", patient.pk, note.pk)
    else:
        today = clinic_today(patient.clinic)
        form = IntegrationNoteForm(
            initial={"held_on": today, "kind": "integration"}, today=today, **choices
        )
    return render(
        request,
        "aftercare/integration_form.html",
        {"patient": patient, "form": form, "note": None},
        status=400 if request.method == "POST" else 200,
    )


@staff_view()
@require_http_methods(["GET", "POST"])
def note_detail(request: ClinicRequest, patient_id: str, pk: int) -> HttpResponse:
    patient = access_patient(request, patient_id)
    note = _note(patient, pk)
    can_write = has_perm(request.membership, Perm.INTEGRATION_WRITE)
    form = None
    if note.status == NoteStatus.DRAFT and can_write:
        choices = _choices(patient)
        if request.method == "POST":
            access_patient(request, patient_id, Perm.INTEGRATION_WRITE)
            form = IntegrationNoteForm(request.POST, today=clinic_today(patient.clinic), **choices)
            if form.is_valid():
                try:
                    do_save_note(actor_from_request(request), patient, _values(form), note=note)
                except ActionError as exc:
                    form.add_error(exc.field if exc.field in form.fields else None, exc.message)
                else:
                    messages.success(request, "Draft saved.")
                    return redirect("aftercare_patient:note", patient.pk, note.pk)
        else:
            form = IntegrationNoteForm(
                initial=_initial(note), today=clinic_today(patient.clinic), **choices
            )
    elif request.method == "POST":
        return HttpResponse("This note is signed: add an addendum.", status=409)
    status = 400 if request.method == "POST" else 200  # a POST that reaches here was refused
    return _detail_page(request, patient, note, form=form, can_write=can_write, status=status)


def _detail_page(
    request: ClinicRequest,
    patient: Patient,
    note: IntegrationNote,
    *,
    form: IntegrationNoteForm | None,
    can_write: bool,
    addendum_form: AddendumForm | None = None,
    status: int = 200,
) -> HttpResponse:
    audit(
        request,
        "aftercare.integration.viewed",
        object_type="integration_note",
        object_id=note.pk,
        patient_id=patient.pk,
    )
    return render(
        request,
        "aftercare/integration_detail.html",
        {
            "patient": patient,
            "note": note,
            "form": form,
            "sessions": list(note.treatment_sessions.all()),
            "addenda": list(note.addenda.select_related("author")),
            "addendum_form": addendum_form or AddendumForm(),
            "can_write": can_write,
            "can_sign": can_write and note.therapist_id == request.user.pk,
        },
        status=status,
    )


@staff_view()
@require_POST
def note_sign(request: ClinicRequest, patient_id: str, pk: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.INTEGRATION_WRITE)
    note = _note(patient, pk)
    try:
        do_sign_note(actor_from_request(request), note)
    except ActionError as exc:
        messages.error(request, f"Not signed: {exc.message}")
    else:
        messages.success(request, "Note signed. It can no longer change; add an addendum.")
    return redirect("aftercare_patient:note", patient.pk, note.pk)


@staff_view()
@require_POST
def note_addendum(request: ClinicRequest, patient_id: str, pk: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.INTEGRATION_WRITE)
    note = _note(patient, pk)
    once, first = submission.page_key(request, submission.scope(ONCE_ADDENDUM, note.pk))
    if first:
        return already_saved(request, _note_url(patient, note.pk))
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            do_add_addendum(actor_from_request(request), note, form.cleaned_data["text"], once=once)
        except AlreadySaved:
            return already_saved(request, _note_url(patient, note.pk))
        except ActionError as exc:
            add_refusal(form, exc.field, exc.message)
        else:
            messages.success(request, "Addendum added.")
            return redirect("aftercare_patient:note", patient.pk, note.pk)
    # Shown again on the note with what was typed, under the field (a redirect lost the text).
    return _detail_page(
        request, patient, note, form=None, can_write=True, addendum_form=form, status=400
    )
