"""An Observation search over a patient with habit days (dates) and timed Observations (scores,
weights, readings: date-times) answers the merged, newest-first Bundle, not a 500 page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from fhir.resources.R4B.observation import Observation

from ketacare.aftercare.habit_actions import do_log_habits
from ketacare.aftercare.models import HabitSource
from tests.aftercare.helpers import actor
from tests.fhir._clinical import ids, search
from tests.treatments.session_helpers import phq9_today

pytestmark = pytest.mark.django_db


def test_a_patient_search_mixing_habit_days_and_timed_observations_answers(
    world: Any, nurse: Client
) -> None:
    patient = world.patient_a
    yesterday = timezone.localdate() - timedelta(days=1)
    log = do_log_habits(
        actor(world.nurse_a),
        patient,
        {"day": yesterday, "active_minutes": 30, "activity_kind": "walk"},
        source=HabitSource.PATIENT,
    )
    phq9_today(patient)  # a score Observation timed now, newer than yesterday's habit day

    bundle = search(nurse, Observation, f"Observation?patient={patient.pk}")
    found = ids(bundle)
    assert f"habit-activity-{log.pk}" in found
    assert any(i.startswith("assessment-") for i in found)
    # Newest first: today's score comes before yesterday's habit day.
    first_score = next(i for i, x in enumerate(found) if x.startswith("assessment-"))
    assert first_score < found.index(f"habit-activity-{log.pk}")
    assert bundle["total"] == len(found)

    dated = search(
        nurse, Observation, f"Observation?patient={patient.pk}&date=ge{yesterday.isoformat()}"
    )
    assert f"habit-activity-{log.pk}" in ids(dated)
