"""Safety-plan review reminders reach someone who still works at the clinic, and a pass reads
every due plan, however many are due."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.models import Membership
from ketacare.notify.models import NotificationLog
from ketacare.safety import plan_actions
from ketacare.safety.crisis_models import SafetyPlanReminder
from ketacare.safety.plan_actions import do_save_plan, remind_due_reviews
from tests.conftest import make_patient
from tests.safety.crisis_helpers import CRISIS_PLAN, actor
from tests.safety.helpers import make_prescriber_of, set_director

pytestmark = pytest.mark.django_db
LATER = timedelta(days=31)


def _emailed() -> list[str]:
    return list(
        NotificationLog.objects.filter(purpose="safety.plan_review").values_list("to", flat=True)
    )


def test_the_author_is_reminded_while_they_work_at_the_clinic(world: Any) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, CRISIS_PLAN)
    assert remind_due_reviews(timezone.now() + LATER) == 1
    assert _emailed() == [world.nurse_a.email]


def test_an_author_who_left_hands_the_reminder_to_the_prescriber(world: Any) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, CRISIS_PLAN)
    Membership.objects.filter(user=world.nurse_a).update(is_active=False)
    make_prescriber_of(world.patient_a, world.prescriber_a)
    assert remind_due_reviews(timezone.now() + LATER) == 1
    assert _emailed() == [world.prescriber_a.email]


def test_with_no_author_nor_prescriber_the_director_is_reminded(world: Any) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, CRISIS_PLAN)
    world.nurse_a.is_active = False
    world.nurse_a.save()
    set_director(world.clinic_a, world.director_a)
    assert remind_due_reviews(timezone.now() + LATER) == 1
    assert _emailed() == [world.director_a.email]


def test_a_pass_reads_past_a_full_page(world: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(plan_actions, "REMINDER_PAGE", 1)
    others = [make_patient(world.clinic_a, f"Page{i}") for i in range(2)]
    for patient in (world.patient_a, *others):
        do_save_plan(actor(world.nurse_a), patient, CRISIS_PLAN)
    assert remind_due_reviews(timezone.now() + LATER) == 3
    assert SafetyPlanReminder.objects.count() == 3
