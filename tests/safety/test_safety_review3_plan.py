"""Review 3 of the safety plan: two clinicians editing at once never bury a version under
another without a word; Save pressed twice stores one version."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.messages import get_messages

from ketacare.accounts.actions import ActionError
from ketacare.core.submission import AlreadySaved
from ketacare.safety.crisis_models import SafetyPlanVersion
from ketacare.safety.plan_actions import do_save_plan
from tests.safety.crisis_helpers import actor

pytestmark = pytest.mark.django_db

PLAN = {
    "warning_signs": "Not sleeping; staying in my room",
    "coping_strategies": "Walk the dog; shower; music",
    "distractions": "Coffee shop on Main St; cousin Ray",
    "help_contacts": "Sister Mia 555-0101",
    "professionals": "Dr Paula at the clinic; 988",
    "safe_environment": "Mia keeps my pills; no alcohol at home",
}


def _drawn_on(page: Any) -> str:
    found = re.search(r'name="based_on" value="(\d+)"', page.content.decode())
    assert found, "the edit form carries the version it was drawn from"
    return found.group(1)


def test_a_save_over_a_version_saved_meanwhile_is_refused_with_the_text_kept(
    world: Any, as_user: Any
) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    url = f"/patients/{world.patient_a.pk}/crisis/plan/edit/"
    nurse, therapist = as_user(world.nurse_a), as_user(world.therapist_a)
    nurse_drawn = _drawn_on(nurse.get(url))
    therapist_drawn = _drawn_on(therapist.get(url))
    assert nurse_drawn == therapist_drawn == "1"
    # The therapist saves v2 (the sister's new number) while the nurse is still writing.
    mine = PLAN | {"help_contacts": "Sister Mia 555-0199 (new number)"}
    r = therapist.post(url, mine | {"based_on": therapist_drawn, "made_with_patient": "on"})
    assert r.status_code == 302
    theirs = PLAN | {"safe_environment": "Brother holds the car keys on weekends"}
    r = nurse.post(url, theirs | {"based_on": nurse_drawn, "made_with_patient": "on"})
    assert r.status_code == 400
    page = r.content.decode()
    assert "Version 2 of the safety plan was saved by Theo Therapist" in page
    assert "Brother holds the car keys on weekends" in page  # the nurse's text is kept
    assert 'data-testid="plan-newer-version"' in page
    assert SafetyPlanVersion.objects.filter(patient=world.patient_a).count() == 2
    # Saving again is now a deliberate choice over version 2.
    assert _drawn_on(r) == "2"
    r = nurse.post(url, theirs | {"based_on": "2", "made_with_patient": "on"})
    assert r.status_code == 302
    assert SafetyPlanVersion.objects.get(patient=world.patient_a, version=3).created_by == (
        world.nurse_a
    )


def test_save_pressed_twice_stores_one_version_and_says_so(world: Any, as_user: Any) -> None:
    url = f"/patients/{world.patient_a.pk}/crisis/plan/edit/"
    nurse = as_user(world.nurse_a)
    data = PLAN | {"based_on": _drawn_on(nurse.get(url)), "made_with_patient": "on"}
    first = nurse.post(url, data)
    again = nurse.post(url, data)
    assert first.status_code == again.status_code == 302
    assert again["Location"] == first["Location"]
    assert any(str(m).startswith("Already saved") for m in get_messages(again.wsgi_request))
    assert SafetyPlanVersion.objects.filter(patient=world.patient_a).count() == 1


def test_the_action_names_the_field_and_the_version(world: Any) -> None:
    do_save_plan(actor(world.nurse_a), world.patient_a, PLAN)
    with pytest.raises(ActionError) as refused:
        do_save_plan(actor(world.prescriber_a), world.patient_a, PLAN, based_on=0)
    assert refused.value.field == "based_on" and "Version 1" in refused.value.message
    with pytest.raises(AlreadySaved):
        do_save_plan(actor(world.nurse_a), world.patient_a, PLAN, based_on=0)
    with pytest.raises(ActionError) as stale:
        do_save_plan(actor(world.nurse_a), world.patient_a, PLAN, based_on=7)
    assert stale.value.field == "based_on"
    assert SafetyPlanVersion.objects.count() == 1
    assert do_save_plan(actor(world.nurse_a), world.patient_a, PLAN, based_on=1).version == 2
