"""A high-risk flag blocks dosing in the action layer: that day whatever happens, and later
until a prescriber clears it with a documented reason (audited)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.clinical.crisis_rules import dosing_block
from ketacare.safety.crisis_actions import do_clear_dosing_block
from ketacare.safety.crisis_models import DosingBlock
from ketacare.safety.dosing_block import dosing_block_reasons
from ketacare.safety.models import RiskFlag
from ketacare.treatments import actions
from ketacare.treatments.models import SessionStatus
from tests.safety.crisis_helpers import actor, high_flag
from tests.treatments.session_helpers import appointment, checks_ok, phq9_today, ready_session

pytestmark = pytest.mark.django_db

LOT = {"lot_number": "LOT-1", "expiry": date(2099, 1, 1)}


def test_rule_blocks_the_day_itself_even_when_cleared() -> None:
    day = date(2026, 3, 2)
    assert not dosing_block(day, cleared=True, today=day).ok
    assert not dosing_block(day, cleared=False, today=day + timedelta(days=1)).ok
    assert dosing_block(day, cleared=True, today=day + timedelta(days=1)).ok


def _dose(world: Any, session: Any, calculate: bool = True) -> Any:
    given = actions.session_dose(session).dose_mg if calculate else "35"
    return actions.do_start_dose(actor(world.nurse_a), session, LOT | {"given_mg": given})


def test_nurse_cannot_dose_after_a_high_flag_and_can_after_clearance(world: Any) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False):
        high_flag(world.patient_a, world.nurse_a)
        flag = RiskFlag.objects.get()
        session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
        session = checks_ok(world.nurse_a, session)
        assert not session.checks_passed
        assert any("No crisis dosing block" in p for p in session.check_problems)
        row = session.checks.get(code="no_dosing_block")
        assert row.result == "no" and "blocked for the rest of" in row.note
        with pytest.raises(ActionError) as err:
            _dose(world, session, calculate=False)
        assert err.value.field == "checks"
        # A prescriber's clearance the same day still leaves that day blocked.
        block = DosingBlock.objects.get()
        with pytest.raises(ActionError, match="Only a prescriber"):
            do_clear_dosing_block(actor(world.nurse_a), block, "looks fine")
        assert dosing_block_reasons(world.patient_a)
    # The next day: still blocked until a prescriber clears it.
    RiskFlag.objects.filter(pk=flag.pk).update(status="acknowledged")  # escalation's part
    assert any("must clear" in r for r in dosing_block_reasons(world.patient_a))
    phq9_today(world.patient_a)
    appt = appointment(world.patient_a, session.plan, "Chair 2")
    session2 = actions.do_check_in(actor(world.nurse_a), world.clinic_a, world.patient_a, appt.pk)
    session2 = checks_ok(world.nurse_a, session2)
    assert any("must clear" in p for p in session2.check_problems)
    with pytest.raises(ActionError) as err:
        do_clear_dosing_block(actor(world.prescriber_a), block, "  ")
    assert err.value.field == "reason"
    do_clear_dosing_block(
        actor(world.prescriber_a), block, "Evaluated: C-SSRS low; safety plan in place."
    )
    entry = AuditEntry.objects.get(action="safety.dosing.cleared")
    assert entry.actor_id == world.prescriber_a.pk and "C-SSRS low" in entry.detail["reason"]
    with pytest.raises(ActionError, match="already cleared"):
        do_clear_dosing_block(actor(world.prescriber_a), block, "again")
    session2 = checks_ok(world.nurse_a, session2)
    assert session2.checks_passed, session2.check_problems
    assert _dose(world, session2).status in (SessionStatus.DOSING, SessionStatus.MONITORING)


def test_a_flag_raised_after_the_checks_stops_the_dose_at_the_gate(world: Any) -> None:
    session = checks_ok(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    assert session.checks_passed
    flag = high_flag(world.patient_a, world.nurse_a)
    RiskFlag.objects.filter(pk=flag.pk).update(status="acknowledged")
    with pytest.raises(ActionError, match="crisis dosing block"):
        _dose(world, session)


def test_blocks_of_another_patient_do_not_block(world: Any) -> None:
    high_flag(world.patient_b, world.clinician_b)
    assert dosing_block_reasons(world.patient_a) == []
    assert dosing_block_reasons(world.patient_b)
