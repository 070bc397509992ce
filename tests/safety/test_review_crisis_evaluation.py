"""Review of issue #7 item 4: the crisis evaluation links a C-SSRS screen done for this crisis,
not one from before it (clinical.md §16b)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.measures.actions import do_record_assessment
from ketacare.safety.crisis_actions import do_record_step
from ketacare.safety.crisis_models import CrisisRecord
from tests.safety.crisis_helpers import actor, high_flag

pytestmark = pytest.mark.django_db

LOW_SCREEN = {"cssrs_recent-1": 1, "cssrs_recent-2": 0, "cssrs_recent-6": 0}


def test_a_cssrs_screen_from_before_the_crisis_is_not_its_evaluation(world: Any) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=200), tick=False):
        old = do_record_assessment(
            actor(world.prescriber_a), world.patient_a, "cssrs_recent", LOW_SCREEN
        )
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a, world.nurse_a))
    with pytest.raises(ActionError) as err:
        do_record_step(
            actor(world.prescriber_a),
            crisis,
            "evaluation",
            {"who": "Dr P", "assessment": str(old.pk)},
        )
    assert err.value.field == "assessment"
    assert not crisis.steps.exists()
    # A screen done for this crisis counts.
    fresh = do_record_assessment(
        actor(world.prescriber_a), world.patient_a, "cssrs_recent", LOW_SCREEN
    )
    step = do_record_step(
        actor(world.prescriber_a), crisis, "evaluation", {"who": "Dr P", "assessment": fresh.pk}
    )
    assert step.assessment == fresh


def test_the_screen_that_raised_the_crisis_may_be_linked(world: Any) -> None:
    high = {"cssrs_recent-1": 1, "cssrs_recent-2": 1, "cssrs_recent-3": 1}
    high |= {"cssrs_recent-4": 1, "cssrs_recent-5": 0, "cssrs_recent-6": 0}
    screen = do_record_assessment(actor(world.prescriber_a), world.patient_a, "cssrs_recent", high)
    crisis = CrisisRecord.objects.get(patient=world.patient_a)
    assert crisis.flag is not None and crisis.flag.assessment == screen
    step = do_record_step(
        actor(world.prescriber_a),
        crisis,
        "evaluation",
        {"who": "Dr P", "assessment": str(screen.pk), "note": "Intent without plan."},
    )
    assert step.assessment == screen
