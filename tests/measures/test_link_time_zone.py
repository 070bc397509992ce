"""The links a patient opens from a message without signing in (/r/ questionnaire, /a/
appointment, /sp/ safety plan) show times and dates on the patient's clinic's wall clock, not
the server's (settings.TIME_ZONE); an unknown zone name falls back to the server's."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from ketacare.accounts.audit import Actor
from ketacare.accounts.models import Clinic
from ketacare.measures.models import SelfReportLink
from ketacare.measures.selfreport_actions import do_issue_link
from ketacare.safety.crisis_models import SafetyPlanVersion
from ketacare.safety.plan_actions import do_issue_plan_link, do_save_plan
from ketacare.scheduling.models import Appointment
from ketacare.scheduling.reminders import hash_token

STAFF = Actor(label="nurse@a.test")
# 03:00 on 10 July in London (BST), still 22:00 on 9 July in New York (EDT).
NOW = datetime(2030, 7, 10, 2, 0, tzinfo=UTC)
# 3:30 PM in London, 10:30 AM in New York.
LATER = datetime(2030, 7, 12, 14, 30, tzinfo=UTC)
PLAN = {
    "warning_signs": "Not sleeping",
    "coping_strategies": "Walk the dog",
    "distractions": "Coffee shop on Main St",
    "help_contacts": "Sister Mia 555-0101",
    "professionals": "Dr Paula at the clinic",
    "safe_environment": "Mia keeps my pills",
    "reasons_for_living": "My daughter",
}


@pytest.fixture(autouse=True)
def _server_in_new_york(settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"


def set_zone(clinic: Clinic, name: str) -> None:
    Clinic.objects.filter(pk=clinic.pk).update(time_zone=name)


def questionnaire_page(patient: Any, client: Client) -> str:
    with time_machine.travel(NOW, tick=False):
        issued = do_issue_link(STAFF, patient, ["phq9"], context="follow_up", channel="in_clinic")
        SelfReportLink.objects.filter(pk=issued.link.pk).update(expires_at=LATER)
        response = client.get(f"/r/{issued.token}/")
    assert response.status_code == 200
    return str(response.content.decode())


def appointment_page(patient: Any, client: Client) -> str:
    token = secrets.token_urlsafe(32)
    Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        type="consult",
        starts_at=LATER,
        ends_at=LATER + timedelta(hours=1),
        link_token_hash=hash_token(token),
    )
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/a/{token}/")
    assert response.status_code == 200
    return str(response.content.decode())


def test_questionnaire_link_shows_its_expiry_in_the_clinics_zone(
    world: Any, client: Client
) -> None:
    set_zone(world.clinic_a, "Europe/London")
    body = questionnaire_page(world.patient_a, client)
    assert "works until July 12, 3:30 PM" in body and "10:30 AM" not in body


def test_appointment_link_shows_the_clinics_wall_clock(world: Any, client: Client) -> None:
    set_zone(world.clinic_a, "Europe/London")
    body = appointment_page(world.patient_a, client)
    assert "July 12 at 3:30 PM BST" in body and "10:30 AM" not in body


def test_safety_plan_link_dates_the_plan_on_the_clinics_calendar(
    world: Any, client: Client
) -> None:
    set_zone(world.clinic_a, "Europe/London")
    with time_machine.travel(NOW, tick=False):
        plan = do_save_plan(STAFF, world.patient_a, PLAN)
        SafetyPlanVersion.objects.filter(pk=plan.pk).update(created_at=NOW)
        issued = do_issue_plan_link(STAFF, world.patient_a)
        response = client.get(f"/sp/{issued.token}/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "2030-07-10" in body and "2030-07-09" not in body  # New York is still on the 9th


def test_an_unknown_zone_name_falls_back_to_the_servers_zone(world: Any, client: Client) -> None:
    set_zone(world.clinic_a, "Mars/Olympus_Mons")
    assert "works until July 12, 10:30 AM" in questionnaire_page(world.patient_a, client)
    assert "July 12 at 10:30 AM EDT" in appointment_page(world.patient_a, client)
