"""Vital-signs Observations as a monitor gateway sends them, and a session being monitored."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import User
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.patients.actions import do_record_measurement
from ketacare.patients.models import BodyMeasurement, Patient
from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from tests.evaluations.evaluation_helpers import consent
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import (
    actor,
    appointment,
    dosed,
    phq9_today,
    ready_session,
)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
GATEWAY = "urn:ketacare-test:gateway"


def checked_in(
    prescriber: User, nurse: User, patient: Patient, chair: str = "Chair 1"
) -> TreatmentSession:
    """Eligible, consented, plan active, PHQ-9 today, checked in at `chair`."""
    if chair == "Chair 1":
        return ready_session(prescriber, nurse, patient)
    plan = iv_plan(prescriber, patient)
    consent(prescriber, patient, "iv_racemic")
    phq9_today(patient)
    appt = appointment(patient, plan, chair)
    return actions.do_check_in(actor(nurse), patient.clinic, patient, appt.pk)


def monitored(
    prescriber: User, nurse: User, patient: Patient, chair: str = "Chair 1"
) -> TreatmentSession:
    """A session of `patient`, checked in an hour ago, weighed, dose given, being monitored."""
    do_record_measurement(
        Actor(label="t"),
        patient,
        BodyMeasurement(measured_at=timezone.now(), weight_kg=Decimal("70")),
    )
    session = dosed(nurse, checked_in(prescriber, nurse, patient, chair))
    TreatmentSession.objects.filter(pk=session.pk).update(
        checked_in_at=timezone.now() - timedelta(hours=1)
    )
    session.refresh_from_db()
    return session


def quantity(value: Any, code: str, unit: str | None = None) -> dict[str, Any]:
    return {"value": value, "unit": unit or code, "system": UCUM, "code": code}


def observation(
    session: TreatmentSession,
    code: str,
    value: Any = None,
    *,
    unit: str = "",
    bp: tuple[Any, Any] | None = None,
    identifier: str | None = None,
    at: datetime | None = None,
    **extra: Any,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": f"Patient/{session.patient_id}"},
        "encounter": {"reference": f"Encounter/tx-{session.pk}"},
        "effectiveDateTime": fhir_instant(at or timezone.now() - timedelta(seconds=5)),
    }
    if identifier is not None:
        resource["identifier"] = [{"system": GATEWAY, "value": identifier}]
    if bp is not None:
        resource["component"] = [
            {
                "code": {"coding": [{"system": LOINC, "code": "8480-6"}]},
                "valueQuantity": quantity(bp[0], "mm[Hg]", "mmHg"),
            },
            {
                "code": {"coding": [{"system": LOINC, "code": "8462-4"}]},
                "valueQuantity": quantity(bp[1], "mm[Hg]", "mmHg"),
            },
        ]
    elif value is not None:
        resource["valueQuantity"] = quantity(value, unit)
    resource.update(extra)
    return resource


def post(client: Client, body: Any, **headers: str) -> Any:
    return client.post(
        "/fhir/Observation",
        data=json.dumps(body),
        content_type="application/fhir+json",
        headers=headers,
    )


def expression(response: Any) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return str(body["issue"][0]["expression"][0])
