"""Integration therapy sessions → FHIR R4 Encounter.

- `id` = `int-{pk}`; `status` finished (the session was held; a draft note is still a held
  session, and `meta.tag` says whether its note is signed); `class` AMB (ambulatory), or VR
  (virtual) when its appointment was telehealth.
- `type.text` = "Integration therapy: preparation" / "…: integration"; `serviceType.text`
  = "Ketamine-assisted integration therapy".
- `subject`, `participant` (the therapist, by display), `period.start` = the day held,
  `appointment` = the booked Appointment when there is one.
- The dosing sessions it prepares or integrates: `extension`
  `urn:ketacare:fhir:treatment-session` (valueString = the session id), since R4 Encounter
  cannot reference a session that is not itself a FHIR resource here.
- The note's text is not exported (a therapy note stays in the chart).
"""

from __future__ import annotations

import re
from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.aftercare.models import IntegrationNote, NoteStatus
from ketacare.fhir.clinical_common import in_clinic, patient_reference, prune
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ENCOUNTER_PARAMS = ("patient",)
ENCOUNTER_ID = re.compile(r"^int-(?P<pk>[1-9]\d{0,17})$")
SESSION_EXTENSION = "urn:ketacare:fhir:treatment-session"


def parse_encounter_id(resource_id: str) -> int | None:
    match = ENCOUNTER_ID.match(resource_id)
    return int(match["pk"]) if match else None


def encounter_to_fhir(note: IntegrationNote) -> dict[str, Any]:
    virtual = note.appointment is not None and note.appointment.type == "telehealth"
    klass = {"system": ACT_CODE, "code": "VR" if virtual else "AMB"}
    return prune(
        {
            "resourceType": "Encounter",
            "id": f"int-{note.pk}",
            "meta": {
                "lastUpdated": fhir_instant(note.signed_at or note.updated_at),
                "tag": [
                    {
                        "system": "urn:ketacare:note-status",
                        "code": note.status,
                        "display": NoteStatus(note.status).label,
                    }
                ],
            },
            "extension": [
                {"url": SESSION_EXTENSION, "valueString": str(s.pk)}
                for s in note.treatment_sessions.all()
            ],
            "status": "finished",
            "class": klass,
            "type": [{"text": f"Integration therapy: {note.kind}"}],
            "serviceType": {"text": "Ketamine-assisted integration therapy"},
            "subject": patient_reference(note.patient_id),
            "participant": [{"individual": {"display": note.therapist.display_name}}],
            "period": {"start": note.held_on.isoformat()},
            "appointment": (
                [{"reference": f"Appointment/{note.appointment_id}"}] if note.appointment_id else []
            ),
        }
    )


def run_encounter_search(clinic: Clinic, search: Search) -> Any:
    rows = in_clinic(IntegrationNote.objects.filter(clinic=clinic), clinic, search, "patient")
    return (
        rows.select_related("therapist", "appointment")
        .prefetch_related("treatment_sessions")
        .order_by("-held_on", "-pk")
    )


def encounter_row(clinic: Clinic, pk: int) -> IntegrationNote | None:
    return (
        IntegrationNote.objects.filter(pk=pk, clinic=clinic, patient__clinic=clinic)
        .select_related("therapist", "appointment")
        .first()
    )
