"""The session page at the chair, mounted under /patients/<patient_id>/sessions/.

Every view fetches the patient through `access_patient` first and the session through that
patient; each POST calls one `do_*` action and redirects back to the session page. A refused
change re-renders the page with the bound form, the field named, status 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.clinical.discharge import DISCHARGE_INSTRUCTIONS
from ketacare.clinical.protocols import RequiredCheck
from ketacare.core.form_errors import add_refusal
from ketacare.patients.access import access_patient
from ketacare.patients.models import Patient
from ketacare.treatments import actions
from ketacare.treatments.chart import vitals_chart
from ketacare.treatments.checks import session_items
from ketacare.treatments.forms import (
    AckForm,
    CheckInForm,
    ChecksForm,
    DischargeForm,
    DoseForm,
    HoldForm,
    StopForm,
    TransferForm,
    VitalsForm,
)
from ketacare.treatments.late_readings import late_reading_ids
from ketacare.treatments.limits import clinic_monitoring
from ketacare.treatments.models import SessionStatus, TreatmentSession
from ketacare.treatments.record_changes import parse_seen
from ketacare.treatments.rems_form import is_rems_session
from ketacare.treatments.sedation import first_dose_at, sedation_timepoints
from ketacare.treatments.state import (
    clinic_limits,
    current_readings,
    next_due,
    observation_note,
    picture,
    readiness,
    repeat_asked,
    session_monitoring,
    session_protocol,
)


def _last_answers(session: TreatmentSession) -> dict[str, Any]:
    """The checklist answers recorded last, to show them in the form (a nurse sees what was
    recorded and changes only what changed). Not the vitals: recording the checklist again
    takes them again, and an old reading must never be stored as a new one."""
    if session.checks_at is None:
        return {}
    answers: dict[str, Any] = {}
    for check in session.checks.filter(at=session.checks_at, automatic=False):
        answers[check.code] = check.result
        answers[f"{check.code}_note"] = check.note
        if check.code == "medication_changes":
            answers["medication_classes"] = list(check.changed_classes)
    return answers


def _session(patient: Patient, session_id: int) -> TreatmentSession:
    session = (
        TreatmentSession.objects.filter(patient=patient, clinic=patient.clinic, pk=session_id)
        .select_related("plan", "appointment__resource", "clinic")
        .first()
    )
    if session is None:
        raise Http404("No such session on this chart.")
    session.patient = patient
    return session


def _to(session: TreatmentSession, anchor: str = "") -> HttpResponse:
    url = reverse("treatments:detail", args=[session.patient_id, session.pk])
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


def _minutes_observed(session: TreatmentSession, now: datetime) -> int | None:
    """Minutes on the observation clock: until now while the session runs; once it has ended,
    until the discharge (or the transfer out or abort), the figure it ended with."""
    start = session.observation_started_at
    if start is None:
        return None
    until = now if session.is_active else (session.discharged_at or session.ended_at or now)
    return max(0, int((until - start).total_seconds() // 60))


def _alerts_with_forms(session: TreatmentSession, bound: dict[str, Any]) -> list[Any]:
    """The session's alerts, newest first; each open one carries its own acknowledgement form
    (`ack_form`): the refused one (`bound["ack"]` for `bound["ack_alert"]`) keeps what was typed
    and its errors, every other one is blank."""
    alerts = list(session.alerts.select_related("acknowledged_by").order_by("-raised_at"))
    refused = bound.get("ack")
    repeat_min = session_monitoring(session).limits.repeat_after_min
    for alert in alerts:
        if alert.is_open:
            alert.ack_form = (  # type: ignore[attr-defined]  # for the template only
                refused
                if refused is not None and bound.get("ack_alert") == alert.pk
                else AckForm(alert_id=alert.pk, repeat_min=repeat_min)
            )
    return alerts


def _page(
    request: HttpRequest,
    session: TreatmentSession,
    status: int = 200,
    error: str = "",
    **bound: Any,
) -> HttpResponse:
    if status != 200:  # a refused entry shows the patient's session again: that is a read
        audit(
            request,
            "treatments.session.viewed",
            object_type="session",
            object_id=session.pk,
            patient_id=session.patient_id,
            detail={"shown_after": "refused input", "status": status},
        )
    protocol = session_protocol(session)
    readings = current_readings(session)
    pic = picture(readings)
    now = timezone.now()
    now_seen = now.isoformat()
    membership = getattr(request, "membership", None)
    dose = getattr(session, "dose", None) if session.dosing_started_at else None
    checks_form = bound.get("checks") or ChecksForm(
        items=session_items(session, protocol, clinic_monitoring(session.clinic_id)),
        initial=_last_answers(session),
    )
    context: dict[str, Any] = {
        "patient": session.patient,
        "session": session,
        "protocol": protocol,
        "observation_note": observation_note(protocol),
        "readings": readings,
        "late_readings": late_reading_ids(session, readings),
        "baseline": pic.baseline,
        "checks": list(session.checks.select_related("by").order_by("-at", "pk")[:40]),
        "alerts": _alerts_with_forms(session, bound),
        "dose": dose,
        "devices": list(dose.devices.all()) if dose is not None else [],
        # Live prompts only while the session runs; an ended one shows its final figures.
        "next_due": next_due(
            session,
            protocol,
            pic.latest,
            last_bp=pic.latest_bp,
            repeat_from=repeat_asked([session.pk]).get(session.pk),
        )
        if session.is_active
        else None,
        "blockers": actions.dosing_blockers(session)
        if session.status == SessionStatus.PRE_DOSE
        else [],
        "calc": None,
        "decision": readiness(session, now, readings=readings)
        if session.status in (SessionStatus.MONITORING, SessionStatus.READY)
        else None,
        "minutes_observed": _minutes_observed(session, now),
        "instructions": DISCHARGE_INSTRUCTIONS,
        "can_run": has_perm(membership, Perm.SESSION_RUN),
        "can_clear": has_perm(membership, Perm.SESSION_CLEAR_HOLD),
        "checks_form": checks_form,
        "hold_form": _seen_now(bound.get("hold") or HoldForm(initial={"seen_at": now_seen})),
        "dose_form": bound.get("dose") or DoseForm(),
        "vitals_form": bound.get("vitals") or VitalsForm(),
        "discharge_form": _seen_now(
            bound.get("discharge") or DischargeForm(initial={"seen_at": now_seen})
        ),
        "stop_form": bound.get("stop") or StopForm(),
        "transfer_form": bound.get("transfer") or TransferForm(),
        # Once a drug has been given, "stop" stops the dosing and the session goes on to
        # discharge; the only other end is a transfer out.
        "drug_given": actions.drug_given(session) if session.is_active else False,
        "monitored": session.status in actions.MONITORED,
        "chart": vitals_chart(readings, first_dose_at(session), clinic_limits(session)),
        "sedation": sedation_timepoints(session, protocol, readings, now),
        "error": error,
        "refusal": bound.get("refusal"),
        "end_error": bound.get("end_error", ""),
        "rems_owed": is_rems_session(session),
    }
    from ketacare.treatments.views_chair import chair_context

    context.update(chair_context(request, session, bound, context))
    if session.status == SessionStatus.PRE_DOSE and not context["blockers"]:
        try:
            context["calc"] = actions.session_dose(session)
        except ActionError as exc:
            context["calc_error"] = exc.message
    return render(request, "treatments/session.html", context, status=status)


def _seen_now(form: forms.Form) -> forms.Form:
    """A form shown again carries the time of this showing: what the person decides on next
    is the record as this page shows it (`record_changes`)."""
    if form.is_bound and "seen_at" in form.fields:
        data = dict(form.data.items())
        data["seen_at"] = timezone.now().isoformat()
        form.data = data
    return form


def _refused(
    request: HttpRequest, session: TreatmentSession, key: str, form: forms.Form, exc: ActionError
) -> HttpResponse:
    add_refusal(form, exc.field, exc.message)
    bound: dict[str, Any] = {key: form}
    locked = exc.field == "session"  # signed and locked: no form is shown to carry it
    return _page(request, session, status=400, error=exc.message if locked else "", **bound)


@staff_view()
def detail(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_VIEW)
    session = _session(patient, session_id)
    audit(
        request,
        "treatments.session.viewed",
        object_type="session",
        object_id=session.pk,
        patient_id=patient.pk,
    )
    return _page(request, session)


@staff_view()
@require_POST
def check_in(request: HttpRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    form = CheckInForm(request.POST)
    appointment = form.data.get("appointment", "")
    try:
        session = actions.do_check_in(
            actor_from_request(request),
            request.clinic,  # type: ignore[attr-defined]  # set by staff_view
            patient,
            appointment,
        )
    except ActionError as exc:
        return render(
            request,
            "treatments/refused.html",
            {"patient": patient, "message": exc.message},
            status=400,
        )
    return _to(session, "checks")


@staff_view()
@require_POST
def record_checks(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    protocol = session_protocol(session)
    form = ChecksForm(
        request.POST,
        items=session_items(session, protocol, clinic_monitoring(session.clinic_id)),
        scores_required=RequiredCheck.SEDATION_DISSOCIATION in protocol.monitoring.required_checks,
    )
    if not form.is_valid():
        return _page(request, session, status=400, checks=form)
    try:
        actions.do_record_checks(
            actor_from_request(request),
            session,
            form.answers(),
            form.vitals(),
            form.medication_classes(),
        )
    except ActionError as exc:
        return _refused(request, session, "checks", form, exc)
    return _to(session, "checks")


@staff_view()
@require_POST
def clear_hold(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_CLEAR_HOLD)
    session = _session(patient, session_id)
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _page(request, session, status=400, hold=form)
    try:
        actions.do_clear_hold(
            actor_from_request(request),
            session,
            form.cleaned_data["decision"] == "proceed",
            form.cleaned_data["note"],
            seen_at=parse_seen(form.cleaned_data["seen_at"]),
        )
    except ActionError as exc:
        return _refused(request, session, "hold", form, exc)
    return _to(session, "checks")


@staff_view()
@require_POST
def start_dose(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    form = DoseForm(request.POST)
    if not form.is_valid():
        return _page(request, session, status=400, dose=form)
    try:
        actions.do_start_dose(actor_from_request(request), session, form.cleaned_data)
    except ActionError as exc:
        return _refused(request, session, "dose", form, exc)
    return _to(session, "dose")


@staff_view()
@require_POST
def record_device(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    try:
        actions.do_record_device(actor_from_request(request), session)
    except ActionError as exc:
        return _page(request, session, status=400, error=exc.message)
    return _to(session, "dose")


@staff_view()
@require_POST
def end_infusion(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    try:
        actions.do_end_infusion(actor_from_request(request), session)
    except ActionError as exc:
        # Shown next to the button, with "Stop dosing early" opened below it.
        return _page(request, session, status=400, end_error=exc.message)
    return _to(session, "dose")


@staff_view()
@require_POST
def record_vitals(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    form = VitalsForm(request.POST)
    if not form.is_valid():
        return _page(request, session, status=400, vitals=form)
    try:
        actions.do_record_vitals(actor_from_request(request), session, form.cleaned_data)
    except ActionError as exc:
        return _refused(request, session, "vitals", form, exc)
    return _to(session, "vitals")


@staff_view()
@require_POST
def acknowledge(
    request: HttpRequest, patient_id: str, session_id: int, alert_id: int
) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    form = AckForm(
        request.POST,
        alert_id=alert_id,
        repeat_min=session_monitoring(session).limits.repeat_after_min,
    )
    if not form.is_valid():
        return _page(request, session, status=400, ack=form, ack_alert=alert_id)
    try:
        actions.do_acknowledge_alert(
            actor_from_request(request),
            session,
            alert_id,
            form.cleaned_data["action"],
            form.cleaned_data["note"],
        )
    except ActionError as exc:
        if exc.field in ("alert", "session"):  # no open alert (or locked): no form to carry it
            return _page(request, session, status=400, error=exc.message)
        form.add_error(exc.field if exc.field in ("action", "note") else None, exc.message)
        return _page(request, session, status=400, ack=form, ack_alert=alert_id)
    return _to(session, "alerts")


@staff_view()
@require_POST
def discharge(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    form = DischargeForm(request.POST)
    if not form.is_valid():
        return _page(request, session, status=400, discharge=form)
    try:
        actions.do_discharge(
            actor_from_request(request),
            session,
            escort_confirmed=form.cleaned_data["escort_confirmed"],
            escort_name=form.cleaned_data["escort_name"],
            override_reason=form.cleaned_data["override_reason"],
            may_override=has_perm(getattr(request, "membership", None), Perm.SESSION_CLEAR_HOLD),
            seen_at=parse_seen(form.cleaned_data["seen_at"]),
        )
    except actions.DischargeRefused as exc:
        if exc.field == "override_reason":
            form.add_error("override_reason", exc.message)
        return _page(request, session, status=400, discharge=form, refusal=exc.reasons)
    except ActionError as exc:
        return _refused(request, session, "discharge", form, exc)
    return _to(session)


@staff_view()
@require_POST
def stop(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    form = StopForm(request.POST)
    if not form.is_valid():
        return _page(request, session, status=400, stop=form)
    try:
        actions.do_stop_session(
            actor_from_request(request),
            session,
            form.cleaned_data["reason"],
            form.cleaned_data["given_mg"],
        )
    except ActionError as exc:
        session.refresh_from_db()
        if session.status in (SessionStatus.MONITORING, SessionStatus.READY):
            # Dosing ended meanwhile: no stop form is on the page to carry the message.
            return _page(request, session, status=400, error=exc.message)
        return _refused(request, session, "stop", form, exc)
    return _to(session)


@staff_view()
@require_POST
def transfer_out(request: HttpRequest, patient_id: str, session_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SESSION_RUN)
    session = _session(patient, session_id)
    form = TransferForm(request.POST)
    if not form.is_valid():
        return _page(request, session, status=400, transfer=form)
    try:
        actions.do_transfer_out(
            actor_from_request(request),
            session,
            form.cleaned_data["reason"],
            form.cleaned_data["given_mg"],
        )
    except ActionError as exc:
        return _refused(request, session, "transfer", form, exc)
    return _to(session)
