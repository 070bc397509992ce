"""The one gatekeeper for patient records: `access_patient`.

Every page, API and FHIR handler that touches a patient fetches it here. The query goes
through the active clinic, so another clinic's patient is simply not found; the refusal
looks exactly like a missing record and is written to the audit log.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest

from ketacare.accounts.access import require
from ketacare.accounts.audit import Outcome, audit
from ketacare.accounts.permissions import Perm
from ketacare.patients.models import Patient


class PatientNotFound(Http404):
    pass


def access_patient(
    request: HttpRequest, patient_id: object, perm: Perm = Perm.PATIENT_VIEW
) -> Patient:
    clinic = getattr(request, "clinic", None)
    try:
        key = uuid.UUID(str(patient_id))
    except ValueError:
        key = None
    patient = None
    if clinic is not None and key is not None:
        patient = clinic.patients.filter(pk=key).first()
    if patient is None:
        audit(
            request,
            "patients.access.refused",
            outcome=Outcome.DENIED,
            object_type="patient",
            object_id=str(patient_id)[:64],
            detail={"path": request.path},
        )
        raise PatientNotFound("No such patient.")
    require(request, perm)
    return patient
