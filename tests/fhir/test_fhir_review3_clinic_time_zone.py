"""FHIR runs on the token's clinic's wall clock, as the clinic's staff pages do: a date
searched without a zone is the clinic's day, and "today" (a posted scale closing the due
items up to today) is the clinic's. A sessionless API call skipped the middleware that sets
the clinic's zone, so both were the server's (America/New_York) for a clinic in Los Angeles."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from ketacare.accounts.audit import Actor
from ketacare.aftercare.habit_actions import do_log_habits
from ketacare.measures.models import DueAssessment, DueStatus
from tests.fhir._clinical import ids
from tests.fhir.test_fhir_questionnaire_response_create import coded_response, post

pytestmark = pytest.mark.django_db
# 22:30 on 31 May in Los Angeles; already 01:30 on 1 June in New York (the server's zone).
LATE_EVENING = "2026-06-01T05:30:00Z"


def _phq9(world: Any, authored: str) -> dict[str, Any]:
    body = coded_response(world.patient_a, "phq9", {f"phq9-{n}": 0 for n in range(1, 10)})
    body["authored"] = authored
    return body


@pytest.fixture
def pacific(world: Any) -> None:
    world.clinic_a.time_zone = "America/Los_Angeles"
    world.clinic_a.save(update_fields=["time_zone"])


@pytest.mark.usefixtures("pacific")
def test_a_date_without_a_zone_is_the_clinics_day(world: Any, nurse: Client) -> None:
    created = post(nurse, _phq9(world, LATE_EVENING))
    assert created.status_code == 201, created.content
    qr = created.json()["id"]
    patient = world.patient_a.pk
    on_31 = nurse.get(f"/fhir/QuestionnaireResponse?patient={patient}&authored=2026-05-31")
    assert ids(on_31.json()) == [qr]
    on_1 = nurse.get(f"/fhir/QuestionnaireResponse?patient={patient}&authored=2026-06-01")
    assert ids(on_1.json()) == []
    found = nurse.get(f"/fhir/Observation?patient={patient}&date=2026-05-31&category=survey")
    assert len(ids(found.json())) == 1
    # A zone given is used as given.
    utc = nurse.get(
        f"/fhir/QuestionnaireResponse?patient={patient}&authored=ge2026-06-01T00:00:00Z"
    )
    assert ids(utc.json()) == [qr]


@pytest.mark.usefixtures("pacific")
def test_a_posted_scale_closes_the_clinics_due_items_not_tomorrows(
    world: Any, nurse: Client
) -> None:
    def due(on: date) -> DueAssessment:
        return DueAssessment.objects.create(
            patient=world.patient_a,
            clinic=world.clinic_a,
            scale_code="phq9",
            due_on=on,
            overdue_on=on + timedelta(days=2),
            reason="test",
        )

    today, tomorrow = due(date(2026, 5, 31)), due(date(2026, 6, 1))
    with time_machine.travel(datetime.fromisoformat(LATE_EVENING) + timedelta(minutes=1)):
        assert post(nurse, _phq9(world, LATE_EVENING)).status_code == 201
    today.refresh_from_db()
    tomorrow.refresh_from_db()
    assert today.status == DueStatus.COMPLETED
    assert tomorrow.status == DueStatus.OPEN  # due tomorrow at the clinic: still to do


@pytest.mark.usefixtures("pacific")
def test_a_habit_day_is_found_by_a_date_time_in_another_zone(world: Any, nurse: Client) -> None:
    log = do_log_habits(
        Actor(label="t"), world.patient_a, {"day": date(2026, 5, 31), "active_minutes": 30}
    )
    # 05:30 UTC on 1 June is 22:30 on 31 May at the clinic: the day logged.
    found = nurse.get(f"/fhir/Observation?patient={world.patient_a.pk}&date={LATE_EVENING}")
    assert ids(found.json()) == [f"habit-activity-{log.pk}"]
    after = nurse.get(f"/fhir/Observation?patient={world.patient_a.pk}&date=gt{LATE_EVENING}")
    assert f"habit-activity-{log.pk}" not in ids(after.json())
