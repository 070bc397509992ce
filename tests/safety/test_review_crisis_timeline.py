"""Review of issue #7 item 6: the risk timeline shows crisis steps in the order they happened."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.safety.crisis_actions import do_record_step
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.timeline import risk_timeline
from tests.safety.crisis_helpers import actor, high_flag

pytestmark = pytest.mark.django_db

LOW_SCREEN = {"cssrs_recent-1": 1, "cssrs_recent-2": 0, "cssrs_recent-6": 0}


def test_timeline_puts_crisis_steps_at_the_time_they_happened(world: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a, world.nurse_a))
    now = timezone.now()
    # Written down in the wrong order after the event: the evaluation first, the stay later.
    do_record_step(
        actor(world.prescriber_a),
        crisis,
        "evaluation",
        {"who": "Dr P", "note": "Interviewed.", "occurred_at": now - timedelta(minutes=20)},
    )
    do_record_step(
        actor(world.nurse_a),
        crisis,
        "stay",
        {"who": "Nina Nurse", "occurred_at": now - timedelta(minutes=55)},
    )
    titles = [e.title for e in reversed(risk_timeline(world.patient_a))]  # oldest first
    stay = next(i for i, t in enumerate(titles) if t.startswith("Stayed with the patient"))
    evaluation = next(i for i, t in enumerate(titles) if t.startswith("Clinician evaluation"))
    assert stay < evaluation, titles
