"""Patient pages: the clinic's patient list and search, registration, and the chart."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core import submission
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.patients import actions
from ketacare.patients.access import access_patient
from ketacare.patients.forms import (
    AllergyForm,
    DiagnosisForm,
    DiagnosisStatusForm,
    MeasurementForm,
    PatientForm,
    PatientSearchForm,
)
from ketacare.patients.models import DiagnosisStatus
from ketacare.patients.search import PatientQuery, search_patients

SEARCH_SESSION_KEY = "patient_search"
PAGE_SIZE = 25


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def patient_list(request: ClinicRequest) -> HttpResponse:
    # Search terms are posted and kept in the session, never put in the URL: a name or
    # birth date in a query string would end up in browser history and server logs.
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SEARCH_SESSION_KEY, None)
            return redirect("patients:list")
        form = PatientSearchForm(request.POST)
        if form.is_valid():
            born = form.cleaned_data["birth_date"]
            request.session[SEARCH_SESSION_KEY] = {
                "q": form.cleaned_data["q"],
                "birth_date": born.isoformat() if born else "",
            }
            return redirect("patients:list")
    else:
        saved = request.session.get(SEARCH_SESSION_KEY, {})
        form = PatientSearchForm(initial=saved)
    saved = request.session.get(SEARCH_SESSION_KEY, {})
    query = PatientQuery(
        text=saved.get("q", ""),
        birth_date=_iso_date(saved.get("birth_date", "")),
    )
    clinic = request.clinic
    page = Paginator(search_patients(clinic, query), PAGE_SIZE).get_page(request.GET.get("page"))
    audit(
        request,
        "patients.list.viewed",
        detail={
            "searched": not query.is_empty,
            "page": page.number,
            "results": page.paginator.count,
        },
    )
    return render(
        request,
        "patients/list.html",
        {
            "form": form,
            "page": page,
            "query": query,
            "can_create": has_perm(request.membership, Perm.PATIENT_CREATE),
        },
    )


def _iso_date(text: str) -> Any:
    from datetime import date

    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


@staff_view(Perm.PATIENT_CREATE)
@require_http_methods(["GET", "POST"])
def patient_create(request: ClinicRequest) -> HttpResponse:
    once, first = submission.page_key(
        request, submission.scope(actions.ONCE_PATIENT, request.clinic.pk)
    )
    if first:  # Register pressed twice: before the name check, which would find the first.
        return already_saved(request, reverse("patients:chart", args=[first]))
    form = PatientForm(request.POST or None, clinic=request.clinic)
    if request.method == "POST" and form.is_valid():
        data = {name: form.cleaned_data[name] for name in PatientForm.Meta.fields}
        try:
            patient = actions.do_register_patient(
                actor_from_request(request), request.clinic, data, once=once
            )
        except AlreadySaved as saved:
            return already_saved(request, reverse("patients:chart", args=[saved.object_id]))
        messages.success(request, f"Registered {patient.display_name} as {patient.mrn}.")
        return redirect("patients:chart", patient_id=patient.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "patients/form.html", {"form": form, "patient": None}, status=status)


@staff_view(Perm.PATIENT_VIEW)
def patient_chart(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id)
    measurements = list(patient.measurements.select_related("recorded_by")[:12])
    latest_height = next((m.height_cm for m in measurements if m.height_cm), None)
    rows = [(m, m.bmi_with(latest_height)) for m in measurements]
    membership = request.membership
    audit(
        request,
        "patients.chart.viewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    return render(
        request,
        "patients/chart.html",
        {
            "patient": patient,
            "diagnoses": patient.diagnoses.select_related("recorded_by"),
            "allergies": patient.allergies.select_related("recorded_by"),
            "measurements": rows,
            "latest": rows[0] if rows else None,
            "diagnosis_form": DiagnosisForm(),
            "allergy_form": AllergyForm(),
            "measurement_form": MeasurementForm(),
            "statuses": DiagnosisStatus.choices,
            "can": {
                "edit_demographics": has_perm(membership, Perm.PATIENT_EDIT_DEMOGRAPHICS),
                "edit_diagnoses": has_perm(membership, Perm.DIAGNOSIS_EDIT),
                "edit_allergies": has_perm(membership, Perm.ALLERGY_EDIT),
                "record_measurements": has_perm(membership, Perm.MEASUREMENT_RECORD),
            },
        },
    )


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def patient_edit(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.PATIENT_EDIT_DEMOGRAPHICS)
    # Validate on a copy so a rejected form never leaves half-applied values in memory.
    form = PatientForm(request.POST or None, instance=type(patient).objects.get(pk=patient.pk))
    if request.method == "POST" and form.is_valid():
        changed = actions.do_update_demographics(
            actor_from_request(request),
            patient,
            {f: form.cleaned_data[f] for f in form.changed_data},
        )
        messages.success(request, "Saved." if changed else "Nothing changed.")
        return redirect("patients:chart", patient_id=patient.pk)
    if request.method == "GET":
        audit(
            request,
            "patients.demographics.viewed",
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
        )
    status = 400 if request.method == "POST" else 200
    return render(request, "patients/form.html", {"form": form, "patient": patient}, status=status)


def _chart_with_errors(
    request: HttpRequest, patient_id: str, section: str, form: Any
) -> HttpResponse:
    """Re-show the section's form with its errors and everything the user typed."""
    return render(
        request,
        "patients/section_form.html",
        {"patient": access_patient(request, patient_id), "section": section, "form": form},
        status=400,
    )


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def diagnosis_add(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.DIAGNOSIS_EDIT)
    once, first = submission.page_key(request, submission.scope(actions.ONCE_DIAGNOSIS, patient.pk))
    if first:
        return already_saved(request, _chart_url(patient.pk, "diagnoses"))
    form = DiagnosisForm(request.POST, patient=patient)
    if not form.is_valid():
        return _chart_with_errors(request, patient_id, "diagnosis", form)
    try:
        diagnosis = actions.do_add_diagnosis(
            actor_from_request(request), patient, form.save(commit=False), once=once
        )
    except AlreadySaved:
        return already_saved(request, _chart_url(patient.pk, "diagnoses"))
    messages.success(request, f"Added {diagnosis.icd10_code} {diagnosis.display}.")
    return _back_to(patient.pk, "diagnoses")


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def diagnosis_status(request: ClinicRequest, patient_id: str, diagnosis_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.DIAGNOSIS_EDIT)
    diagnosis = patient.diagnoses.filter(pk=diagnosis_id).first()
    if diagnosis is None:
        raise Http404("No such diagnosis on this chart.")
    form = DiagnosisStatusForm(request.POST)
    # Refused under the select, named with the diagnosis it is about.
    form.fields["status"].label = f"Status of {diagnosis.icd10_code} {diagnosis.display}"
    if not form.is_valid():
        return render(
            request,
            "patients/section_form.html",
            {
                "patient": patient,
                "section": "diagnosis_status",
                "diagnosis": diagnosis,
                "form": form,
            },
            status=400,
        )
    actions.do_set_diagnosis_status(
        actor_from_request(request), diagnosis, form.cleaned_data["status"]
    )
    messages.success(request, f"{diagnosis.icd10_code} marked {diagnosis.get_status_display()}.")
    return _back_to(patient.pk, "diagnoses")


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def allergy_add(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.ALLERGY_EDIT)
    once, first = submission.page_key(request, submission.scope(actions.ONCE_ALLERGY, patient.pk))
    if first:
        return already_saved(request, _chart_url(patient.pk, "allergies"))
    form = AllergyForm(request.POST)
    if not form.is_valid():
        return _chart_with_errors(request, patient_id, "allergy", form)
    try:
        allergy = actions.do_add_allergy(
            actor_from_request(request), patient, form.save(commit=False), once=once
        )
    except AlreadySaved:
        return already_saved(request, _chart_url(patient.pk, "allergies"))
    messages.success(request, f"Added allergy: {allergy.substance}.")
    return _back_to(patient.pk, "allergies")


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def allergy_inactivate(request: ClinicRequest, patient_id: str, allergy_id: int) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.ALLERGY_EDIT)
    allergy = patient.allergies.filter(pk=allergy_id).first()
    if allergy is not None:
        actions.do_mark_allergy_inactive(actor_from_request(request), allergy)
        messages.success(request, f"{allergy.substance} marked inactive.")
    return _back_to(patient.pk, "allergies")


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def allergy_none_known(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.ALLERGY_EDIT)
    try:
        actions.do_mark_no_known_allergies(actor_from_request(request), patient)
        messages.success(request, "Recorded: no known allergies.")
    except ValueError as problem:
        messages.error(request, str(problem))
    return _back_to(patient.pk, "allergies")


@staff_view(Perm.PATIENT_VIEW)
@require_POST
def measurement_add(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.MEASUREMENT_RECORD)
    where = submission.scope(actions.ONCE_MEASUREMENT, patient.pk)
    once, first = submission.page_key(request, where)
    if first:  # before the weight check, which would ask about the first's weight again
        return already_saved(request, _chart_url(patient.pk, "measurements"))
    form = MeasurementForm(request.POST, patient=patient)
    if not form.is_valid():
        return _chart_with_errors(request, patient_id, "measurement", form)
    try:
        actions.do_record_measurement(
            actor_from_request(request), patient, form.save(commit=False), once=once
        )
    except AlreadySaved:
        return already_saved(request, _chart_url(patient.pk, "measurements"))
    messages.success(request, "Measurement recorded.")
    return _back_to(patient.pk, "measurements")


def _chart_url(patient_id: Any, anchor: str) -> str:
    return reverse("patients:chart", args=[patient_id]) + f"#{anchor}"


def _back_to(patient_id: Any, anchor: str) -> HttpResponse:
    return HttpResponseRedirect(_chart_url(patient_id, anchor))
