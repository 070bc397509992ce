"""A plan's start date typed with a slip in the year (1900, 3026) is refused under the field in
words, with the other problems of the form, what was typed kept and nothing saved; a revision
that sends back the start already on the plan is not refused for it."""

from __future__ import annotations

from datetime import date

import pytest

from ketacare.plans.models import PlanRevision, TreatmentPlan
from tests.plans.plan_helpers import active, draft, eligible, personal_form

pytestmark = pytest.mark.django_db


def _edit(plan: TreatmentPlan) -> str:
    return f"/patients/{plan.patient_id}/plan/{plan.pk}/edit/"


@pytest.mark.parametrize(
    ("typed", "words"),
    [("1900-01-01", "before the patient was born"), ("3026-01-01", "more than two years ahead")],
)
def test_draft_start_with_a_slip_in_the_year_is_refused(world, as_user, typed, words):
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    response = as_user(world.prescriber_a).post(
        _edit(plan), personal_form(starts_on=typed, goals="Kept goal")
    )
    assert response.status_code == 400
    (message,) = response.context["form"].errors["starts_on"]
    assert words in message and "check the year" in message and "starts_on" not in message
    assert "Kept goal" in response.content.decode()
    plan.refresh_from_db()
    assert plan.starts_on is None and plan.goals == ""


def test_revision_refuses_a_new_start_in_3026_but_keeps_an_old_start(world, as_user):
    plan = active(world.prescriber_a, world.patient_a)
    client = as_user(world.prescriber_a)
    revisions = PlanRevision.objects.count()
    refused = client.post(
        _edit(plan), personal_form(starts_on="3026-01-01", reason="Typo test", sessions_planned="8")
    )
    assert refused.status_code == 400
    assert "more than two years ahead" in refused.context["form"].errors["starts_on"][0]
    assert PlanRevision.objects.count() == revisions
    # A plan already starting long ago is revised without touching its start.
    TreatmentPlan.objects.filter(pk=plan.pk).update(starts_on=date(2020, 1, 6))
    kept = client.post(
        _edit(plan),
        personal_form(starts_on="2020-01-06", reason="More sessions", sessions_planned="8"),
    )
    assert kept.status_code == 302
    plan.refresh_from_db()
    assert plan.sessions_planned == 8 and plan.starts_on == date(2020, 1, 6)
