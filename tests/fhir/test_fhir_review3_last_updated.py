"""Every resource derived from a record carries `meta.lastUpdated` (the record's last change):
Encounter, MedicationAdministration (dose and device), Communication and the "no known
allergies" AllergyIntolerance had none, so a client syncing by lastUpdated never saw them
change (a session discharged, a dose stopped, a message read)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
from fhir.resources.R4B.communication import Communication
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.medicationadministration import MedicationAdministration

from ketacare.accounts.audit import Actor
from ketacare.fhir.patient_resource import fhir_instant
from ketacare.patients.actions import do_mark_no_known_allergies
from ketacare.portal.messaging import do_staff_reply
from ketacare.portal.models import Message, MessageThread
from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from tests.conftest import SYSTEM, make_patient
from tests.fhir._clinical import read, search
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def _when(resource: dict[str, Any]) -> str:
    return str(resource["meta"]["lastUpdated"])


def test_an_encounter_has_last_updated_and_it_moves_with_the_session(
    session: TreatmentSession, nurse: Client
) -> None:
    before = read(nurse, Encounter, f"Encounter/tx-{session.pk}")
    assert _when(before) >= fhir_instant(session.dosing_started_at)
    later = timezone.now() + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        actions.do_stop_session(actor(session.checked_in_by), session, "BP 200/120", given_mg="20")
    after = read(nurse, Encounter, f"Encounter/tx-{session.pk}")
    assert _when(after) == fhir_instant(later)
    found = search(nurse, Encounter, f"Encounter?patient={session.patient_id}")
    assert all("lastUpdated" in e["resource"]["meta"] for e in found["entry"])


def test_doses_and_devices_have_last_updated(world: Any, nurse: Client) -> None:
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, "esketamine_nasal"),
    )
    start = timezone.now().replace(microsecond=0) + timedelta(minutes=1)
    with time_machine.travel(start, tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
    device = session.dose.devices.get()
    body = read(nurse, MedicationAdministration, f"MedicationAdministration/device-{device.pk}")
    assert _when(body) == fhir_instant(start)
    dose = read(nurse, MedicationAdministration, f"MedicationAdministration/dose-{session.dose.pk}")
    assert _when(dose) == fhir_instant(start)  # the device taken is the dose's latest change
    found = search(
        nurse, MedicationAdministration, f"MedicationAdministration?patient={world.patient_a.pk}"
    )
    assert {
        e["resource"]["id"] for e in found["entry"] if "lastUpdated" in e["resource"]["meta"]
    } == {
        f"dose-{session.dose.pk}",
        f"device-{device.pk}",
    }


def test_a_message_has_last_updated_and_it_moves_when_read(world: Any, nurse: Client) -> None:
    thread = MessageThread.objects.create(
        clinic=world.clinic_a, patient=world.patient_a, subject="Question"
    )
    message = do_staff_reply(SYSTEM, world.nurse_a, thread, "How are you today?")
    body = read(nurse, Communication, f"Communication/{message.pk}")
    assert _when(body) == fhir_instant(message.sent_at)
    read_at = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    Message.objects.filter(pk=message.pk).update(read_at=read_at)
    assert _when(read(nurse, Communication, f"Communication/{message.pk}")) == fhir_instant(read_at)


def test_no_known_allergies_has_last_updated(world: Any, nurse: Client) -> None:
    patient = make_patient(world.clinic_a, "Nora", "None")
    do_mark_no_known_allergies(Actor(label="t"), patient)
    patient.refresh_from_db()
    body = read(nurse, AllergyIntolerance, f"AllergyIntolerance/nka-{patient.pk}")
    assert _when(body) == fhir_instant(patient.updated_at)
