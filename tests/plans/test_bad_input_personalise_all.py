"""Personalising a plan shows every problem at once, each under its field in words: the
rules' problems (a frequency too close for the phase, a start before birth, a strength of 0)
together, and beside the form's own (500 sessions, a missing reason), typed values kept and
nothing saved. The rules stay in `plans.actions`; the form repeats none of them."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.clinical.protocols import LIBRARY
from ketacare.plans import actions
from ketacare.plans.models import PlanRevision, TreatmentPlan
from tests.plans.plan_helpers import active, draft, eligible, personal_form

pytestmark = pytest.mark.django_db

IV = LIBRARY["iv_ketamine_depression"]


# A custom 4 sessions a week breaks the induction's 48 h minimum; 1900 is before Ada's birth
# (1985); a strength of 0 mg/mL is no strength.
THREE_RULE_PROBLEMS = {
    "frequency": "custom",
    "frequency_count": "4",
    "frequency_per_days": "7",
    "starts_on": "1900-01-01",
    "concentration_mg_per_ml": "0",
    "goals": "Kept goal",
}


def _edit(plan: TreatmentPlan) -> str:
    return f"/patients/{plan.patient_id}/plan/{plan.pk}/edit/"


def _assert_rule_problems(errors: Any) -> None:
    assert "48 h" in errors["frequency_count"][0]
    assert "before the patient was born" in errors["starts_on"][0]
    assert "greater than 0" in errors["concentration_mg_per_ml"][0]
    for field in ("frequency_count", "starts_on", "concentration_mg_per_ml"):
        assert f"{field}:" not in errors[field][0]  # words, not the code's name


def test_every_rule_problem_of_a_draft_is_shown_at_once(world, as_user):
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    response = as_user(world.prescriber_a).post(_edit(plan), personal_form(**THREE_RULE_PROBLEMS))
    assert response.status_code == 400
    _assert_rule_problems(response.context["form"].errors)
    body = response.content.decode()
    assert "Kept goal" in body and 'value="1900-01-01"' in body
    plan.refresh_from_db()
    assert plan.goals == "" and plan.starts_on is None and plan.frequency_count is None


def test_rule_problems_are_shown_beside_the_forms_own(world, as_user):
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    response = as_user(world.prescriber_a).post(
        _edit(plan), personal_form(**THREE_RULE_PROBLEMS, sessions_planned="500")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["sessions_planned"]  # the form's own check
    _assert_rule_problems(errors)
    plan.refresh_from_db()
    assert plan.goals == ""


def test_a_revision_without_a_reason_still_names_the_rule_problems(world, as_user):
    plan = active(world.prescriber_a, world.patient_a)
    revisions = PlanRevision.objects.count()
    response = as_user(world.prescriber_a).post(
        _edit(plan), personal_form(**THREE_RULE_PROBLEMS, reason="")
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["reason"]
    _assert_rule_problems(errors)
    assert PlanRevision.objects.count() == revisions


def test_a_field_the_form_refused_is_not_refused_twice(world, as_user):
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    response = as_user(world.prescriber_a).post(
        _edit(plan),
        personal_form(frequency="custom", frequency_count="9", frequency_per_days="7"),
    )
    assert response.status_code == 400
    (only,) = response.context["form"].errors["frequency_count"]
    assert "Give both" not in only


def test_the_action_raises_every_problem_together():
    with pytest.raises(ActionError) as caught:
        actions.clean_personalisation(
            IV,
            "induction",
            {
                "dose_value": "-1",
                "frequency_count": 4,
                "frequency_per_days": 7,
                "targets": [{"scale": "phq9", "target": 28}, {"scale": "nope", "target": 1}],
                "starts_on": "tomorrow",
            },
        )
    fields = [field for field, _ in actions.problems_of(caught.value)]
    assert fields == ["dose_value", "frequency_count", "targets", "targets", "starts_on"]
    # A caller that knows only ActionError still reads the first.
    assert caught.value.field == "dose_value"
