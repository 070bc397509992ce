"""The chart's eligibility banner ({% eligibility_banner patient %}): status and reasons."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template

from ketacare.evaluations import actions
from tests.evaluations.evaluation_helpers import actor, consent, evaluation_for

pytestmark = pytest.mark.django_db


def banner(patient: Any) -> str:
    return Template("{% load evaluation_tags %}{% eligibility_banner patient %}").render(
        Context({"patient": patient})
    )


def test_banner_without_evaluation_says_so(world: Any) -> None:
    html = banner(world.patient_a)
    assert "No eligibility evaluation" in html


def test_banner_shows_an_unsigned_draft(world: Any) -> None:
    evaluation_for(world.prescriber_a, world.patient_a)
    assert "Eligibility not signed" in banner(world.patient_a)


def test_banner_shows_signed_status_and_reasons(world: Any) -> None:
    evaluation = evaluation_for(
        world.prescriber_a, world.patient_a, medical_history=["aneurysmal_vascular_disease"]
    )
    actions.do_sign_decision(actor(world.prescriber_a), evaluation, {})
    html = banner(world.patient_a)
    assert "Not eligible" in html
    assert "Hard stop" in html and "aneurysm" in html.lower()
    assert "No informed consent" in html


def test_banner_shows_conditions_for_an_eligible_patient(world: Any) -> None:
    evaluation = evaluation_for(
        world.prescriber_a, world.patient_a, medical_history=["psychosis_history"]
    )
    actions.do_sign_decision(
        actor(world.prescriber_a), evaluation, {"psychosis_history": "Remote, drug-induced."}
    )
    consent(world.nurse_a, world.patient_a)
    html = banner(world.patient_a)
    assert "Eligible with conditions" in html
    assert 'data-testid="treatment-blockers"' not in html
