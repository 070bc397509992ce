"""References that resolve: a Flag points at the QuestionnaireResponse that raised it (R4
extension flag-detail), and an AdverseEvent's suspect is the session's
MedicationAdministration (it was a display with nothing to follow). Each reads with the
same token."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.adverseevent import AdverseEvent
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.side_effects import do_record_side_effect
from tests.fhir._clinical import read, search
from tests.fhir.test_fhir_questionnaire_response_create import (
    _answer,
    item_index,
    post,
    us_core_example,
)
from tests.treatments.session_helpers import actor

pytestmark = pytest.mark.django_db
DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"


def test_a_flag_references_the_response_that_raised_it(world: Any, nurse: Client) -> None:
    body = us_core_example(world.patient_a)
    body["item"][item_index(body, "/44260-8")]["answer"] = _answer("LA6569-3", "Several days")
    body["item"][item_index(body, "/44261-6")]["answer"] = [{"valueDecimal": 13}]
    created = post(nurse, body)
    assert created.status_code == 201, created.content
    found = search(nurse, Flag, f"Flag?patient={world.patient_a.pk}&status=active")
    flag = found["entry"][0]["resource"]
    (detail,) = [e for e in flag["extension"] if e["url"] == DETAIL]
    reference = detail["valueReference"]["reference"]
    assert reference == f"QuestionnaireResponse/{created.json()['id']}"
    read(nurse, QuestionnaireResponse, reference)


def test_a_side_effect_suspects_the_dose_it_followed(
    world: Any, session: TreatmentSession, nurse: Client
) -> None:
    effect = do_record_side_effect(
        actor(world.nurse_a), session, {"code": "nausea", "severity": "mild"}
    )
    body = read(nurse, AdverseEvent, f"AdverseEvent/side-effect-{effect.pk}")
    instance = body["suspectEntity"][0]["instance"]
    assert instance["reference"] == f"MedicationAdministration/dose-{session.dose.pk}"
    assert instance["display"] == session.dose.drug
    read(nurse, MedicationAdministration, instance["reference"])
