"""Review: the chair's FHIR resources point at the session's Encounter by a reference a client
can follow (`Encounter/tx-{id}`), as MedicationAdministration.context and the device
Observations do; AdverseEvent carried only an identifier."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.adverseevent import AdverseEvent

from ketacare.treatments.side_effects import do_record_side_effect
from tests.fhir._clinical import read
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def test_an_adverse_event_references_its_sessions_encounter(world: Any, nurse: Client) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    effect = do_record_side_effect(
        actor(world.nurse_a), session, {"code": "nausea", "severity": "mild"}
    )
    body = read(nurse, AdverseEvent, f"AdverseEvent/side-effect-{effect.pk}")
    reference = body["encounter"]["reference"]
    assert reference == f"Encounter/tx-{session.pk}"
    followed = nurse.get(f"/fhir/{reference}")
    assert followed.status_code == 200
    assert followed.json()["id"] == f"tx-{session.pk}"
