"""Review of the chair workflow: the prescriber's gates are enforced by the actions
themselves, not only by the pages that call them (issue 6 items 1–2, 7)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions
from ketacare.treatments.models import SessionStatus, TreatmentSession
from tests.treatments.session_helpers import NORMAL, actor, checks_ok, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def _on_hold(world: Any) -> TreatmentSession:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    session = checks_ok(world.nurse_a, session, systolic_mmhg=152, diastolic_mmhg=94)
    assert session.on_hold
    return session


def test_a_nurse_cannot_clear_a_pre_dose_hold_through_the_action(world: Any) -> None:
    session = _on_hold(world)
    with pytest.raises(ActionError) as err:
        actions.do_clear_hold(actor(world.nurse_a), session, True, "Looks fine to me")
    assert err.value.field == "note"
    session.refresh_from_db()
    assert session.hold_cleared_at is None
    assert actions.dosing_blockers(session)


def test_a_nurse_cannot_decide_not_to_dose_on_a_hold_either(world: Any) -> None:
    session = _on_hold(world)
    with pytest.raises(ActionError):
        actions.do_clear_hold(actor(world.nurse_a), session, False, "Too high today")
    session.refresh_from_db()
    assert session.status == SessionStatus.PRE_DOSE


def test_a_prescriber_of_another_clinic_cannot_clear_the_hold(world: Any) -> None:
    session = _on_hold(world)
    with pytest.raises(ActionError):
        actions.do_clear_hold(actor(world.clinician_b), session, True, "Known hypertensive")
    session.refresh_from_db()
    assert session.hold_cleared_at is None


def test_the_prescriber_of_the_clinic_clears_the_hold(world: Any) -> None:
    session = _on_hold(world)
    session = actions.do_clear_hold(
        actor(world.prescriber_a), session, True, "Known hypertensive, stable"
    )
    assert session.hold_cleared_by_id == world.prescriber_a.pk
    assert not actions.dosing_blockers(session)


def _age(session: TreatmentSession, minutes: int) -> None:
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=session.observation_started_at - timedelta(minutes=minutes)
    )


def test_a_nurse_cannot_override_a_discharge_refusal_whatever_the_caller_says(
    world: Any,
) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    _age(session, 130)
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL | {"cadss6": 3})
    with pytest.raises(ActionError) as err:
        actions.do_discharge(
            actor(world.nurse_a),
            session,
            escort_confirmed=True,
            override_reason="Residual CADSS 3, escort present.",
            may_override=True,
        )
    assert err.value.field == "override_reason"
    session.refresh_from_db()
    assert session.status != SessionStatus.DISCHARGED
