"""A token of clinic B never sees clinic A's resources, through every search and read the
CapabilityStatement lists: each search answers an empty Bundle (also with `patient=` naming
A's patient), and each id clinic A can read answers clinic B the audited 404 of an unknown id.
Clinic A's token sees them all (so the check is not vacuous)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.aftercare.habit_actions import do_log_habits, do_set_goal
from ketacare.aftercare.models import HabitSource
from ketacare.portal.messaging import do_staff_reply
from ketacare.portal.models import MessageThread
from ketacare.safety.actions import do_raise_flag
from ketacare.treatments.models import TreatmentSession
from ketacare.treatments.side_effects import do_record_side_effect
from tests.conftest import SYSTEM
from tests.fhir.device_helpers import observation
from tests.fhir.device_helpers import post as post_observation
from tests.fhir.test_fhir_questionnaire_response_create import coded_response, yes_no
from tests.fhir.test_fhir_questionnaire_response_create import post as post_response
from tests.treatments.session_helpers import actor

pytestmark = pytest.mark.django_db
# Definitions every clinic shares: the scales, and version 1 of each library protocol.
SHARED = {"Questionnaire", "PlanDefinition"}


def _clinic_a_record(
    world: Any, session: TreatmentSession, nurse: Client, prescriber: Client
) -> None:
    a = world.patient_a
    assert post_observation(nurse, observation(session, "8867-4", 72, unit="/min")).status_code
    do_record_side_effect(actor(world.nurse_a), session, {"code": "nausea", "severity": "mild"})
    do_raise_flag(actor(world.nurse_a), a, level="moderate", source="manual", reason="Worried.")
    answers = {f"cssrs_recent-{n}": yes_no(1 if n <= 2 else 0) for n in range(1, 7)}
    assert post_response(prescriber, coded_response(a, "cssrs_recent", answers)).status_code == 201
    yesterday = timezone.localdate() - timedelta(days=1)
    do_log_habits(
        actor(world.nurse_a),
        a,
        {"day": yesterday, "active_minutes": 30, "drinks": 1},
        source=HabitSource.PATIENT,
    )
    do_set_goal(actor(world.therapist_a), a, {"kind": "active_min_week", "target": 150})
    thread = MessageThread.objects.create(clinic=world.clinic_a, patient=a, subject="Hello")
    do_staff_reply(SYSTEM, world.nurse_a, thread, "How are you today?")


def _searchable(client: Client) -> list[tuple[str, bool]]:
    """(type, takes `patient`) for every type the CapabilityStatement lets one search."""
    statement = client.get("/fhir/metadata").json()
    found = []
    for resource in statement["rest"][0]["resource"]:
        if {"code": "search-type"} not in [
            {"code": i["code"]} for i in resource.get("interaction", [])
        ]:
            continue
        names = {p["name"] for p in resource.get("searchParam", [])}
        found.append((resource["type"], "patient" in names))
    return found


def _ids(client: Client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.content)
    return [e["resource"]["id"] for e in response.json().get("entry", [])]


def test_clinic_b_sees_nothing_of_clinic_a_anywhere(
    world: Any, session: TreatmentSession, nurse: Client, token_for: Any, api_client: Any
) -> None:
    _clinic_a_record(world, session, nurse, api_client(token_for(world.prescriber_a)))
    b = api_client(token_for(world.clinician_b))
    a_patient = world.patient_a.pk
    seen_by_a: dict[str, list[str]] = {}
    for kind, by_patient in _searchable(nurse):
        url = f"/fhir/{kind}?_count=100" + (f"&patient={a_patient}" if by_patient else "")
        seen_by_a[kind] = _ids(nurse, url)
        if kind in SHARED:
            continue
        assert not set(seen_by_a[kind]) & set(_ids(b, f"/fhir/{kind}?_count=100")), kind
        if by_patient:
            assert _ids(b, url) == [], kind
    # Not vacuous: clinic A sees its record in every kind of patient data.
    for kind in (
        "Patient",
        "Observation",
        "QuestionnaireResponse",
        "Encounter",
        "MedicationAdministration",
        "AdverseEvent",
        "Flag",
        "RiskAssessment",
        "Communication",
        "Goal",
        "Appointment",
        "CarePlan",
        "Consent",
        "Location",
    ):
        assert seen_by_a[kind], kind
    refused_before = AuditEntry.objects.filter(action="patients.access.refused").count()
    reads = 0
    for kind, found in seen_by_a.items():
        if kind in SHARED:
            continue
        for resource_id in found:
            response = b.get(f"/fhir/{kind}/{resource_id}")
            assert response.status_code == 404, (kind, resource_id)
            assert response.json()["issue"][0]["code"] == "not-found"
            reads += kind != "Location"
    refused = AuditEntry.objects.filter(action="patients.access.refused").count()
    assert refused - refused_before >= reads
