"""Doses given at a session → FHIR R4 MedicationAdministration, derived on read.

- `dose-{pk}`: the session's dose record. `status` `in-progress` while dosing; `stopped` when
  dosing was stopped before the dose set to run was all given (with `statusReason.text` = the
  reason), or `not-done` when it was stopped before any of it was given (esketamine: before
  the first device); older sessions ended by a stop before the dose ended read `stopped`;
  else `completed`. `medicationReference` → a contained Medication with the drug, and `batch`
  (lot number, expiry). `context` = `Encounter/tx-{session}`, `effectivePeriod` = start to
  stop (the last device for esketamine), `dosage.dose` = the dose actually given in UCUM `mg`
  (esketamine: 28 mg for each device taken; an infusion stopped early: the amount recorded at
  the stop), `dosage.route.text`, `performer.actor.display` = who recorded it, `note` = why
  the dose set to give differs from the one calculated, and when and why dosing stopped.
  `dosage.route`: SNOMED CT route of administration with its text (`ROUTES`); oral/sublingual
  racemic ketamine carries text only (a lozenge may be swallowed or held under the tongue).
- `device-{pk}`: one 28 mg esketamine device (`effectiveDateTime` = when taken), `partOf` the
  dose.

Codes: esketamine is coded RxNorm 2201623 "esketamine Nasal Spray" (SCDF, confirmed in
shared/reference/instruments.md §13 [S51]). Racemic ketamine carries text only: its RxNorm
ingredient code (6130) is marked unconfirmed there, and no code is made up.

Search: `patient`, `context` (`Encounter/tx-{id}` or `tx-{id}`), `_count`, `_offset`; newest
first; doses and devices together.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from ketacare.accounts.models import Clinic
from ketacare.fhir.clinical_common import (
    Source,
    in_clinic,
    instant,
    last_updated,
    patient_reference,
    prune,
)
from ketacare.fhir.encounter import parse_encounter_id
from ketacare.fhir.measures_search import Search
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.fhir.r4 import number
from ketacare.treatments.models import DeviceAdministration, DoseRecord, SessionStatus

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
# instruments.md §13: RxCUI 2201623 esketamine Nasal Spray (SCDF) [S51].
ESKETAMINE_RXCUI = ("2201623", "esketamine Nasal Spray")
MA_PARAMS = ("patient", "context")
MA_ID = re.compile(r"^(?P<kind>dose|device)-(?P<pk>[1-9]\d{0,17})$")
DEVICE_MG = Decimal(28)


SNOMED = "http://snomed.info/sct"
# Route of administration: SNOMED CT qualifier values (descendants of 284009009).
ROUTES: dict[str, tuple[str, str | None, str | None]] = {
    "iv_racemic": ("Intravenous", "47625008", "Intravenous route"),
    "esketamine_nasal": ("Nasal", "46713006", "Nasal route"),
    "im_racemic": ("Intramuscular", "78421000", "Intramuscular route"),
    "oral_sublingual_racemic": ("Oral or sublingual", None, None),
}


def route_concept(route: str) -> dict[str, Any]:
    """The dose's route as a CodeableConcept (text always; a SNOMED CT coding when one fits)."""
    text, code, display = ROUTES.get(route, (route.replace("_", " "), None, None))
    concept: dict[str, Any] = {"text": text}
    if code is not None:
        concept["coding"] = [{"system": SNOMED, "code": code, "display": display}]
    return concept


def parse_ma_id(resource_id: str) -> tuple[str, int] | None:
    match = MA_ID.match(resource_id)
    return (match["kind"], int(match["pk"])) if match else None


def _medication(dose: DoseRecord) -> dict[str, Any]:
    code: dict[str, Any] = {"text": dose.drug}
    if dose.route == "esketamine_nasal":
        code["coding"] = [
            {"system": RXNORM, "code": ESKETAMINE_RXCUI[0], "display": ESKETAMINE_RXCUI[1]}
        ]
    return code


def _mg(value: Decimal) -> dict[str, Any]:
    return {"value": number(value), "unit": "mg", "system": UCUM, "code": "mg"}


def _status(dose: DoseRecord) -> str:
    session = dose.session
    if session.dosing_stop_reason:
        return "not-done" if dose.given_mg == 0 else "stopped"
    if session.status == SessionStatus.DOSING:
        return "in-progress"
    ended = session.status in (SessionStatus.STOPPED, SessionStatus.ABORTED)
    if ended and dose.stopped_at is None and not _devices(dose):
        return "stopped"
    return "completed"


def _notes(dose: DoseRecord) -> list[dict[str, str]]:
    intended = dose.intended_mg if dose.intended_mg is not None else dose.given_mg
    notes = []
    if dose.deviation_reason:
        notes.append(
            {
                "text": f"Calculated {number(dose.calculated_mg)} mg, set to give "
                f"{number(intended)} mg: {dose.deviation_reason}"
            }
        )
    session = dose.session
    if session.dosing_stop_reason:
        notes.append(
            {
                "text": f"Dosing stopped at {instant(session.dosing_ended_at)}: "
                f"{session.dosing_stop_reason}. Given {number(dose.given_mg)} of "
                f"{number(intended)} mg."
            }
        )
    return notes


def _devices(dose: DoseRecord) -> list[DeviceAdministration]:
    return list(dose.devices.all())


def dose_to_fhir(dose: DoseRecord) -> dict[str, Any]:
    devices = _devices(dose)
    end = devices[-1].given_at if devices else dose.stopped_at
    start = devices[0].given_at if devices else dose.started_at
    medication = {
        "resourceType": "Medication",
        "id": "med",
        "code": _medication(dose),
        "batch": {"lotNumber": dose.lot_number, "expirationDate": dose.expiry.isoformat()},
    }
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": f"dose-{dose.pk}",
        # Its status follows the session (dosing → completed, a stop → stopped/not-done).
        "meta": last_updated(
            dose.started_at,
            dose.stopped_at,
            *(device.given_at for device in devices),
            dose.session.dosing_ended_at,
            dose.session.ended_at,
        ),
        "contained": [medication],
        "status": _status(dose),
        "medicationReference": {"reference": "#med", "display": dose.drug},
        "subject": patient_reference(dose.session.patient_id),
        "context": {"reference": f"Encounter/tx-{dose.session_id}"},
        "effectivePeriod": prune({"start": fhir_instant(start), "end": instant(end)}),
        "dosage": {
            "route": route_concept(dose.route),
            "dose": _mg(dose.given_mg),
        },
    }
    recorder: Any = dose.recorded_by
    if recorder is not None:
        resource["performer"] = [{"actor": {"display": recorder.full_name or recorder.email}}]
    if dose.session.dosing_stop_reason:
        resource["statusReason"] = [{"text": dose.session.dosing_stop_reason}]
    notes = _notes(dose)
    if notes:
        resource["note"] = notes
    return resource


def device_to_fhir(device: DeviceAdministration) -> dict[str, Any]:
    dose = device.dose
    return {
        "resourceType": "MedicationAdministration",
        "id": f"device-{device.pk}",
        "meta": last_updated(device.given_at),
        "partOf": [{"reference": f"MedicationAdministration/dose-{dose.pk}"}],
        "status": "completed",
        "medicationCodeableConcept": _medication(dose),
        "subject": patient_reference(dose.session.patient_id),
        "context": {"reference": f"Encounter/tx-{dose.session_id}"},
        "effectiveDateTime": fhir_instant(device.given_at),
        "dosage": {
            "text": f"Device {device.number}",
            "route": route_concept("esketamine_nasal"),
            "dose": _mg(DEVICE_MG),
        },
    }


def _context_filter(rows: QuerySet[Any], search: Search, path: str) -> QuerySet[Any]:
    for value in search.values("context"):
        pk = parse_encounter_id(value.removeprefix("Encounter/"))
        if pk is None:
            return rows.none()
        rows = rows.filter(**{path: pk})
    return rows


def ma_sources(clinic: Clinic, search: Search) -> list[Source]:
    doses = in_clinic(
        DoseRecord.objects.select_related("session", "recorded_by").prefetch_related("devices"),
        clinic,
        search,
        "session__patient",
    ).filter(session__clinic=clinic)
    devices = in_clinic(
        DeviceAdministration.objects.select_related("dose__session"),
        clinic,
        search,
        "dose__session__patient",
    ).filter(dose__session__clinic=clinic)
    doses = _context_filter(doses, search, "session_id").order_by("-started_at", "-pk")
    devices = _context_filter(devices, search, "dose__session_id").order_by("-given_at", "-pk")
    return [
        Source(doses, lambda d: d.started_at, dose_to_fhir),
        Source(devices, lambda d: d.given_at, device_to_fhir),
    ]


def ma_row(clinic: Clinic, kind: str, pk: int) -> DoseRecord | DeviceAdministration | None:
    if kind == "dose":
        dose: DoseRecord | None = (
            DoseRecord.objects.filter(pk=pk, session__clinic=clinic)
            .select_related("session", "recorded_by")
            .first()
        )
        return dose
    device: DeviceAdministration | None = (
        DeviceAdministration.objects.filter(pk=pk, dose__session__clinic=clinic)
        .select_related("dose__session")
        .first()
    )
    return device
