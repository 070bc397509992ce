"""The plan actions: create needs signed eligibility and no other open plan; a draft is
edited in place; signing makes revision 1; every later change is a revision with a reason."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import time_machine

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.clinical.protocols import LIBRARY
from ketacare.plans import actions
from ketacare.plans.models import PlanRevision, PlanStatus, TreatmentPlan
from tests.plans.plan_helpers import active, actor, draft, eligible

pytestmark = pytest.mark.django_db


def _refused(field: str, call: Any, *args: Any, **kwargs: Any) -> ActionError:
    with pytest.raises(ActionError) as caught:
        call(*args, **kwargs)
    assert caught.value.field == field, caught.value.message
    return caught.value


def test_create_requires_a_signed_eligibility_decision_for_the_route(world):
    problem = _refused("protocol", draft, world.prescriber_a, world.patient_a)
    assert "signed eligibility" in problem.message
    eligible(world.prescriber_a, world.patient_a, "iv_racemic")
    # IV eligibility does not allow an esketamine plan.
    _refused("protocol", draft, world.prescriber_a, world.patient_a, "esketamine_trd_us")
    assert TreatmentPlan.objects.count() == 0
    plan = draft(world.prescriber_a, world.patient_a)
    assert (plan.status, plan.revision, plan.phase, plan.route) == (
        "draft",
        0,
        "induction",
        "iv_racemic",
    )
    assert AuditEntry.objects.filter(action="plans.plan.created").count() == 1


def test_a_patient_has_at_most_one_open_plan(world):
    eligible(world.prescriber_a, world.patient_a)
    draft(world.prescriber_a, world.patient_a)
    problem = _refused("protocol", draft, world.prescriber_a, world.patient_a, "iv_ketamine_ptsd")
    assert "already has an open plan" in problem.message
    assert TreatmentPlan.objects.count() == 1


def test_a_stopped_plan_makes_room_for_a_new_one(world):
    plan = active(world.prescriber_a, world.patient_a)
    actions.do_set_status(actor(world.prescriber_a), plan, "stopped", "No response")
    assert draft(world.prescriber_a, world.patient_a, "iv_ketamine_ptsd").status == "draft"


def test_withdrawn_protocol_cannot_start_a_plan(world):
    from ketacare.plans.protocols import do_set_available

    eligible(world.prescriber_a, world.patient_a)
    do_set_available(actor(world.admin_a), world.clinic_a, "iv_ketamine_depression", False, "x")
    _refused("protocol", draft, world.prescriber_a, world.patient_a)


def test_draft_is_edited_in_place_without_revisions(world):
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    actions.do_update_draft(
        actor(world.prescriber_a), plan, {"dose_value": "0.75", "goals": "Back to work"}
    )
    plan.refresh_from_db()
    assert plan.dose_value == Decimal("0.75") and plan.goals == "Back to work"
    assert PlanRevision.objects.count() == 0


@time_machine.travel("2026-03-02 15:00:00+00:00", tick=False)
def test_signing_makes_the_plan_active_at_revision_one(world):
    plan = active(world.prescriber_a, world.patient_a)
    assert plan.status == "active" and plan.revision == 1
    assert plan.signed_by == world.prescriber_a and plan.starts_on.isoformat() == "2026-03-02"
    revision = plan.revisions.get()
    assert (revision.number, revision.kind, revision.changes) == (1, "signed", {})
    assert revision.snapshot["status"] == "active"
    _refused("plan", actions.do_sign_plan, actor(world.prescriber_a), plan)


def test_a_signed_plan_cannot_be_edited_as_a_draft(world):
    plan = active(world.prescriber_a, world.patient_a)
    _refused("plan", actions.do_update_draft, actor(world.prescriber_a), plan, {"goals": "x"})


def test_revision_needs_a_reason_and_records_before_and_after(world):
    plan = active(world.prescriber_a, world.patient_a, dose_value="0.5")
    who = actor(world.prescriber_a)
    _refused("reason", actions.do_revise_plan, who, plan, {"dose_value": "0.75"}, "  ")
    revision = actions.do_revise_plan(who, plan, {"dose_value": "0.75"}, "Tolerated well")
    assert (revision.number, revision.kind, revision.reason) == (2, "changed", "Tolerated well")
    assert revision.changes == {"dose_value": ["0.5", "0.75"]}
    first = plan.revisions.get(number=1)
    assert first.snapshot["dose_value"] == "0.5"  # the old revision is untouched
    with pytest.raises(PermissionError):
        first.save()


def test_revision_that_changes_nothing_is_refused(world):
    plan = active(world.prescriber_a, world.patient_a, dose_value="0.5")
    problem = _refused(
        "plan", actions.do_revise_plan, actor(world.prescriber_a), plan, {"dose_value": "0.5"}, "r"
    )
    assert "Nothing was changed" in problem.message
    assert plan.revisions.count() == 1


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        (["on_hold", "active", "completed"], True),
        (["on_hold", "stopped"], True),
        (["completed", "active"], False),
        (["stopped", "on_hold"], False),
    ],
)
def test_status_transitions(world, path, allowed):
    plan = active(world.prescriber_a, world.patient_a)
    who = actor(world.prescriber_a)
    *firsts, last = path
    for status in firsts:
        actions.do_set_status(who, plan, status, f"to {status}")
    if allowed:
        revision = actions.do_set_status(who, plan, last, "last step")
        assert revision.kind == "status" and revision.changes["status"][1] == last
    else:
        _refused("status", actions.do_set_status, who, plan, last, "not allowed")
    plan.refresh_from_db()
    assert plan.revision == 1 + len(path) - (0 if allowed else 1)


def test_stopping_needs_a_reason(world):
    plan = active(world.prescriber_a, world.patient_a)
    _refused("reason", actions.do_set_status, actor(world.prescriber_a), plan, "stopped", "")
    plan.refresh_from_db()
    assert plan.status == "active"


def test_status_of_a_draft_is_refused(world):
    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    _refused("status", actions.do_set_status, actor(world.prescriber_a), plan, "on_hold", "x")


def test_phase_change_records_the_phase_and_resets_the_phase_frequency(world):
    plan = active(world.prescriber_a, world.patient_a, frequency_count=3, frequency_per_days=7)
    who = actor(world.prescriber_a)
    _refused("phase", actions.do_set_phase, who, plan, "induction", "same")
    _refused("phase", actions.do_set_phase, who, plan, "nonsense", "x")
    revision = actions.do_set_phase(who, plan, "maintenance", "Induction done, responder")
    assert revision.kind == "phase"
    assert revision.changes["phase"] == ["induction", "maintenance"]
    assert revision.changes["frequency_count"] == [3, None]
    plan.refresh_from_db()
    assert plan.phase == "maintenance" and plan.frequency_count is None


def test_closed_plan_cannot_be_revised(world):
    plan = active(world.prescriber_a, world.patient_a)
    who = actor(world.prescriber_a)
    actions.do_set_status(who, plan, "completed", "Course done")
    _refused("plan", actions.do_revise_plan, who, plan, {"goals": "more"}, "why")
    _refused("plan", actions.do_set_phase, who, plan, "maintenance", "why")


ESK = LIBRARY["esketamine_trd_us"]
IV = LIBRARY["iv_ketamine_depression"]


def test_esketamine_frequency_must_be_a_label_frequency():
    clean = actions.clean_personalisation
    assert clean(ESK, "induction", {"frequency_count": 2, "frequency_per_days": 7})
    with pytest.raises(ActionError) as caught:
        clean(ESK, "induction", {"frequency_count": 3, "frequency_per_days": 7})
    assert caught.value.field == "frequency_count" and "label" in caught.value.message


def test_racemic_custom_frequency_must_keep_the_minimum_interval():
    clean = actions.clean_personalisation
    assert clean(IV, "induction", {"frequency_count": 3, "frequency_per_days": 8})
    with pytest.raises(ActionError) as caught:
        clean(IV, "induction", {"frequency_count": 4, "frequency_per_days": 7})
    assert "48 h" in caught.value.message
    with pytest.raises(ActionError) as caught:
        clean(IV, "induction", {"frequency_count": 2})
    assert caught.value.field == "frequency_per_days"


@pytest.mark.parametrize(
    ("protocol", "value", "ok"),
    [
        (IV, "0.5", True),
        (IV, "0.6", False),
        (IV, "-1", False),
        (IV, "abc", False),
        (ESK, "84", True),
        (ESK, "70", False),
        (ESK, "112", False),
    ],
)
def test_dose_must_be_one_of_the_protocols_steps(protocol, value, ok):
    if ok:
        assert actions.clean_personalisation(protocol, "induction", {"dose_value": value})
    else:
        with pytest.raises(ActionError) as caught:
            actions.clean_personalisation(protocol, "induction", {"dose_value": value})
        assert caught.value.field == "dose_value"


@pytest.mark.parametrize(
    ("targets", "ok"),
    [
        ([{"scale": "phq9", "target": 5}], True),
        ([{"scale": "madrs", "target": 10, "comparison": "le"}], True),
        ([{"scale": "phq9", "target": 28}], False),
        ([{"scale": "nope", "target": 1}], False),
        ([{"scale": "gad7"}], False),
        ([{"scale": "pcl5", "target": 10, "comparison": "gt"}], False),
        ("phq9<5", False),
    ],
)
def test_targets_name_a_known_scale_and_a_score_in_its_range(targets, ok):
    if ok:
        assert actions.clean_personalisation(IV, "induction", {"targets": targets})["targets"]
    else:
        with pytest.raises(ActionError) as caught:
            actions.clean_personalisation(IV, "induction", {"targets": targets})
        assert caught.value.field == "targets"


def test_weight_basis_and_concentration_only_where_they_apply():
    clean = actions.clean_personalisation
    assert clean(IV, "induction", {"weight_basis": "ideal"})["weight_basis"] == "ideal"
    for values, field in (
        ({"weight_basis": "heaviest"}, "weight_basis"),
        ({"weight_basis": "actual"}, "weight_basis"),
        ({"concentration_mg_per_ml": "10"}, "concentration_mg_per_ml"),
        ({"starts_on": "tomorrow"}, "starts_on"),
        ({"status": "active"}, "status"),
    ):
        protocol = IV if field in ("starts_on", "status") else ESK
        with pytest.raises(ActionError) as caught:
            clean(protocol, "induction", values)
        assert caught.value.field == field


def test_plan_dose_works_the_hand_checkable_example(world):
    plan = active(world.prescriber_a, world.patient_a, dose_value="0.5")
    actions.do_revise_plan(
        actor(world.prescriber_a), plan, {"concentration_mg_per_ml": "10"}, "10 mg/mL vials"
    )
    plan.refresh_from_db()
    dose = actions.plan_dose(plan, weight_kg=Decimal(80))
    assert dose.dose_mg == Decimal("40.0") and dose.volume_ml == Decimal("4.00")
    assert dose.rate_ml_per_h == Decimal("6.0")
    assert dose.formula[0] == "0.5 mg/kg × 80 kg (actual body weight) = 40.0 mg"
    assert "40.0 mg ÷ 10 mg/mL = 4.00 mL" in dose.formula
    assert "4.00 mL over 40 min = 6.0 mL/h" in dose.formula


def test_plan_keeps_the_protocol_version_it_was_written_under(world):
    from ketacare.plans.protocols import do_edit_protocol

    plan = active(world.prescriber_a, world.patient_a)
    do_edit_protocol(
        actor(world.admin_a),
        world.clinic_a,
        "iv_ketamine_depression",
        {"dose.max_dose_mg": "30"},
        "Cap",
    )
    assert actions.plan_protocol(plan).dose.max_dose_mg is None
    assert actions.plan_dose(plan, weight_kg=Decimal(80)).dose_mg == Decimal("40.0")


def test_only_signed_in_people_make_clinical_changes(world):
    from tests.conftest import SYSTEM

    eligible(world.prescriber_a, world.patient_a)
    _refused("actor", actions.do_create_plan, SYSTEM, world.patient_a, "iv_ketamine_depression")


def test_signing_rechecks_eligibility(world):
    from ketacare.evaluations.models import EligibilityDecision

    eligible(world.prescriber_a, world.patient_a)
    plan = draft(world.prescriber_a, world.patient_a)
    EligibilityDecision.objects.all().update(route="im_racemic")
    _refused("plan", actions.do_sign_plan, actor(world.prescriber_a), plan)
    assert TreatmentPlan.objects.get().status == PlanStatus.DRAFT


def test_an_esketamine_plan_needs_an_evaluation_for_the_protocols_indication(world):
    """The label doses TRD (56 mg start) and MDSI (84 mg from the first session) differently
    (clinical.md §5a, §5c): a patient evaluated for TRD gets the TRD protocol, not MDSI's.
    Racemic protocols are off-label whatever the indication: the route's decision is enough."""
    from tests.evaluations.evaluation_helpers import signed

    signed(world.prescriber_a, world.patient_a, "esketamine_nasal", indication="trd")
    problem = _refused("protocol", draft, world.prescriber_a, world.patient_a, "esketamine_mdsi_us")
    assert "evaluated for esketamine for treatment-resistant depression" in problem.message
    assert "acute suicidal ideation" in problem.message
    assert TreatmentPlan.objects.count() == 0
    plan = draft(world.prescriber_a, world.patient_a, "esketamine_trd_us")
    assert plan.protocol_code == "esketamine_trd_us"
