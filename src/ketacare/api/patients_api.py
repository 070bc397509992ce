"""Patients over JSON: search, read, register, update, and add diagnoses/allergies/measurements."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from ketacare.accounts.access import require
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.api.errors import FieldError, form_data, idempotency, raise_form_errors
from ketacare.api.schemas import (
    AllergyIn,
    AllergyOut,
    DiagnosisIn,
    DiagnosisOut,
    ErrorOut,
    MeasurementIn,
    MeasurementOut,
    PatientIn,
    PatientOut,
    PatientPageOut,
    PatientPatch,
    PatientSearchIn,
    PatientSummaryOut,
)
from ketacare.core.submission import AlreadySaved, scope
from ketacare.patients import actions
from ketacare.patients.access import access_patient
from ketacare.patients.forms import (
    AllergyForm,
    DiagnosisForm,
    MeasurementForm,
    PatientForm,
    duplicate_message,
    same_name_and_birth,
)
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.patients.search import PatientQuery, search_patients

router = Router(tags=["patients"])


def patient_out(patient: Patient) -> PatientOut:
    measurements = list(patient.measurements.all()[:20])
    height = next((m.height_cm for m in measurements if m.height_cm), None)
    out = PatientOut.from_orm(patient)
    out.diagnoses = [DiagnosisOut.from_orm(d) for d in patient.diagnoses.all()]
    out.allergies = [AllergyOut.from_orm(a) for a in patient.allergies.all()]
    out.measurements = [
        MeasurementOut(
            id=m.pk,
            measured_at=m.measured_at,
            weight_kg=m.weight_kg,
            height_cm=m.height_cm,
            bmi=m.bmi_with(height),
        )
        for m in measurements
    ]
    return out


# Search is a POST so names and birth dates never appear in URLs or access logs.
@router.post("/search", response={200: PatientPageOut, 422: ErrorOut})
def search(request: ClinicRequest, payload: PatientSearchIn) -> PatientPageOut:
    require(request, Perm.PATIENT_VIEW)
    patients = search_patients(request.clinic, PatientQuery(payload.q.strip(), payload.birth_date))
    start = (payload.page - 1) * payload.page_size
    results = list(patients[start : start + payload.page_size])
    count = patients.count()
    audit(
        request,
        "patients.list.viewed",
        detail={
            "searched": bool(payload.q or payload.birth_date),
            "page": payload.page,
            "results": count,
            "via": "api",
        },
    )
    return PatientPageOut(
        count=count,
        page=payload.page,
        page_size=payload.page_size,
        results=[PatientSummaryOut.from_orm(p) for p in results],
    )


@router.get("/{patient_id}", response={200: PatientOut, 404: ErrorOut})
def read(request: ClinicRequest, patient_id: str) -> PatientOut:
    patient = access_patient(request, patient_id)
    audit(
        request,
        "patients.chart.viewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"via": "api"},
    )
    return patient_out(patient)


# A repeat of a create with the same `Idempotency-Key` answers 200 with what the first created.
@router.post("", response={200: PatientOut, 201: PatientOut, 409: ErrorOut, 422: ErrorOut})
def create(request: ClinicRequest, payload: PatientIn) -> Status[PatientOut]:
    require(request, Perm.PATIENT_CREATE)
    key, first = idempotency(request, scope(actions.ONCE_PATIENT, request.clinic.pk))
    if first:
        return Status(200, patient_out(access_patient(request, first)))
    data = form_data(payload)
    confirmed = bool(data.pop("confirm_duplicate", False))
    form = PatientForm(data)
    raise_form_errors(form)
    twin = same_name_and_birth(
        request.clinic,
        form.cleaned_data["legal_given_name"],
        form.cleaned_data["legal_family_name"],
        form.cleaned_data["birth_date"],
    )
    if twin is not None and not confirmed:
        raise FieldError(
            "confirm_duplicate",
            f'{duplicate_message(twin)} Send "confirm_duplicate": true to register a '
            "different person.",
            status=409,
        )
    try:
        patient = actions.do_register_patient(
            actor_from_request(request), request.clinic, form.cleaned_data, once=key
        )
    except AlreadySaved as saved:
        return Status(200, patient_out(access_patient(request, saved.object_id)))
    return Status(201, patient_out(patient))


@router.patch("/{patient_id}", response={200: PatientOut, 404: ErrorOut, 422: ErrorOut})
def update(request: ClinicRequest, patient_id: str, payload: PatientPatch) -> PatientOut:
    patient = access_patient(request, patient_id, Perm.PATIENT_EDIT_DEMOGRAPHICS)
    current = PatientForm(instance=patient).initial
    merged = {
        **{k: ("" if v is None else v) for k, v in current.items()},
        **form_data(payload, exclude_unset=True),
    }
    form = PatientForm(merged, instance=Patient.objects.get(pk=patient.pk))
    raise_form_errors(form)
    actions.do_update_demographics(
        actor_from_request(request), patient, {f: form.cleaned_data[f] for f in form.changed_data}
    )
    return patient_out(patient)


@router.post(
    "/{patient_id}/diagnoses",
    response={200: DiagnosisOut, 201: DiagnosisOut, 404: ErrorOut, 422: ErrorOut},
)
def add_diagnosis(
    request: HttpRequest, patient_id: str, payload: DiagnosisIn
) -> Status[DiagnosisOut]:
    patient = access_patient(request, patient_id, Perm.DIAGNOSIS_EDIT)
    key, first = idempotency(request, scope(actions.ONCE_DIAGNOSIS, patient.pk))
    if first:
        return Status(200, DiagnosisOut.from_orm(get_object_or_404(patient.diagnoses, pk=first)))
    form = DiagnosisForm(form_data(payload), patient=patient)
    raise_form_errors(form)
    try:
        diagnosis = actions.do_add_diagnosis(
            actor_from_request(request), patient, form.save(commit=False), once=key
        )
    except AlreadySaved as saved:
        return Status(
            200, DiagnosisOut.from_orm(get_object_or_404(patient.diagnoses, pk=saved.object_id))
        )
    return Status(201, DiagnosisOut.from_orm(diagnosis))


@router.post(
    "/{patient_id}/allergies",
    response={200: AllergyOut, 201: AllergyOut, 404: ErrorOut, 422: ErrorOut},
)
def add_allergy(request: HttpRequest, patient_id: str, payload: AllergyIn) -> Status[AllergyOut]:
    patient = access_patient(request, patient_id, Perm.ALLERGY_EDIT)
    key, first = idempotency(request, scope(actions.ONCE_ALLERGY, patient.pk))
    if first:
        return Status(200, AllergyOut.from_orm(get_object_or_404(patient.allergies, pk=first)))
    form = AllergyForm(form_data(payload))
    raise_form_errors(form)
    try:
        allergy = actions.do_add_allergy(
            actor_from_request(request), patient, form.save(commit=False), once=key
        )
    except AlreadySaved as saved:
        return Status(
            200, AllergyOut.from_orm(get_object_or_404(patient.allergies, pk=saved.object_id))
        )
    return Status(201, AllergyOut.from_orm(allergy))


def _measurement_out(m: BodyMeasurement) -> MeasurementOut:
    return MeasurementOut(
        id=m.pk,
        measured_at=m.measured_at,
        weight_kg=m.weight_kg,
        height_cm=m.height_cm,
        bmi=m.bmi_with(None),
    )


@router.post(
    "/{patient_id}/measurements",
    response={200: MeasurementOut, 201: MeasurementOut, 404: ErrorOut, 422: ErrorOut},
)
def add_measurement(
    request: HttpRequest, patient_id: str, payload: MeasurementIn
) -> Status[MeasurementOut]:
    patient = access_patient(request, patient_id, Perm.MEASUREMENT_RECORD)
    key, first = idempotency(request, scope(actions.ONCE_MEASUREMENT, patient.pk))
    if first:
        return Status(200, _measurement_out(get_object_or_404(patient.measurements, pk=first)))
    form = MeasurementForm(form_data(payload), patient=patient)
    raise_form_errors(form)
    try:
        m = actions.do_record_measurement(
            actor_from_request(request), patient, form.save(commit=False), once=key
        )
    except AlreadySaved as saved:
        return Status(
            200, _measurement_out(get_object_or_404(patient.measurements, pk=saved.object_id))
        )
    return Status(201, _measurement_out(m))
