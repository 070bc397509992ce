"""The dose given at the start of dosing: below the calculated dose with a real reason, above
it only by a prescriber, esketamine in the plan's devices and never above 84 mg; the dose
given then follows what was given (esketamine devices). Through the action and the page."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.models import DoseRecord, SessionStatus
from tests.treatments.session_helpers import actor, checks_ok, ready_session

pytestmark = pytest.mark.django_db

LOT = {"lot_number": "LOT-9", "expiry": date(2099, 1, 1)}
GOOD_REASON = "Nausea last session; lower dose agreed with the patient"


def _iv(world: Any) -> Any:
    return checks_ok(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )


def _esk(world: Any) -> Any:
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    return checks_ok(world.nurse_a, session)


def _refused(who: Any, session: Any, data: dict[str, Any]) -> ActionError:
    with pytest.raises(ActionError) as err:
        actions.do_start_dose(actor(who), session, LOT | data)
    assert not DoseRecord.objects.filter(session=session).exists()
    return err.value


def test_a_nurse_cannot_give_more_than_the_calculated_iv_dose(world: Any) -> None:
    session = _iv(world)
    err = _refused(world.nurse_a, session, {"given_mg": "350", "deviation_reason": "x"})
    assert err.field == "given_mg"
    assert err.message == (
        "350 mg is above the planned 35 mg: a prescriber must record a dose above the plan."
    )


def test_a_prescriber_may_give_more_with_a_reason(world: Any) -> None:
    session = _iv(world)
    err = _refused(world.prescriber_a, session, {"given_mg": "40", "deviation_reason": "x"})
    assert err.field == "deviation_reason" and "at least 2 words and 10 characters" in err.message
    session = actions.do_start_dose(
        actor(world.prescriber_a),
        session,
        LOT | {"given_mg": "40", "deviation_reason": "Partial response at 35 mg, titrating up"},
    )
    dose = session.dose
    assert dose.given_mg == Decimal(40) and dose.intended_mg == Decimal(40)
    entry = AuditEntry.objects.get(action="treatments.session.dose_started")
    assert entry.detail["above_plan"] is True and entry.detail["calculated_mg"] == "35.0"


def test_a_lower_dose_needs_a_meaningful_reason(world: Any) -> None:
    session = _iv(world)
    for reason in ("", "x", "tolerance"):
        err = _refused(world.nurse_a, session, {"given_mg": "30", "deviation_reason": reason})
        assert err.field == "deviation_reason"
        assert "calculated 35 mg" in err.message and "10 characters" in err.message
    session = actions.do_start_dose(
        actor(world.nurse_a), session, LOT | {"given_mg": "30", "deviation_reason": GOOD_REASON}
    )
    assert session.dose.given_mg == 30 and session.dose.deviation_reason == GOOD_REASON
    entry = AuditEntry.objects.get(action="treatments.session.dose_started")
    assert entry.detail["below_plan"] is True


def test_esketamine_140_mg_is_refused_for_everyone(world: Any) -> None:
    session = _esk(world)
    for who in (world.nurse_a, world.prescriber_a):
        err = _refused(who, session, {"given_mg": "140", "deviation_reason": GOOD_REASON})
        assert err.field == "given_mg" and "maximum of 84 mg" in err.message


def test_esketamine_doses_are_the_plans_devices(world: Any) -> None:
    session = _esk(world)
    err = _refused(world.nurse_a, session, {"given_mg": "28", "deviation_reason": GOOD_REASON})
    assert err.field == "given_mg" and "56 or 84 mg (2 or 3 devices" in err.message
    err = _refused(world.nurse_a, session, {"given_mg": "50", "deviation_reason": GOOD_REASON})
    assert err.field == "given_mg" and "whole number of 28 mg" in err.message
    # 84 mg over the planned 56 at the first session: nobody may (§5a).
    err = _refused(world.nurse_a, session, {"given_mg": "84", "deviation_reason": GOOD_REASON})
    assert "only after an initial 56 mg dose" in err.message
    err = _refused(world.prescriber_a, session, {"given_mg": "84", "deviation_reason": GOOD_REASON})
    assert "only after an initial 56 mg dose" in err.message


def _earlier_session(world: Any, session: Any, devices: int) -> Any:
    """`session` dosed with `devices` devices taken and discharged the day before; then a new
    session of the same plan, checked in and through its checks."""
    import time_machine
    from django.utils import timezone

    from ketacare.treatments.models import TreatmentSession
    from tests.treatments.session_helpers import appointment

    start = timezone.now() - timezone.timedelta(days=1)
    session = actions.do_start_dose(actor(world.nurse_a), session, LOT | {"given_mg": "56"})
    for n in range(devices):
        with time_machine.travel(start + timezone.timedelta(minutes=5 * n), tick=False):
            actions.do_record_device(actor(world.nurse_a), session)
    TreatmentSession.objects.filter(pk=session.pk).update(
        status=SessionStatus.DISCHARGED, dosing_started_at=start
    )
    appt = appointment(world.patient_a, session.plan, chair_name="Chair 2")
    later = actions.do_check_in(
        actor(world.nurse_a), world.patient_a.clinic, world.patient_a, appt.pk
    )
    return checks_ok(world.nurse_a, later)


def test_a_plan_dose_of_84_mg_still_starts_at_56_mg(world: Any) -> None:
    """The plan's own dose does not lift the label's start dose (§5a: 84 mg only after an
    initial 56 mg dose): the first session is calculated at 56 mg and 84 is refused."""
    session = _esk(world)
    plan = session.plan
    plan.dose_value = Decimal(84)
    plan.save(update_fields=["dose_value"])
    session.refresh_from_db()
    calc = actions.session_dose(session)
    assert calc.dose_mg == 56
    assert any("label's start dose 56 mg, not the plan's 84 mg" in f for f in calc.formula)
    assert any("84 mg may be given from the next session" in w for w in calc.warnings)
    for who in (world.nurse_a, world.prescriber_a):
        err = _refused(who, session, {"given_mg": "84", "deviation_reason": GOOD_REASON})
        assert err.field == "given_mg" and "only after an initial 56 mg dose" in err.message
    # At the next session the plan's 84 mg is the dose.
    later = _earlier_session(world, session, devices=2)
    assert actions.session_dose(later).dose_mg == 84
    later = actions.do_start_dose(actor(world.nurse_a), later, LOT | {"given_mg": "84"})
    assert later.dose.intended_mg == 84


def test_a_prescriber_may_give_84_mg_when_it_is_not_the_first_session(world: Any) -> None:
    session = _earlier_session(world, _esk(world), devices=2)
    plan = session.plan
    plan.dose_value = Decimal(56)
    plan.save(update_fields=["dose_value"])
    session.refresh_from_db()
    err = _refused(world.nurse_a, session, {"given_mg": "84", "deviation_reason": GOOD_REASON})
    assert err.field == "given_mg" and "above the planned 56 mg: a prescriber must" in err.message
    session = actions.do_start_dose(
        actor(world.prescriber_a),
        session,
        LOT | {"given_mg": "84", "deviation_reason": "Tolerated 56 mg well; no response yet"},
    )
    assert session.dose.devices_planned == 3 and session.dose.intended_mg == 84


def test_esketamine_goes_up_one_device_at_a_time(world: Any) -> None:
    """Only one device was taken last time (stopped at 28 mg): 84 mg now is two steps up."""
    session = _earlier_session(world, _esk(world), devices=1)
    err = _refused(world.prescriber_a, session, {"given_mg": "84", "deviation_reason": GOOD_REASON})
    assert err.field == "given_mg"
    assert "more than one 28 mg device above the 28 mg taken at the last session" in err.message
    session = actions.do_start_dose(actor(world.nurse_a), session, LOT | {"given_mg": "56"})
    assert session.dose.intended_mg == 56


def test_the_esketamine_dose_given_is_the_devices_taken(world: Any) -> None:
    import time_machine
    from django.utils import timezone

    session = _esk(world)
    session = actions.do_start_dose(actor(world.nurse_a), session, LOT | {"given_mg": "56"})
    dose = session.dose
    assert (dose.given_mg, dose.intended_mg, dose.devices_planned) == (0, 56, 2)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
    dose.refresh_from_db()
    assert dose.given_mg == 28 and dose.stopped_at is None
    with time_machine.travel(start + timezone.timedelta(minutes=5), tick=False):
        actions.do_record_device(actor(world.nurse_a), session)
    dose.refresh_from_db()
    session.refresh_from_db()
    assert dose.given_mg == 56 and dose.stopped_at is not None
    assert session.status == SessionStatus.MONITORING


def test_the_page_names_the_dose_field_when_a_nurse_goes_above_the_plan(
    world: Any, as_user: Any
) -> None:
    session = _iv(world)
    nurse = as_user(world.nurse_a)
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/dose/"
    response = nurse.post(
        url,
        {
            "lot_number": "LOT-9",
            "expiry": "2099-01-01",
            "given_mg": "350",
            "deviation_reason": "x",
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="given_mg"' in body
    assert "above the planned 35 mg: a prescriber must record a dose above the plan" in body
    assert not DoseRecord.objects.filter(session=session).exists()
