"""The REMS Patient Monitoring Form pages (clinical.md §6d).

`/patients/<id>/sessions/<n>/rems/`: the form of one esketamine session, generated from the
record, printable; fields the record lacks are typed here; then "submitted" with the date.
`/rems-forms/`: the clinic's forms overdue and due within 7 days. Every read is audited.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient
from ketacare.treatments import rems_actions
from ketacare.treatments.forms_rems import EntriesForm, SubmitForm
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.rems_form import (
    CLOSED,
    SUBMIT_WITHIN_DAYS,
    build_form,
    clinic_rows,
    form_status,
    is_rems_session,
)


def _session(patient: Patient, session_id: int) -> TreatmentSession:
    session = (
        TreatmentSession.objects.filter(patient=patient, clinic=patient.clinic, pk=session_id)
        .select_related("plan", "appointment__resource", "clinic", "hold_cleared_by")
        .first()
    )
    if session is None or not is_rems_session(session):
        raise Http404("No REMS monitoring form for this session.")
    session.patient = patient
    return session


def _page(
    request: HttpRequest,
    session: TreatmentSession,
    status: int = 200,
    entries: EntriesForm | None = None,
    submit: SubmitForm | None = None,
) -> HttpResponse:
    if status != 200:  # a refused entry shows the patient's form again: that is a read
        audit(
            request,
            "treatments.rems_form.viewed",
            object_type="session",
            object_id=session.pk,
            patient_id=session.patient_id,
            detail={"shown_after": "refused input", "status": status},
        )
    form = build_form(session)
    today = clinic_today(session.clinic)
    editable = [f for f in form.fields if f.editable] if not form.submitted else []
    context: dict[str, Any] = {
        "patient": session.patient,
        "session": session,
        "form": form,
        "record": form.record,
        "status": form_status(form, today),
        "days_left": (form.due_on - today).days,
        "closed": session.status in CLOSED,
        "can_edit": has_perm(getattr(request, "membership", None), Perm.SESSION_RUN)
        and not form.submitted,
        "entries_form": entries or EntriesForm(fields=editable),
        "submit_form": submit or SubmitForm(initial={"submitted_on": today}),
        "within_days": SUBMIT_WITHIN_DAYS,
    }
    return render(request, "treatments/rems_form.html", context, status=status)


def _to(session: TreatmentSession, anchor: str = "") -> HttpResponse:
    url = reverse("rems:form", args=[session.patient_id, session.pk])
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


@staff_view()
def form_page(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    session = _session(patient, session_id)
    audit(
        request,
        "treatments.rems_form.viewed",
        object_type="session",
        object_id=session.pk,
        patient_id=patient.pk,
    )
    return _page(request, session)


@staff_view()
@require_POST
def save_entries(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    form = build_form(session)
    if form.submitted:
        return _page(request, session, status=400)
    entries = EntriesForm(request.POST, fields=[f for f in form.fields if f.editable])
    if not entries.is_valid():
        return _page(request, session, status=400, entries=entries)
    try:
        rems_actions.do_save_rems_entries(
            actor_from_request(request), session, entries.values(), entries.seen()
        )
    except ActionError as exc:
        if isinstance(exc, rems_actions.EntryConflict):
            entries.show_current(exc.field, exc.current)
        entries.add_error(exc.field if exc.field in entries.fields else None, exc.message)
        return _page(request, session, status=400, entries=entries)
    return _to(session, "submit")


@staff_view()
@require_POST
def submit(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    form = SubmitForm(request.POST)
    if not form.is_valid():
        return _page(request, session, status=400, submit=form)
    try:
        rems_actions.do_submit_rems_form(
            actor_from_request(request),
            session,
            submitted_on=form.cleaned_data["submitted_on"],
            method=form.cleaned_data["method"] or "",
            confirmation=form.cleaned_data["confirmation"],
        )
    except ActionError as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return _page(request, session, status=400, submit=form)
    return _to(session)


@staff_view(Perm.PATIENT_VIEW)
def clinic_list(request: HttpRequest) -> HttpResponse:
    clinic = request.clinic  # type: ignore[attr-defined]  # set by staff_view
    rows = clinic_rows(clinic)
    # The list shows patients' names and record numbers: the entry says whose.
    audit(
        request,
        "treatments.rems_forms.listed",
        object_type="session",
        detail={
            "forms": len(rows),
            "patients": sorted({str(r.session.patient_id) for r in rows}),
            "sessions": [r.session.pk for r in rows],
        },
    )
    return render(
        request,
        "treatments/rems_list.html",
        {
            "overdue": [r for r in rows if r.status == "overdue"],
            "due": [r for r in rows if r.status == "due"],
            "within_days": SUBMIT_WITHIN_DAYS,
            "today": clinic_today(clinic),
        },
    )
