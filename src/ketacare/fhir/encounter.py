"""Treatment sessions → FHIR R4 Encounter, derived on read.

- `id` = `tx-{session pk}` (the reference device Observations carry in `encounter`);
- `status` from the session's step: scheduled → `planned`; checked in and pre-dose checks →
  `arrived`; dosing, monitoring, ready for discharge → `in-progress` (also once dosing was
  stopped early: the patient is still monitored); discharged, transferred out and (older
  sessions) stopped → `finished`; aborted (before any drug) → `cancelled`. `statusHistory`
  is not kept;
- `class` AMB (ambulatory, v3 ActCode); `type.text` = the protocol and version;
- `subject` = the patient; `period` = check-in to discharge (or to the transfer or abort);
- `appointment` = `Appointment/{id}`, `basedOn` = `CarePlan/{plan id}`, `location` = the chair
  (`Location/{id}`);
- an abort or transfer reason is in `hospitalization.dischargeDisposition.text`; a transfer
  out is coded `other-hcf` (Other healthcare facility, terminology.hl7.org discharge-disposition).

Search: `patient`, `status` (one of the FHIR codes above), `_count`, `_offset`;
newest first.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.clinical.protocols.library import get_protocol
from ketacare.fhir.clinical_common import (
    in_clinic,
    instant,
    last_updated,
    patient_reference,
    prune,
)
from ketacare.fhir.measures_search import Search
from ketacare.fhir.outcome import FhirError
from ketacare.fhir.patient_search import param_expression
from ketacare.treatments.models import SessionStatus, TreatmentSession

ENCOUNTER_PARAMS = ("patient", "status")
ENCOUNTER_ID = re.compile(r"^tx-(?P<pk>[1-9]\d{0,17})$")
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
FHIR_STATUS = {
    SessionStatus.SCHEDULED: "planned",
    SessionStatus.CHECKED_IN: "arrived",
    SessionStatus.PRE_DOSE: "arrived",
    SessionStatus.DOSING: "in-progress",
    SessionStatus.MONITORING: "in-progress",
    SessionStatus.READY: "in-progress",
    SessionStatus.DISCHARGED: "finished",
    SessionStatus.STOPPED: "finished",
    SessionStatus.ABORTED: "cancelled",
    SessionStatus.TRANSFERRED: "finished",
}
STATUSES_FOR = {
    code: [s for s, c in FHIR_STATUS.items() if c == code] for code in set(FHIR_STATUS.values())
}
KNOWN_STATUSES = [
    "planned",
    "arrived",
    "triaged",
    "in-progress",
    "onleave",
    "finished",
    "cancelled",
    "entered-in-error",
    "unknown",
]


def parse_encounter_id(resource_id: str) -> int | None:
    match = ENCOUNTER_ID.match(resource_id)
    return int(match["pk"]) if match else None


def session_type_text(session: TreatmentSession) -> str:
    """The session's kind in words: its protocol's name (which names drug and route) and
    version, not the internal codes ("iv_ketamine_depression v1 (iv_racemic)")."""
    try:
        name = get_protocol(session.protocol_code).name
    except ValueError:  # a protocol no longer in the library: its code is all there is
        name = session.protocol_code
    return f"Ketamine treatment session: {name}, protocol version {session.protocol_version}"


def session_last_updated(session: TreatmentSession) -> dict[str, str]:
    """The session row has no `updated_at`: its last change is its latest recorded step."""
    return last_updated(
        session.created_at,
        session.checked_in_at,
        session.checks_at,
        session.hold_cleared_at,
        session.dosing_started_at,
        session.dosing_ended_at,
        session.observation_started_at,
        session.ready_at,
        session.escort_confirmed_at,
        session.discharged_at,
        session.ended_at,
        session.locked_at,
    )


def encounter_to_fhir(session: TreatmentSession) -> dict[str, Any]:
    end = session.discharged_at or session.ended_at
    resource: dict[str, Any] = {
        "resourceType": "Encounter",
        "id": f"tx-{session.pk}",
        "meta": session_last_updated(session),
        "status": FHIR_STATUS[SessionStatus(session.status)],
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [{"text": session_type_text(session)}],
        "subject": patient_reference(session.patient_id),
        "basedOn": [{"reference": f"CarePlan/{session.plan_id}"}],
        "appointment": [{"reference": f"Appointment/{session.appointment_id}"}],
        "period": prune({"start": instant(session.checked_in_at), "end": instant(end)}),
    }
    chair = getattr(session.appointment, "resource_id", None)
    if chair is not None:
        resource["location"] = [{"location": {"reference": f"Location/{chair}"}}]
    ended = (SessionStatus.STOPPED, SessionStatus.ABORTED, SessionStatus.TRANSFERRED)
    if session.status in ended and session.end_reason:
        disposition: dict[str, Any] = {
            "text": f"{session.get_status_display()}: {session.end_reason}"
        }
        if session.status == SessionStatus.TRANSFERRED:
            disposition["coding"] = [
                {"system": DISPOSITION, "code": "other-hcf", "display": "Other healthcare facility"}
            ]
        resource["hospitalization"] = {"dischargeDisposition": disposition}
    return prune(resource)


def run_encounter_search(clinic: Clinic, search: Search) -> QuerySet[TreatmentSession]:
    rows = in_clinic(
        TreatmentSession.objects.select_related("appointment"), clinic, search, "patient"
    ).filter(clinic=clinic)
    for code in search.values("status"):
        if code not in KNOWN_STATUSES:
            raise FhirError(
                400,
                "invalid",
                f"Search parameter 'status': {code[:40]!r} is not an Encounter status "
                f"({', '.join(KNOWN_STATUSES)}).",
                param_expression("status"),
            )
        rows = rows.filter(status__in=STATUSES_FOR.get(code, []))
    return rows.order_by("-created_at", "-pk")


def encounter_row(clinic: Clinic, pk: int) -> TreatmentSession | None:
    found: TreatmentSession | None = (
        TreatmentSession.objects.filter(pk=pk, clinic=clinic).select_related("appointment").first()
    )
    return found
