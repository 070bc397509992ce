"""A side effect seen at the chair → FHIR R4 AdverseEvent.

- `id` = `side-effect-{pk}`, `actuality` actual, `subject` the patient, `encounter` the
  treatment session: `Encounter/tx-{session}` (readable at `/fhir/Encounter/tx-{session}`), with
  the identifier `urn:ketacare:treatment-session` kept for clients that matched on it.
- `event.text` = the side effect as recorded (from the clinic's list, or "Other: …"); no code
  system is claimed because shared/reference names none for these terms.
- `severity` (adverse-event-severity: mild/moderate/severe) and `seriousness`
  (adverse-event-seriousness): serious when severe or respiratory depression, as the session
  alert treats it (clinical.md §6b, §9).
- `date`/`detected` = onset; `recordedDate`, `recorder` (display only: no Practitioner).
- `suspectEntity.instance` = the session's dose, `MedicationAdministration/dose-{n}` (which
  reads), with the drug as display.
- The intervention given (drug, dose, time) is the extension
  `{KETACARE_FHIR}/StructureDefinition/side-effect-intervention` (valueString), R4 having no
  element for it.
- Entered in error at the chair (`side_effects.do_mark_side_effect_in_error`): R4
  AdverseEvent has no `status` (R5 added one, bound to event-status, whose `entered-in-error`
  means "this electronic record should never have existed"). A read still answers, as
  recorded, carrying the R5 element through its R4 cross-version extension
  `http://hl7.org/fhir/5.0/StructureDefinition/extension-AdverseEvent.status` = `entered-in-error`
  and the reason in `{KETACARE_FHIR}/StructureDefinition/entered-in-error-reason`;
  `meta.lastUpdated` is when it was marked. Searches leave it out, as they leave out a
  corrected reading's original, so a client listing side effects never sees it as real.
"""

from __future__ import annotations

import re
from typing import Any

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import concept, in_clinic, instant, patient_reference, prune
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.questionnaire import KETACARE_FHIR
from ketacare.treatments.models_chair import SideEffect

ADVERSE_EVENT_PARAMS = ("patient",)
SEVERITY_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
SERIOUSNESS_SYSTEM = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
INTERVENTION = f"{KETACARE_FHIR}/StructureDefinition/side-effect-intervention"
SESSION_SYSTEM = "urn:ketacare:treatment-session"
# R5 AdverseEvent.status in R4 (FHIR cross-version extensions, xver-r5.r4).
STATUS_R5 = "http://hl7.org/fhir/5.0/StructureDefinition/extension-AdverseEvent.status"
ERROR_REASON = f"{KETACARE_FHIR}/StructureDefinition/entered-in-error-reason"
ADVERSE_EVENT_ID = re.compile(r"^side-effect-(?P<pk>[1-9]\d{0,17})$")


def parse_adverse_event_id(resource_id: str) -> int | None:
    match = ADVERSE_EVENT_ID.match(resource_id)
    return int(match["pk"]) if match else None


def _intervention(effect: SideEffect) -> list[dict[str, Any]]:
    if not effect.intervention_drug:
        return []
    at = f" at {fhir_instant(effect.intervention_at)}" if effect.intervention_at else ""
    text = f"{effect.intervention_drug} {effect.intervention_dose}{at}"
    return [{"url": INTERVENTION, "valueString": text}]


def _in_error(effect: SideEffect) -> list[dict[str, Any]]:
    if effect.entered_in_error_at is None:
        return []
    return [
        {"url": STATUS_R5, "valueCode": "entered-in-error"},
        {"url": ERROR_REASON, "valueString": effect.entered_in_error_reason},
    ]


def adverse_event_to_fhir(effect: SideEffect) -> dict[str, Any]:
    session = effect.session
    dose = getattr(session, "dose", None) if session.dosing_started_at else None
    severity = str(effect.severity)
    serious = effect.serious
    return prune(
        {
            "resourceType": "AdverseEvent",
            "id": f"side-effect-{effect.pk}",
            "meta": {"lastUpdated": fhir_instant(effect.entered_in_error_at or effect.recorded_at)},
            "extension": _intervention(effect) + _in_error(effect),
            "actuality": "actual",
            "event": {"text": effect.label},
            "subject": patient_reference(session.patient_id),
            "encounter": {
                "reference": f"Encounter/tx-{session.pk}",
                "identifier": {"system": SESSION_SYSTEM, "value": str(session.pk)},
                "display": f"Treatment session {session.pk}",
            },
            "date": instant(effect.onset_at),
            "detected": instant(effect.onset_at),
            "recordedDate": instant(effect.recorded_at),
            "recorder": {"display": effect.recorded_by.display_name},
            "severity": concept(SEVERITY_SYSTEM, severity, severity.title()),
            "seriousness": concept(
                SERIOUSNESS_SYSTEM,
                "serious" if serious else "non-serious",
                "Serious" if serious else "Non-serious",
            ),
            "suspectEntity": [
                {
                    "instance": {
                        "reference": f"MedicationAdministration/dose-{dose.pk}",
                        "display": dose.drug,
                    }
                }
            ]
            if dose
            else [],
        }
    )


def _rows() -> Any:
    return SideEffect.objects.select_related(
        "session__patient__clinic", "session__dose", "recorded_by"
    )


def run_adverse_event_search(clinic: Clinic, search: Search) -> Any:
    rows = in_clinic(_rows(), clinic, search, "session__patient")
    # Entered in error: read by id only (with its status extension), never listed.
    return rows.filter(entered_in_error_at__isnull=True).order_by("-onset_at", "-pk")


def adverse_event_row(clinic: Clinic, pk: int) -> SideEffect | None:
    return _rows().filter(pk=pk, session__clinic=clinic, session__patient__clinic=clinic).first()
