"""An outpatient disposition is "outpatient with safety plan" (issue #7 item 4): the record
closes only once the safety plan was written or reviewed with the patient during the crisis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.safety.crisis_actions import do_close_crisis, do_record_step
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.plan_actions import do_save_plan
from tests.safety.crisis_helpers import (
    CRISIS_PLAN,
    actor,
    high_flag,
    plan_in_crisis,
    steps_done_data,
)

pytestmark = pytest.mark.django_db


def _steps(world: Any, crisis: CrisisRecord, disposition: dict[str, Any] | None = None) -> None:
    for kind, data in (
        steps_done_data() | ({"disposition": disposition} if disposition else {})
    ).items():
        do_record_step(actor(world.prescriber_a), crisis, kind, data)


def _crisis(world: Any) -> CrisisRecord:
    return CrisisRecord.objects.get(flag=high_flag(world.patient_a, world.nurse_a))


def test_outpatient_without_a_plan_is_refused_and_nothing_changes(world: Any) -> None:
    crisis = _crisis(world)
    _steps(world, crisis)
    with pytest.raises(ActionError) as err:
        do_close_crisis(actor(world.prescriber_a), crisis, "Safe to go home with her sister.")
    assert err.value.field == "steps" and "safety plan" in err.value.message
    crisis.refresh_from_db()
    assert crisis.status == "open" and crisis.summary == ""


def test_a_plan_from_before_the_crisis_is_not_enough(world: Any) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=60)):
        do_save_plan(actor(world.nurse_a), world.patient_a, CRISIS_PLAN)
    crisis = _crisis(world)
    _steps(world, crisis)
    with pytest.raises(ActionError):
        do_close_crisis(actor(world.prescriber_a), crisis, "Safe to go home with her sister.")


def test_a_plan_saved_during_the_crisis_lets_it_close(world: Any) -> None:
    crisis = _crisis(world)
    _steps(world, crisis)
    plan_in_crisis(world.nurse_a, crisis)
    closed = do_close_crisis(actor(world.prescriber_a), crisis, "Safe to go home with her sister.")
    assert closed.status == "closed"


def test_an_admission_needs_no_plan_to_close(world: Any) -> None:
    crisis = _crisis(world)
    _steps(world, crisis, {"disposition": "voluntary_admission", "note": "Admitted to County"})
    closed = do_close_crisis(actor(world.prescriber_a), crisis, "Admitted voluntarily today.")
    assert closed.status == "closed"


def test_the_page_says_what_is_missing(world: Any, as_user: Any) -> None:
    crisis = _crisis(world)
    _steps(world, crisis)
    client = as_user(world.prescriber_a)
    url = f"/patients/{world.patient_a.pk}/crisis/crisis/{crisis.pk}/close/"
    response = client.post(url, {"summary": "Safe to go home with her sister."})
    assert response.status_code == 400, response.status_code
    assert "safety plan" in response.content.decode()
