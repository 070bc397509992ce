"""PHQ-9 item 9 above 0 makes a C-SSRS screen required before the next dose (clinical.md
§16a; issue 7 item 1). The pre-dose checks hold dosing until one is recorded after the answer,
even when the (moderate) flag was acknowledged, and the dosing gate re-reads it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor
from ketacare.clinical.risk import cssrs_before_dose
from ketacare.measures.actions import do_record_assessment
from ketacare.safety.models import FlagStatus, RiskFlag
from ketacare.treatments import actions
from tests.treatments.session_helpers import actor, checks_ok, ready_session

pytestmark = pytest.mark.django_db

NEGATIVE_SCREEN = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}


def _phq9_item9(patient: Any, value: int) -> None:
    answers = {f"phq9-{i}": 1 for i in range(1, 9)} | {"phq9-9": value}
    do_record_assessment(Actor(label="t"), patient, "phq9", answers)


def _check(session: Any, code: str) -> Any:
    return session.checks.get(code=code)


def test_the_rule() -> None:
    now = timezone.now()
    assert cssrs_before_dose(None, None).ok
    assert not cssrs_before_dose(now, None).ok
    assert not cssrs_before_dose(now, now - timedelta(minutes=1)).ok
    assert cssrs_before_dose(now, now).ok
    assert "§16a" in cssrs_before_dose(now, None).reason


def test_item9_of_1_holds_dosing_until_a_cssrs_is_recorded(world: Any) -> None:
    nurse, patient = world.nurse_a, world.patient_a
    session = ready_session(world.prescriber_a, nurse, patient)
    _phq9_item9(patient, 1)
    flag = RiskFlag.objects.get(patient=patient)
    assert flag.level == "moderate" and flag.requires_cssrs
    # Acknowledging the moderate flag is not the screen.
    RiskFlag.objects.filter(pk=flag.pk).update(status=FlagStatus.ACKNOWLEDGED)

    session = checks_ok(nurse, session)
    assert not session.checks_passed
    assert _check(session, "cssrs_after_risk_answer").result != "yes"
    assert any("C-SSRS" in p for p in session.check_problems)
    with pytest.raises(ActionError) as refused:
        actions.do_start_dose(actor(nurse), session, {"given_mg": 35})
    assert refused.value.field == "checks"


def test_a_screen_after_the_answer_lets_the_checks_pass(world: Any) -> None:
    nurse, patient = world.nurse_a, world.patient_a
    session = ready_session(world.prescriber_a, nurse, patient)
    _phq9_item9(patient, 1)
    RiskFlag.objects.filter(patient=patient).update(status=FlagStatus.ACKNOWLEDGED)
    do_record_assessment(Actor(label="t"), patient, "cssrs_recent", NEGATIVE_SCREEN)

    session = checks_ok(nurse, session)
    assert _check(session, "cssrs_after_risk_answer").result == "yes"
    assert session.checks_passed, session.check_problems


def test_a_screen_before_the_answer_does_not_count(world: Any) -> None:
    nurse, patient = world.nurse_a, world.patient_a
    session = ready_session(world.prescriber_a, nurse, patient)
    earlier = timezone.now() - timedelta(hours=3)
    do_record_assessment(
        Actor(label="t"), patient, "cssrs_recent", NEGATIVE_SCREEN, administered_at=earlier
    )
    _phq9_item9(patient, 1)
    RiskFlag.objects.filter(patient=patient).update(status=FlagStatus.ACKNOWLEDGED)

    session = checks_ok(nurse, session)
    assert not session.checks_passed
