"""Appointment → FHIR R4 Appointment, and Appointment search.

- `id` = the appointment's UUID. `status`: booked → booked, confirmed → booked (the patient's
  confirmation is their participant `status` accepted), checked_in → checked-in, completed →
  fulfilled, cancelled → cancelled (`cancelationReason.text` = the reason), no_show → noshow.
- `serviceType.text` = the appointment type; `appointmentType` v2-0276 FOLLOWUP for follow-ups,
  ROUTINE otherwise; `description` names the type, session number and phase.
- `participant`: the patient (required; accepted once they confirmed, needs-action before);
  the clinician (type ATND, display only: there is no Practitioner endpoint); the chair or room
  as `Location/{id}` (app-1: each has an actor).
- The plan an appointment was booked under is `supportingInformation` → `CarePlan/{id}`: R4
  `Appointment.basedOn` may only reference a ServiceRequest.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import coding, in_clinic, instant, patient_reference, prune
from ketacare.fhir.measures_search import Search, date_filter, date_range
from ketacare.fhir.outcome import FhirError
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.patient_search import param_expression
from ketacare.scheduling.models import Appointment, AppointmentStatus, AppointmentType

APPOINTMENT_PARAMS = ("patient", "date", "status", "location")
STATUS = {
    AppointmentStatus.BOOKED: "booked",
    AppointmentStatus.CONFIRMED: "booked",
    AppointmentStatus.CHECKED_IN: "checked-in",
    AppointmentStatus.COMPLETED: "fulfilled",
    AppointmentStatus.CANCELLED: "cancelled",
    AppointmentStatus.NO_SHOW: "noshow",
}
# The patient has said yes: by the link (confirmed_at) or by turning up.
PATIENT_ACCEPTED = (
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
)
APPOINTMENT_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0276"
PARTICIPATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
LOCATION_VALUE = re.compile(r"^[1-9]\d{0,17}$")


def parse_appointment_id(resource_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(resource_id)
    except ValueError:
        return None


def _appointment_type(kind: AppointmentType) -> dict[str, Any]:
    if kind == AppointmentType.FOLLOW_UP:
        code = coding(
            APPOINTMENT_TYPE_SYSTEM, "FOLLOWUP", "A follow up visit from a previous appointment"
        )
    else:
        code = coding(
            APPOINTMENT_TYPE_SYSTEM, "ROUTINE", "Routine appointment - default if not valued"
        )
    return {"coding": [code], "text": kind.label}


def _participants(appointment: Appointment) -> list[dict[str, Any]]:
    accepted = appointment.status in PATIENT_ACCEPTED or appointment.confirmed_at is not None
    people: list[dict[str, Any]] = [
        {
            "actor": patient_reference(appointment.patient_id),
            "required": "required",
            "status": "accepted" if accepted else "needs-action",
        }
    ]
    if appointment.clinician is not None:
        people.append(
            {
                "type": [{"coding": [coding(PARTICIPATION_SYSTEM, "ATND", "attender")]}],
                "actor": {"display": appointment.clinician.display_name},
                "required": "required",
                "status": "accepted",
            }
        )
    if appointment.resource is not None:
        people.append(
            {
                "actor": {
                    "reference": f"Location/{appointment.resource_id}",
                    "display": appointment.resource.name,
                },
                "required": "required",
                "status": "accepted",
            }
        )
    return people


def _description(appointment: Appointment) -> str:
    text = appointment.get_type_display()
    if appointment.session_number:
        text += f", session {appointment.session_number}"
    if appointment.phase:
        text += f" ({appointment.phase.replace('_', ' ')})"
    return text


def appointment_to_fhir(appointment: Appointment) -> dict[str, Any]:
    status = AppointmentStatus(appointment.status)
    kind = AppointmentType(appointment.type)
    reason = appointment.status_reason.strip()
    cancelled = status == AppointmentStatus.CANCELLED
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return prune(
        {
            "resourceType": "Appointment",
            "id": str(appointment.pk),
            "meta": {"lastUpdated": fhir_instant(appointment.updated_at)},
            "status": STATUS[status],
            "cancelationReason": {"text": reason} if cancelled and reason else None,
            "serviceType": [{"text": kind.label}],
            "appointmentType": _appointment_type(kind),
            "description": _description(appointment),
            "supportingInformation": (
                [{"reference": f"CarePlan/{appointment.plan_id}"}] if appointment.plan_id else []
            ),
            "start": fhir_instant(appointment.starts_at),
            "end": fhir_instant(appointment.ends_at),
            "minutesDuration": minutes if minutes > 0 else None,
            "created": instant(appointment.created_at),
            "comment": reason if reason and not cancelled else None,
            "participant": _participants(appointment),
        }
    )


def appointment_rows(clinic: Clinic) -> QuerySet[Appointment]:
    return Appointment.objects.filter(clinic=clinic).select_related("clinician", "resource")


def _location_key(value: str) -> int | None:
    reference = value.removeprefix("Location/")
    if "/" in reference:
        raise FhirError(
            400,
            "invalid",
            "Search parameter 'location' takes 'Location/{id}' or an id.",
            param_expression("location"),
        )
    return int(reference) if LOCATION_VALUE.match(reference) else None


def run_appointment_search(clinic: Clinic, search: Search) -> QuerySet[Appointment]:
    """Appointments of `clinic` matching the search, in time order."""
    rows = in_clinic(appointment_rows(clinic), clinic, search, "patient")
    for value in search.values("status"):
        rows = rows.filter(status__in=[ours for ours, theirs in STATUS.items() if theirs == value])
    for value in search.values("date"):
        rows = rows.filter(date_filter("starts_at", *date_range("date", value)))
    for value in search.values("location"):
        key = _location_key(value)
        rows = rows.filter(resource_id=key) if key is not None else rows.none()
    return rows.order_by("starts_at", "pk")


def appointment_row(clinic: Clinic, pk: uuid.UUID) -> Appointment | None:
    return appointment_rows(clinic).filter(pk=pk).first()
