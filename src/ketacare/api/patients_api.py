"""Patients over JSON: search, read, register, update, and add diagnoses/allergies/measurements."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Status

from ketacare.accounts.access import require
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.api.errors import form_data, raise_form_errors
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
from ketacare.patients import actions
from ketacare.patients.access import access_patient
from ketacare.patients.forms import AllergyForm, DiagnosisForm, MeasurementForm, PatientForm
from ketacare.patients.models import Patient
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


@router.post("", response={201: PatientOut, 422: ErrorOut})
def create(request: ClinicRequest, payload: PatientIn) -> Status[PatientOut]:
    require(request, Perm.PATIENT_CREATE)
    form = PatientForm(form_data(payload))
    raise_form_errors(form)
    patient = actions.do_register_patient(
        actor_from_request(request), request.clinic, form.cleaned_data
    )
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


@router.post("/{patient_id}/diagnoses", response={201: DiagnosisOut, 404: ErrorOut, 422: ErrorOut})
def add_diagnosis(
    request: HttpRequest, patient_id: str, payload: DiagnosisIn
) -> Status[DiagnosisOut]:
    patient = access_patient(request, patient_id, Perm.DIAGNOSIS_EDIT)
    form = DiagnosisForm(form_data(payload), patient=patient)
    raise_form_errors(form)
    diagnosis = actions.do_add_diagnosis(
        actor_from_request(request), patient, form.save(commit=False)
    )
    return Status(201, DiagnosisOut.from_orm(diagnosis))


@router.post("/{patient_id}/allergies", response={201: AllergyOut, 404: ErrorOut, 422: ErrorOut})
def add_allergy(request: HttpRequest, patient_id: str, payload: AllergyIn) -> Status[AllergyOut]:
    patient = access_patient(request, patient_id, Perm.ALLERGY_EDIT)
    form = AllergyForm(form_data(payload))
    raise_form_errors(form)
    allergy = actions.do_add_allergy(actor_from_request(request), patient, form.save(commit=False))
    return Status(201, AllergyOut.from_orm(allergy))


@router.post(
    "/{patient_id}/measurements", response={201: MeasurementOut, 404: ErrorOut, 422: ErrorOut}
)
def add_measurement(
    request: HttpRequest, patient_id: str, payload: MeasurementIn
) -> Status[MeasurementOut]:
    patient = access_patient(request, patient_id, Perm.MEASUREMENT_RECORD)
    form = MeasurementForm(form_data(payload), patient=patient)
    raise_form_errors(form)
    m = actions.do_record_measurement(actor_from_request(request), patient, form.save(commit=False))
    return Status(
        201,
        MeasurementOut(
            id=m.pk,
            measured_at=m.measured_at,
            weight_kg=m.weight_kg,
            height_cm=m.height_cm,
            bmi=m.bmi_with(None),
        ),
    )
