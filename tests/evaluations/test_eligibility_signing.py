"""The decision page: findings with sources, signing with justifications, and immutability
of a signed evaluation (every change refused; addenda with author and time)."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.evaluations import actions
from ketacare.evaluations.models import EligibilityDecision, Evaluation
from tests.evaluations.evaluation_helpers import actor, evaluation_for

pytestmark = pytest.mark.django_db


def decision_url(world: Any, evaluation: Evaluation) -> str:
    return f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/decision/"


def test_decision_page_groups_findings_with_their_sources(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(
        world.prescriber_a,
        world.patient_a,
        medical_history=["psychosis_current", "psychosis_history"],
        heart_rate_bpm=130,
    )
    page = as_user(world.prescriber_a).get(decision_url(world, evaluation)).content.decode()
    assert 'data-testid="group-hard_stop"' in page
    assert 'data-testid="group-relative"' in page
    assert 'data-testid="group-caution"' in page
    assert "Not eligible" in page
    assert "Source: clinical.md §3" in page
    assert 'name="justification_psychosis_history"' in page


def test_do_decide_stores_findings_with_sources_and_policy(world: Any) -> None:
    evaluation = evaluation_for(
        world.prescriber_a, world.patient_a, medical_history=["psychosis_history"]
    )
    stored = actions.do_decide(actor(world.prescriber_a), evaluation)
    assert stored.outcome == "not_eligible"
    codes = {f["code"]: f for f in stored.findings}
    assert codes["psychosis_history"]["severity"] == "relative"
    assert codes["psychosis_history"]["source"].startswith("clinical.md")
    assert stored.engine_version and stored.policy_snapshot == {}
    assert not stored.is_signed


def test_signing_is_refused_while_a_relative_finding_has_no_justification(
    world: Any, as_user: Any
) -> None:
    evaluation = evaluation_for(
        world.prescriber_a, world.patient_a, medical_history=["psychosis_history"]
    )
    client = as_user(world.prescriber_a)
    response = client.post(
        decision_url(world, evaluation), {"justification_psychosis_history": " "}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="justification_psychosis_history"' in body
    evaluation.refresh_from_db()
    assert not evaluation.is_signed
    with pytest.raises(ActionError) as refused:
        actions.do_sign_decision(actor(world.prescriber_a), evaluation, {})
    assert refused.value.field == "justification_psychosis_history"


def test_signing_with_a_justification_gives_eligible_with_conditions(
    world: Any, as_user: Any
) -> None:
    evaluation = evaluation_for(
        world.prescriber_a, world.patient_a, medical_history=["psychosis_history"]
    )
    client = as_user(world.prescriber_a)
    response = client.post(
        decision_url(world, evaluation),
        {"justification_psychosis_history": "Single drug-induced episode 2009, none since."},
    )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.is_signed and evaluation.signed_by == world.prescriber_a
    decision = EligibilityDecision.objects.get(evaluation=evaluation)
    assert decision.outcome == "eligible_with_conditions"
    assert decision.overrides == {
        "psychosis_history": "Single drug-induced episode 2009, none since."
    }
    assert AuditEntry.objects.filter(action="evaluations.decision.signed").exists()
    page = client.get(decision_url(world, evaluation)).content.decode()
    assert "Single drug-induced episode 2009" in page and "Sign decision" not in page


def test_a_not_eligible_decision_can_be_signed_with_its_reasons(world: Any) -> None:
    evaluation = evaluation_for(
        world.prescriber_a,
        world.patient_a,
        medical_history=["aneurysmal_vascular_disease", "psychosis_history"],
    )
    stored = actions.do_sign_decision(actor(world.prescriber_a), evaluation, {})
    assert stored.outcome == "not_eligible" and stored.is_signed
    assert any("hard stop" in line for line in stored.summary)


def test_prescriber_may_decline_instead_of_justifying(world: Any) -> None:
    evaluation = evaluation_for(
        world.prescriber_a, world.patient_a, medical_history=["psychosis_history"]
    )
    stored = actions.do_sign_decision(
        actor(world.prescriber_a), evaluation, {}, declined_reason="Recent psychosis: refer."
    )
    assert stored.outcome == "not_eligible"
    assert stored.declined_reason == "Recent psychosis: refer."


def test_only_a_prescriber_signs(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    response = as_user(world.nurse_a).post(decision_url(world, evaluation), {})
    assert response.status_code == 403
    with pytest.raises(ActionError):
        actions.do_sign_decision(actor(world.nurse_a), evaluation, {})
    evaluation.refresh_from_db()
    assert not evaluation.is_signed


def test_a_signed_evaluation_cannot_be_changed_by_any_action(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    trial = actions.do_add_trial(actor(world.nurse_a), evaluation, {"drug": "sertraline"})
    medication = actions.do_add_medication(actor(world.nurse_a), evaluation, {"name": "lorazepam"})
    stale = Evaluation.objects.get(pk=evaluation.pk)  # loaded before signing
    actions.do_sign_decision(actor(world.prescriber_a), evaluation, {})
    who = actor(world.prescriber_a)
    attempts = [
        lambda: actions.do_update_evaluation(who, stale, {"goals": "changed"}),
        lambda: actions.do_add_trial(who, stale, {"drug": "bupropion"}),
        lambda: actions.do_remove_trial(who, stale, trial.pk),
        lambda: actions.do_add_medication(who, stale, {"name": "zolpidem"}),
        lambda: actions.do_remove_medication(who, stale, medication.pk),
        lambda: actions.do_decide(who, stale),
        lambda: actions.do_sign_decision(who, stale, {}),
    ]
    for attempt in attempts:
        with pytest.raises(ActionError) as refused:
            attempt()
        assert refused.value.field == "evaluation"
        assert refused.value.message == "Signed evaluations cannot be changed; add an addendum."
    assert evaluation.trials.count() == 1 and evaluation.medications.count() == 1
    page = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/evaluation/")
    body = page.content.decode()
    assert 'data-testid="read-only"' in body and "Save evaluation" not in body
    response = as_user(world.nurse_a).post(
        f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/edit/", {"goals": "x"}
    )
    assert response.status_code == 302
    evaluation.refresh_from_db()
    assert evaluation.goals == ""


def test_an_addendum_is_added_with_author_and_time(world: Any, as_user: Any) -> None:
    evaluation = evaluation_for(world.prescriber_a, world.patient_a)
    with pytest.raises(ActionError):  # drafts are edited, not annotated
        actions.do_add_addendum(actor(world.nurse_a), evaluation, "too early")
    actions.do_sign_decision(actor(world.prescriber_a), evaluation, {})
    client = as_user(world.nurse_a)
    response = client.post(
        f"/patients/{world.patient_a.pk}/evaluation/{evaluation.pk}/addenda/",
        {"text": "Weight was 72 kg, not 70 kg."},
    )
    assert response.status_code == 302
    addendum = evaluation.addenda.get()
    assert addendum.author == world.nurse_a and addendum.at is not None
    page = client.get(decision_url(world, evaluation)).content.decode()
    assert "Weight was 72 kg, not 70 kg." in page and "Nina Nurse" in page
    assert AuditEntry.objects.filter(action="evaluations.addendum.added").exists()
