"""Nurse review: what the clock alone changes at the chair.

- A patient whose every discharge criterion was met before the minimum observation time is fit
  to leave the moment the minimum passes. The board must say "Ready for discharge" then (the
  watch pass judges again), not at the next reading, and `ready_at` ("ready to leave from" on
  the printed sheet) is that moment — not the time someone happened to press "Discharge".
- "Vitals overdue" acknowledged without a blood pressure taken must not silence the interval
  for the rest of the session: once another interval passes with no BP, a new alert is raised.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, SessionStatus, TreatmentSession
from ketacare.treatments.overdue import raise_overdue_vitals
from ketacare.treatments.views_board import board_rows
from tests.treatments.session_helpers import NORMAL, actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def _monitored(world: Any) -> TreatmentSession:
    """An IV session whose infusion has ended: the observation clock (120 min) runs."""
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    return actions.do_end_infusion(actor(nurse), infused(session))


def _all_met_at(world: Any, session: TreatmentSession, minute: int) -> Any:
    """Every criterion but the clock met at `minute` of observation (the pre-discharge window
    opens at 90): a normal reading with both scores."""
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=minute), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING  # the clock is not there yet
    return start


def test_the_watch_pass_marks_a_patient_ready_when_the_minimum_passes(world: Any) -> None:
    session = _monitored(world)
    start = _all_met_at(world, session, 110)
    # 122 minutes: within the 15-minute interval of the 110-minute BP, so no overdue alert.
    now = start + timedelta(minutes=122)
    assert not board_rows(session.clinic, now)[0].ready  # nothing has judged it yet
    assert raise_overdue_vitals(now) == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.READY
    # Ready from the minute the 120 minutes were reached, not from this pass at 122.
    assert session.ready_at == start + timedelta(minutes=120)
    assert board_rows(session.clinic, now)[0].ready
    entry = AuditEntry.objects.get(action="treatments.session.marked_ready")
    assert entry.object_id == str(session.pk)
    # A later pass has nothing to do.
    assert raise_overdue_vitals(now + timedelta(seconds=30)) == 0


def test_the_watch_pass_leaves_a_patient_not_yet_fit_in_monitoring(world: Any) -> None:
    session = _monitored(world)
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=110), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, {**NORMAL, "moaas": 3, "cadss6": 6})
    assert raise_overdue_vitals(start + timedelta(minutes=122)) == 0
    session.refresh_from_db()
    assert session.status == SessionStatus.MONITORING
    assert session.ready_at is None


def test_discharge_records_when_the_patient_was_ready_not_when_discharged(
    world: Any,
) -> None:
    """No watch pass ran (a worker down): the discharge still records 120 min, not 124."""
    session = _monitored(world)
    start = _all_met_at(world, session, 110)
    with time_machine.travel(start + timedelta(minutes=124), tick=False):
        done = actions.do_discharge(actor(world.nurse_a), session, escort_confirmed=True)
    assert done.status == SessionStatus.DISCHARGED
    assert done.discharged_at == start + timedelta(minutes=124)
    assert done.ready_at == start + timedelta(minutes=120)


def test_a_reading_that_makes_the_patient_fit_is_the_ready_time(world: Any) -> None:
    """Not fit at 110 (still sedated); the reading at 125 that shows it resolved is the
    moment, not the 120-minute floor."""
    session = _monitored(world)
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=110), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, {**NORMAL, "moaas": 3})
    with time_machine.travel(start + timedelta(minutes=125), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    assert session.status == SessionStatus.READY
    assert session.ready_at == start + timedelta(minutes=125)


def test_an_acknowledgement_after_the_minimum_is_the_ready_time(world: Any) -> None:
    session = _monitored(world)
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=100), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, {**NORMAL, "spo2_pct": 90})
    with time_machine.travel(start + timedelta(minutes=110), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    alert = SessionAlert.objects.get(session=session, code="spo2_low")
    with time_machine.travel(start + timedelta(minutes=123), tick=False):
        actions.do_acknowledge_alert(actor(world.nurse_a), session, alert.pk, "repeat_5min")
    session.refresh_from_db()
    assert session.status == SessionStatus.READY
    assert session.ready_at == start + timedelta(minutes=123)


def _open_overdue(session: TreatmentSession) -> list[SessionAlert]:
    return list(
        SessionAlert.objects.filter(
            session=session, code="vitals_overdue", acknowledged_at__isnull=True
        )
    )


def _overdue_raised(session: TreatmentSession, at: Any) -> int:
    """Run the watch pass at `at`; how many "vitals overdue" alerts it raised."""
    before = SessionAlert.objects.filter(session=session, code="vitals_overdue").count()
    raise_overdue_vitals(at)
    return SessionAlert.objects.filter(session=session, code="vitals_overdue").count() - before


def test_an_overdue_alert_acknowledged_without_a_bp_comes_back_next_interval(
    world: Any,
) -> None:
    nurse = world.nurse_a
    session = _monitored(world)
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        actions.do_record_vitals(actor(nurse), session, NORMAL)
    due = start + timedelta(minutes=17)  # 15 min after the BP at 2
    assert _overdue_raised(session, start + timedelta(minutes=18)) == 1
    [first] = _open_overdue(session)
    assert first.due_at == due
    # While it is open, it stands for every missed interval: no second alert.
    assert _overdue_raised(session, start + timedelta(minutes=40)) == 0
    with time_machine.travel(start + timedelta(minutes=41), tick=False):
        actions.do_acknowledge_alert(
            actor(nurse), session, first.pk, "none_needed", "patient asleep, will recheck"
        )
    # Not at once after the acknowledgement (minute 32 of the schedule passed before it)...
    assert _overdue_raised(session, start + timedelta(minutes=45)) == 0
    # ...but at the next time on the schedule with still no BP (due + 30 = minute 47).
    assert _overdue_raised(session, start + timedelta(minutes=48)) == 1
    [second] = _open_overdue(session)
    assert second.due_at == due + timedelta(minutes=30)
    # It counts from when the vitals were first due.
    assert "(31 min late)" in second.message
    # Once; and a BP closes it.
    assert _overdue_raised(session, start + timedelta(minutes=49)) == 0
    with time_machine.travel(start + timedelta(minutes=50), tick=False):
        actions.do_record_vitals(actor(nurse), session, NORMAL)
    raise_overdue_vitals(start + timedelta(minutes=51))
    assert _open_overdue(session) == []
    assert SessionAlert.objects.filter(session=session, code="vitals_overdue").count() == 2


def test_the_pre_discharge_window_is_the_clinics_setting(world: Any) -> None:
    """How long before the minimum observation a BP, an SpO2 and the scores count as the
    pre-discharge ones is practice variation (clinical.md §10 [PRACTICE]): a clinic setting
    on /chairs/limits/, labelled so, that discharge and the page's timepoints both follow."""
    from ketacare.treatments.limits import SPEC_BY_NAME, defaults, do_set_limits
    from ketacare.treatments.state import current_readings, readiness, session_protocol
    from ketacare.treatments.views import sedation_timepoints

    spec = SPEC_BY_NAME["pre_discharge_window_min"]
    assert spec.default == 30 and spec.practice_variation
    do_set_limits(
        actor(world.admin_a), world.clinic_a, {**defaults(), "pre_discharge_window_min": 15}
    )
    session = _monitored(world)  # the pre-dose checks took the clinic's limits
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=100), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    now = start + timedelta(minutes=121)
    session.refresh_from_db()
    decision = readiness(session, now, escort=True)
    missing = " ".join(decision.missing)
    assert "No blood pressure since 105 min" in missing  # 30 min by default: 90, met at 100
    assert "No SpO2 since 105 min" in missing
    assert "not scored before discharge" in missing
    points = sedation_timepoints(session, session_protocol(session), current_readings(session), now)
    end = next(t for t in points if t.code == "pre_discharge")
    assert "From 105 min" in end.detail and end.status == "due"
    with time_machine.travel(start + timedelta(minutes=106), tick=False):
        actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    assert readiness(session, now, escort=True).allowed
