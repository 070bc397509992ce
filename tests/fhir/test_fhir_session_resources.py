"""Treatment sessions as Encounter, doses as MedicationAdministration (RxNorm-coded for
esketamine), read and searched within the token's clinic, audited; and the capability
statement lists them with the device Observation create and batch/transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationadministration import MedicationAdministration

from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from tests.conftest import make_patient
from tests.scheduling.sched_helpers import esketamine_plan
from tests.treatments.session_helpers import (
    actor,
    appointment,
    consent,
    dosed,
    infused,
    phq9_today,
    ready_session,
)

pytestmark = pytest.mark.django_db
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


@pytest.fixture
def clinician_b(world: Any, token_for: Any, api_client: Any) -> Client:
    return api_client(token_for(world.clinician_b))


def get(client: Client, url: str, expect: int = 200) -> dict[str, Any]:
    response = client.get(url)
    assert response.status_code == expect, response.content
    return dict(response.json())


def test_a_session_reads_as_an_encounter(session: TreatmentSession, nurse: Client) -> None:
    body = get(nurse, f"/fhir/Encounter/tx-{session.pk}")
    Encounter.model_validate(body)
    assert body["status"] == "in-progress"
    assert body["class"]["code"] == "AMB"
    assert body["subject"] == {"reference": f"Patient/{session.patient_id}"}
    assert body["appointment"] == [{"reference": f"Appointment/{session.appointment_id}"}]
    assert body["location"][0]["location"]["reference"].startswith("Location/")
    assert "start" in body["period"] and "end" not in body["period"]
    # In words, not the internal codes ("iv_ketamine_depression v1 (iv_racemic)").
    assert body["type"] == [
        {
            "text": "Ketamine treatment session: IV racemic ketamine for depression "
            f"(off-label), protocol version {session.protocol_version}"
        }
    ]
    entry = AuditEntry.objects.filter(action="fhir.encounter.read").last()
    assert entry is not None and entry.patient_id == str(session.patient_id)


def test_stopping_the_dosing_leaves_the_encounter_in_progress(
    session: TreatmentSession, nurse: Client
) -> None:
    actions.do_stop_session(
        actor(session.checked_in_by), session, "BP 200/120: infusion stopped", given_mg="20"
    )
    body = get(nurse, f"/fhir/Encounter/tx-{session.pk}")
    Encounter.model_validate(body)
    assert body["status"] == "in-progress"
    assert "end" not in body["period"] and "hospitalization" not in body


def test_a_transferred_session_is_finished_with_its_reason_and_disposition(
    session: TreatmentSession, nurse: Client
) -> None:
    actions.do_transfer_out(
        actor(session.checked_in_by),
        session,
        "BP 220/130 with chest pain: to the ED by ambulance",
        given_mg="20",
    )
    body = get(nurse, f"/fhir/Encounter/tx-{session.pk}")
    Encounter.model_validate(body)
    assert body["status"] == "finished"
    assert "end" in body["period"]
    disposition = body["hospitalization"]["dischargeDisposition"]
    assert "to the ED by ambulance" in disposition["text"]
    assert disposition["text"].startswith("Transferred out: ")
    assert disposition["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/discharge-disposition",
            "code": "other-hcf",
            "display": "Other healthcare facility",
        }
    ]
    found = get(nurse, f"/fhir/Encounter?patient={session.patient_id}&status=finished")
    assert [e["resource"]["id"] for e in found["entry"]] == [f"tx-{session.pk}"]


def test_an_aborted_session_is_cancelled_with_its_reason(world: Any, nurse: Client) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    actions.do_stop_session(actor(world.nurse_a), session, "Patient felt unwell on arrival")
    body = get(nurse, f"/fhir/Encounter/tx-{session.pk}")
    Encounter.model_validate(body)
    assert body["status"] == "cancelled"
    assert body["hospitalization"]["dischargeDisposition"] == {
        "text": "Aborted: Patient felt unwell on arrival"
    }


def test_encounter_search_by_patient_and_status(session: TreatmentSession, nurse: Client) -> None:
    found = get(nurse, f"/fhir/Encounter?patient={session.patient_id}&status=in-progress")
    Bundle.model_validate(found)
    assert [e["resource"]["id"] for e in found["entry"]] == [f"tx-{session.pk}"]
    assert get(nurse, f"/fhir/Encounter?patient={session.patient_id}&status=finished")["total"] == 0
    assert get(nurse, "/fhir/Encounter?status=done", 400)["resourceType"] == "OperationOutcome"
    get(nurse, "/fhir/Encounter?chair=1", 400)
    assert AuditEntry.objects.filter(action="fhir.encounter.searched").exists()


def test_another_clinic_sees_no_encounter(
    session: TreatmentSession, clinician_b: Client, world: Any
) -> None:
    get(clinician_b, f"/fhir/Encounter/tx-{session.pk}", 404)
    refused = AuditEntry.objects.filter(action="patients.access.refused").last()
    assert refused is not None and refused.actor_id == world.clinician_b.pk
    assert get(clinician_b, "/fhir/Encounter")["total"] == 0
    assert get(clinician_b, f"/fhir/Encounter?patient={session.patient_id}")["total"] == 0
    get(clinician_b, "/fhir/Encounter/tx-abc", 404)


def test_an_iv_dose_reads_as_a_medication_administration(
    session: TreatmentSession, nurse: Client
) -> None:
    dose = session.dose
    running = get(nurse, f"/fhir/MedicationAdministration/dose-{dose.pk}")
    assert running["status"] == "in-progress" and "end" not in running["effectivePeriod"]
    actions.do_end_infusion(actor(session.checked_in_by), infused(session))
    body = get(nurse, f"/fhir/MedicationAdministration/dose-{dose.pk}")
    MedicationAdministration.model_validate(body)
    assert body["status"] == "completed" and "end" in body["effectivePeriod"]
    assert body["context"] == {"reference": f"Encounter/tx-{session.pk}"}
    medication = body["contained"][0]
    assert medication["batch"]["lotNumber"] == "LOT-1"
    # Racemic ketamine: its RxNorm ingredient code is unconfirmed, so text only.
    assert "coding" not in medication["code"]
    assert body["dosage"]["dose"]["code"] == "mg"
    assert body["dosage"]["dose"]["value"] == float(dose.given_mg)
    # The route in words and SNOMED CT (it read "iv racemic", the internal code).
    assert body["dosage"]["route"] == {
        "text": "Intravenous",
        "coding": [
            {"system": "http://snomed.info/sct", "code": "47625008", "display": "Intravenous route"}
        ],
    }
    assert AuditEntry.objects.filter(action="fhir.medication_administration.read").exists()


def test_an_infusion_stopped_early_reads_stopped_with_the_dose_actually_given(
    session: TreatmentSession, nurse: Client
) -> None:
    dose = session.dose
    actions.do_stop_session(
        actor(session.checked_in_by), session, "BP 200/120: infusion stopped", given_mg="20"
    )
    body = get(nurse, f"/fhir/MedicationAdministration/dose-{dose.pk}")
    MedicationAdministration.model_validate(body)
    assert body["status"] == "stopped"
    assert body["statusReason"] == [{"text": "BP 200/120: infusion stopped"}]
    assert body["dosage"]["dose"]["value"] == 20
    assert "end" in body["effectivePeriod"]
    assert any("Given 20 of 35 mg" in n["text"] for n in body["note"])


def test_esketamine_stopped_after_one_device_and_before_any(world: Any, nurse: Client) -> None:
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, "esketamine_nasal"),
    )
    actions.do_record_device(actor(world.nurse_a), session)
    actions.do_stop_session(actor(world.nurse_a), session, "Vomiting after the first device")
    body = get(nurse, f"/fhir/MedicationAdministration/dose-{session.dose.pk}")
    MedicationAdministration.model_validate(body)
    assert body["status"] == "stopped"
    assert body["dosage"]["dose"]["value"] == 28  # the one device taken
    nasal = {"system": "http://snomed.info/sct", "code": "46713006", "display": "Nasal route"}
    assert body["dosage"]["route"] == {"text": "Nasal", "coding": [nasal]}
    assert any("Given 28 of 56 mg" in n["text"] for n in body["note"])
    # Another patient: stopped before the first device, so nothing was given.
    other = make_patient(world.clinic_a, "Nell", "None")
    consent(world.prescriber_a, other, "esketamine_nasal")
    phq9_today(other)
    appt = appointment(other, esketamine_plan(world.prescriber_a, other), "Chair 2")
    none = dosed(
        world.nurse_a, actions.do_check_in(actor(world.nurse_a), world.clinic_a, other, appt.pk)
    )
    actions.do_stop_session(actor(world.nurse_a), none, "Patient declined the spray")
    body = get(nurse, f"/fhir/MedicationAdministration/dose-{none.dose.pk}")
    MedicationAdministration.model_validate(body)
    assert body["status"] == "not-done"
    assert body["dosage"]["dose"]["value"] == 0
    assert get(nurse, f"/fhir/Encounter/tx-{none.pk}")["status"] == "cancelled"


def test_esketamine_doses_and_devices_are_rxnorm_coded(world: Any, nurse: Client) -> None:
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, "esketamine_nasal"),
    )
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
    found = get(nurse, f"/fhir/MedicationAdministration?context=Encounter/tx-{session.pk}")
    Bundle.model_validate(found)
    resources = [e["resource"] for e in found["entry"]]
    for resource in resources:
        MedicationAdministration.model_validate(resource)
    kinds = sorted(r["id"].split("-")[0] for r in resources)
    assert kinds == ["device", "device", "dose"]
    dose = next(r for r in resources if r["id"].startswith("dose-"))
    assert dose["contained"][0]["code"]["coding"] == [
        {"system": RXNORM, "code": "2201623", "display": "esketamine Nasal Spray"}
    ]
    device = next(r for r in resources if r["id"].startswith("device-"))
    assert device["partOf"] == [{"reference": f"MedicationAdministration/{dose['id']}"}]
    assert device["medicationCodeableConcept"]["coding"][0]["code"] == "2201623"
    assert device["dosage"]["dose"]["value"] == 28


def test_medication_administration_search_and_isolation(
    session: TreatmentSession, nurse: Client, clinician_b: Client
) -> None:
    mine = get(nurse, f"/fhir/MedicationAdministration?patient={session.patient_id}")
    assert mine["total"] == 1
    assert get(nurse, "/fhir/MedicationAdministration?context=Encounter/tx-999999")["total"] == 0
    assert get(clinician_b, "/fhir/MedicationAdministration")["total"] == 0
    get(clinician_b, f"/fhir/MedicationAdministration/dose-{session.dose.pk}", 404)
    get(nurse, "/fhir/MedicationAdministration/dose-x", 404)


def test_reading_needs_a_role_that_views_patients(
    world: Any, session: TreatmentSession, client: Client
) -> None:
    assert client.get(f"/fhir/Encounter/tx-{session.pk}").status_code == 401


def test_the_capability_statement_lists_the_session_resources(client: Client) -> None:
    body = client.get("/fhir/metadata").json()
    CapabilityStatement.model_validate(body)
    rest = body["rest"][0]
    types = {r["type"]: r for r in rest["resource"]}
    assert {"Encounter", "MedicationAdministration"} <= set(types)
    assert "create" in {i["code"] for i in types["Observation"]["interaction"]}
    assert {i["code"] for i in rest["interaction"]} == {"batch", "transaction"}
