"""A side effect marked entered in error at the chair: R4 AdverseEvent has no status, so a read
carries the R5 status through its cross-version extension (entered-in-error) with the reason,
and searches leave it out (as a corrected reading's original is left out)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.adverseevent import AdverseEvent

from ketacare.fhir.adverse_event import ERROR_REASON, STATUS_R5
from ketacare.treatments.side_effects import do_mark_side_effect_in_error, do_record_side_effect
from tests.fhir._clinical import ids, read, search
from tests.treatments.session_helpers import actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def test_entered_in_error_reads_so_and_is_not_searched(world: Any, nurse: Client) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    kept = do_record_side_effect(
        actor(world.nurse_a), session, {"code": "nausea", "severity": "mild"}
    )
    wrong = do_record_side_effect(
        actor(world.nurse_a), session, {"code": "vomiting", "severity": "moderate"}
    )
    do_mark_side_effect_in_error(actor(world.nurse_a), session, wrong.pk, "Wrong patient, chair 2")
    body = read(nurse, AdverseEvent, f"AdverseEvent/side-effect-{wrong.pk}")
    extensions = {e["url"]: e for e in body["extension"]}
    assert extensions[STATUS_R5]["valueCode"] == "entered-in-error"
    assert extensions[ERROR_REASON]["valueString"] == "Wrong patient, chair 2"
    assert body["event"] == {"text": "Vomiting"}  # as recorded
    assert "extension" not in read(nurse, AdverseEvent, f"AdverseEvent/side-effect-{kept.pk}")
    bundle = search(nurse, AdverseEvent, f"AdverseEvent?patient={world.patient_a.pk}")
    assert ids(bundle) == [f"side-effect-{kept.pk}"]
