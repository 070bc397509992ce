"""A corrected session reading: the original read `final` with the wrong value, so a client
that had stored it kept it as good; it now reads `entered-in-error`, and the correction
`corrected`, each with a note naming the other and the reason."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.observation import Observation

from ketacare.treatments import actions
from ketacare.treatments.corrections import do_correct_reading
from ketacare.treatments.models import TreatmentSession
from tests.fhir._clinical import read, search
from tests.fhir.device_helpers import observation, post
from tests.treatments.session_helpers import actor

pytestmark = pytest.mark.django_db


def test_the_original_is_entered_in_error_and_the_correction_corrected(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    typed = actions.do_record_vitals(
        actor(world.nurse_a), session, {"heart_rate_bpm": 180, "spo2_pct": 97}
    )
    assert read(nurse, Observation, f"Observation/reading-{typed.pk}-hr")["status"] == "final"
    fixed = do_correct_reading(
        actor(world.nurse_a), session, typed.pk, {"heart_rate_bpm": 80}, "Typo: 80, not 180."
    )
    old = read(nurse, Observation, f"Observation/reading-{typed.pk}-hr")
    assert old["status"] == "entered-in-error"
    assert old["valueQuantity"]["value"] == 180  # kept as it was recorded
    assert f"Observation/reading-{fixed.pk}-hr" in old["note"][0]["text"]
    assert "Typo: 80, not 180." in old["note"][0]["text"]
    # The SpO2 the correction left out: still withdrawn, the note says so.
    spo2 = read(nurse, Observation, f"Observation/reading-{typed.pk}-spo2")
    assert spo2["status"] == "entered-in-error"
    assert "no longer holds this sign" in spo2["note"][0]["text"]
    new = read(nurse, Observation, f"Observation/reading-{fixed.pk}-hr")
    assert new["status"] == "corrected" and new["valueQuantity"]["value"] == 80
    assert new["note"] == [{"text": f"Corrects reading {typed.pk}: Typo: 80, not 180."}]
    found = search(nurse, Observation, f"Observation?patient={world.patient_a.pk}&code=8867-4")
    statuses = {e["resource"]["id"]: e["resource"]["status"] for e in found["entry"]}
    assert statuses[f"reading-{fixed.pk}-hr"] == "corrected"
    assert f"reading-{typed.pk}-hr" not in statuses


def test_a_corrected_monitor_reading_resent_reads_entered_in_error(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    body = observation(session, "8867-4", 150, unit="/min", identifier="m-1")
    first = post(nurse, body)
    assert first.status_code == 201 and first.json()["status"] == "final"
    reading_id = int(first.json()["id"].split("-")[1])
    do_correct_reading(
        actor(world.nurse_a), session, reading_id, {"heart_rate_bpm": 75}, "Probe slipped."
    )
    again = post(nurse, body)
    assert again.status_code == 200
    assert again.json()["status"] == "entered-in-error"
