"""The aftercare demo loader: habit logs and goals, a booster-due patient, a relapse task;
idempotent."""

from __future__ import annotations

import random
from typing import Any

import pytest

from ketacare.accounts.models import Role
from ketacare.aftercare.followup import episode_followups
from ketacare.aftercare.models import FollowUpTask, HabitGoal, HabitLog
from ketacare.demo.aftercare_demo import load_aftercare
from tests.aftercare.test_followup import course
from tests.conftest import make_patient, make_staff

pytestmark = pytest.mark.django_db


def test_demo_aftercare_is_complete_and_idempotent(world: Any) -> None:
    clinic = world.clinic_a
    make_staff(clinic, Role.THERAPIST, f"therapist@{clinic.slug}.demo")
    make_staff(clinic, Role.NURSE, f"nurse@{clinic.slug}.demo")
    course(world, [20, 9, 6])  # responders with room for a booster and a relapse
    course(world, [22, 10, 8], patient=make_patient(clinic, "Rita", "Responder"))
    load_aftercare(clinic, random.Random(1))
    logs, goals = HabitLog.objects.count(), HabitGoal.objects.count()
    assert logs > 150 and goals == 6
    items = episode_followups(clinic)
    assert any(i.booster is not None and i.booster.due for i in items)
    assert FollowUpTask.objects.filter(kind="relapse").count() == 1
    load_aftercare(clinic, random.Random(1))
    assert (HabitLog.objects.count(), HabitGoal.objects.count()) == (logs, goals)
    assert FollowUpTask.objects.count() == 1
