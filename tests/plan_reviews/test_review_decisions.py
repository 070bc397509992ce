"""The work list (/reviews/) and the decision page: who sees what, clinic isolation, and each
decision producing the right plan revision in one transaction."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.models import AuditEntry
from ketacare.plans.models import PlanRevision, ReviewTask
from tests.conftest import make_patient
from tests.plan_reviews.review_helpers import iv_plan


def task_for(plan: Any, code: str = "non_response_check", kind: str = "review_point") -> Any:
    return ReviewTask.objects.create(
        clinic=plan.clinic,
        plan=plan,
        patient=plan.patient,
        kind=kind,
        code=code,
        title=code.replace("_", " ").capitalize(),
        due_at=timezone.now() - timedelta(hours=1),
        data={
            "what": "Improvement of at least 20% from baseline?",
            "sessions_completed": 4,
            "scale_name": "MADRS",
            "baseline": {"total": 30},
            "at_time_point": {"total": 26},
            "latest": {"total": 26},
            "improvement_pct": 13.3,
            "notes": [],
        },
        assigned_to=plan.signed_by,
    )


@pytest.fixture
def plan(world: Any) -> Any:
    return iv_plan(world.prescriber_a, world.patient_a)


@pytest.fixture
def task(plan: Any) -> Any:
    return task_for(plan)


def post(client: Any, task: Any, **data: Any) -> Any:
    return client.post(f"/reviews/{task.pk}/", data)


def test_the_work_list_shows_my_tasks_first_then_the_clinics_others(
    world: Any, plan: Any, task: Any, as_user: Any
) -> None:
    from ketacare.accounts.models import Role
    from tests.conftest import make_staff
    from tests.plan_reviews.review_helpers import MONDAY

    other_prescriber = make_staff(world.clinic_a, Role.PRESCRIBER, "second@a.test", "Sam Second")
    other_patient = make_patient(world.clinic_a, "Alan", "Turing")
    other_plan = iv_plan(other_prescriber, other_patient, MONDAY)
    task_for(other_plan, "early_signal")
    response = as_user(world.prescriber_a).get("/reviews/")
    assert response.status_code == 200
    mine, others = response.context["mine"], response.context["others"]
    assert [t.pk for t in mine] == [task.pk]
    assert [t.patient_id for t in others] == [other_patient.pk]
    text = response.content.decode()
    assert text.index("Lovelace") < text.index("Turing") and "13.3 %" in text
    assert AuditEntry.objects.filter(action="plans.reviews.listed").exists()


def test_a_nurse_may_read_the_list_but_not_decide(world: Any, task: Any, as_user: Any) -> None:
    nurse = as_user(world.nurse_a)
    assert nurse.get("/reviews/").status_code == 200
    assert nurse.get(f"/reviews/{task.pk}/").status_code == 403
    assert post(nurse, task, decision="stop", note="no").status_code == 403
    task.refresh_from_db()
    assert task.status == "open"


def test_another_clinics_prescriber_sees_nothing_and_gets_404(
    world: Any, task: Any, as_user: Any
) -> None:
    other = as_user(world.clinician_b)
    response = other.get("/reviews/")
    assert response.status_code == 200 and not response.context["mine"]
    assert not response.context["others"] and "Lovelace" not in response.content.decode()
    assert other.get(f"/reviews/{task.pk}/").status_code == 404
    assert post(other, task, decision="stop", note="x").status_code == 404
    task.refresh_from_db()
    assert task.status == "open"


def test_the_decision_page_shows_the_data_and_is_audited(
    world: Any, task: Any, as_user: Any
) -> None:
    response = as_user(world.prescriber_a).get(f"/reviews/{task.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Improvement of at least 20%" in text and "13.3 %" in text and "MADRS" in text
    assert response.context["form"].initial["sessions_planned"] is None
    assert AuditEntry.objects.get(action="plans.review.viewed").patient_id == str(
        world.patient_a.pk
    )


def test_continue_is_a_review_revision_that_changes_no_value(
    world: Any, plan: Any, task: Any, as_user: Any
) -> None:
    response = post(as_user(world.prescriber_a), task, decision="continue", note="Improving.")
    assert response.status_code == 302
    task.refresh_from_db()
    plan.refresh_from_db()
    assert (task.status, task.decision, task.note) == ("decided", "continue", "Improving.")
    assert task.decided_by == world.prescriber_a and task.decided_at is not None
    revision = PlanRevision.objects.get(plan=plan, number=2)
    assert task.revision == revision and revision.kind == "review" and revision.changes == {}
    assert "Improving." in revision.reason and revision.author == world.prescriber_a
    assert plan.revision == 2 and plan.status == "active"
    entry = AuditEntry.objects.get(action="plans.review.decided")
    assert entry.detail["decision"] == "continue" and entry.detail["revision"] == 2


def test_adjust_makes_a_review_revision_with_the_new_values(
    world: Any, plan: Any, task: Any, as_user: Any
) -> None:
    response = post(
        as_user(world.prescriber_a),
        task,
        decision="adjust",
        note="Partial response; raise the dose.",
        dose_value="0.75",
        frequency_count="2",
        frequency_per_days="7",
        sessions_planned="8",
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    task.refresh_from_db()
    revision = task.revision
    assert revision is not None and revision.number == 2 and revision.kind == "review"
    assert str(plan.dose_value.normalize()) == "0.75" and plan.sessions_planned == 8
    assert (plan.frequency_count, plan.frequency_per_days) == (2, 7)
    assert set(revision.changes) == {
        "dose_value",
        "frequency_count",
        "frequency_per_days",
        "sessions_planned",
    }
    assert "Partial response" in revision.reason


def test_adjust_with_nothing_changed_is_refused_and_keeps_what_was_typed(
    world: Any, plan: Any, task: Any, as_user: Any
) -> None:
    response = post(as_user(world.prescriber_a), task, decision="adjust", note="Tweak it.")
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    assert "Tweak it." in response.content.decode()
    task.refresh_from_db()
    assert task.status == "open" and PlanRevision.objects.filter(plan=plan).count() == 1


def test_a_bad_dose_is_shown_on_the_dose_field_and_nothing_is_saved(
    world: Any, plan: Any, task: Any, as_user: Any
) -> None:
    response = post(
        as_user(world.prescriber_a), task, decision="adjust", note="Up.", dose_value="7"
    )
    assert response.status_code == 400
    assert response.context["form"].errors.get("dose_value")
    task.refresh_from_db()
    assert task.status == "open"


def test_maintenance_switches_the_plan_to_the_maintenance_phase(
    world: Any, plan: Any, task: Any, as_user: Any
) -> None:
    response = post(as_user(world.prescriber_a), task, decision="maintenance", note="Responder.")
    assert response.status_code == 302
    plan.refresh_from_db()
    task.refresh_from_db()
    assert plan.phase == "maintenance"
    assert task.revision is not None and task.revision.kind == "phase"
    assert task.revision.changes["phase"] == ["induction", "maintenance"]


def test_stop_stops_the_plan_and_closes_its_other_open_tasks(
    world: Any, plan: Any, task: Any, as_user: Any
) -> None:
    stop_task = task_for(plan, "stop_rule", "stop_rule")
    response = post(as_user(world.prescriber_a), stop_task, decision="stop", note="Non-responder.")
    assert response.status_code == 302
    plan.refresh_from_db()
    stop_task.refresh_from_db()
    task.refresh_from_db()
    assert plan.status == "stopped" and "Non-responder." in plan.status_reason
    assert stop_task.revision is not None and stop_task.revision.kind == "status"
    assert (task.status, task.decision, task.revision) == ("decided", "stop", stop_task.revision)


def test_a_note_is_required(world: Any, task: Any, as_user: Any) -> None:
    response = post(as_user(world.prescriber_a), task, decision="stop", note=" ")
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.status == "open" and task.plan.status == "active"


def test_a_decided_task_cannot_be_decided_again(
    world: Any, plan: Any, task: Any, as_user: Any
) -> None:
    client = as_user(world.prescriber_a)
    assert post(client, task, decision="continue", note="Fine.").status_code == 302
    again = post(client, task, decision="stop", note="Changed my mind.")
    assert again.status_code == 400 and "already been decided" in again.content.decode()
    plan.refresh_from_db()
    assert plan.status == "active"
    page = client.get(f"/reviews/{task.pk}/").content.decode()
    assert "Decided: Continue as planned" in page


def test_maintenance_is_refused_when_the_protocol_has_none(world: Any, as_user: Any) -> None:
    from tests.reminders.reminder_helpers import plan_for

    plan = plan_for(
        world.patient_a, world.prescriber_a, "iv_ketamine_ptsd", "iv_racemic", "induction"
    )
    task = task_for(plan, "end_of_induction")
    response = post(as_user(world.prescriber_a), task, decision="maintenance", note="Go on.")
    assert response.status_code == 400
    assert "no maintenance phase" in response.content.decode()


def test_the_work_list_costs_the_same_queries_for_one_task_or_ten(
    world: Any, plan: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    client = as_user(world.prescriber_a)
    task_for(plan, "early_signal")
    with django_assert_max_num_queries(30) as one:
        client.get("/reviews/")
    for n in range(9):
        task_for(plan, f"point_{n}")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(client.get("/reviews/").context["mine"]) == 10
