"""The watch pass: "vitals overdue" alerts and escalation of unacknowledged alerts.

Both are claimed in the database (a unique constraint; a conditional UPDATE … WHERE
escalated_at IS NULL), so two workers racing, or a pass repeated after a restart, act once.
Time is frozen with time-machine; nothing here measures time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.core.watch import WATCHERS, run_watch_pass
from ketacare.notify.models import NotificationLog
from ketacare.scheduling.models import StaffHours
from ketacare.treatments import actions
from ketacare.treatments.escalation import escalate_unacknowledged, prescriber_on_duty
from ketacare.treatments.limits import defaults, do_set_limits
from ketacare.treatments.models import SessionAlert, StaffNotice
from ketacare.treatments.overdue import raise_overdue_vitals
from tests.conftest import make_staff
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def _iv_monitoring(world: Any) -> Any:
    """An IV session whose infusion has ended: vitals every 15 min (protocol profile)."""
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    return actions.do_end_infusion(actor(world.nurse_a), infused(session))


def test_both_watchers_are_registered() -> None:
    assert "ketacare.treatments.overdue.raise_overdue_vitals" in WATCHERS
    assert "ketacare.treatments.escalation.escalate_unacknowledged" in WATCHERS


def test_overdue_alert_raised_once_after_the_interval(world: Any) -> None:
    session = _iv_monitoring(world)
    start = session.observation_started_at
    assert raise_overdue_vitals(start + timedelta(minutes=14)) == 0
    later = start + timedelta(minutes=16)
    assert raise_overdue_vitals(later) == 1
    # A second worker, or the next pass: nothing new.
    assert raise_overdue_vitals(later) == 0
    assert raise_overdue_vitals(later + timedelta(minutes=1)) == 0
    alert = SessionAlert.objects.get(session=session, code="vitals_overdue")
    assert alert.due_at == start + timedelta(minutes=15)
    assert alert.is_open
    assert (
        AuditEntry.objects.filter(
            action="treatments.session.vitals_overdue", object_id=str(session.pk)
        ).count()
        == 1
    )


def test_overdue_shows_on_the_board(world: Any, as_user: Any) -> None:
    session = _iv_monitoring(world)
    with time_machine.travel(session.observation_started_at + timedelta(minutes=20), tick=False):
        raise_overdue_vitals()
        html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert "Vitals overdue" in html and "ts-overdue" in html


def test_a_reading_answers_the_overdue_alert_and_resets_the_clock(world: Any) -> None:
    session = _iv_monitoring(world)
    start = session.observation_started_at
    raise_overdue_vitals(start + timedelta(minutes=16))
    with time_machine.travel(start + timedelta(minutes=17), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 120, "diastolic_mmhg": 80}
        )
    assert raise_overdue_vitals(start + timedelta(minutes=18)) == 1  # closed, none raised
    alert = SessionAlert.objects.get(session=session, code="vitals_overdue")
    assert not alert.is_open and "Answered by the reading" in alert.note
    # The next one is due 15 min after that reading.
    assert raise_overdue_vitals(start + timedelta(minutes=31)) == 0
    assert raise_overdue_vitals(start + timedelta(minutes=33)) == 1
    assert SessionAlert.objects.filter(session=session, code="vitals_overdue").count() == 2


def _esketamine_dosed(world: Any) -> Any:
    """An esketamine session, first device given at `observation_started_at`."""
    session = dosed(
        world.nurse_a,
        ready_session(world.prescriber_a, world.nurse_a, world.patient_a, "esketamine_nasal"),
    )
    actions.do_record_device(actor(world.nurse_a), session)
    session.refresh_from_db()
    return session


def test_esketamine_40_minute_bp_is_raised_when_missed_and_closed_by_a_bp(
    world: Any, as_user: Any
) -> None:
    """The label times BP at ~40 min instead of an interval (clinical.md §6b): no interval
    alert, but a missed 40-minute BP is an alert, on the board, answered only by a BP."""
    session = _esketamine_dosed(world)
    start = session.observation_started_at
    assert raise_overdue_vitals(start + timedelta(minutes=39)) == 0
    assert raise_overdue_vitals(start + timedelta(minutes=41)) == 1
    assert raise_overdue_vitals(start + timedelta(minutes=42)) == 0  # once
    alert = SessionAlert.objects.get(session=session, code="bp_check_overdue")
    assert alert.due_at == start + timedelta(minutes=40) and alert.is_open
    assert "BP check overdue" in alert.message
    assert not SessionAlert.objects.filter(session=session, code="vitals_overdue").exists()
    with time_machine.travel(start + timedelta(minutes=43), tick=False):
        html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
        assert "BP check overdue" in html and "ts-overdue" in html
        actions.do_record_vitals(actor(world.nurse_a), session, {"spo2_pct": 97})
    assert raise_overdue_vitals(start + timedelta(minutes=44)) == 0  # SpO2 is not a BP
    assert SessionAlert.objects.get(pk=alert.pk).is_open
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 132, "diastolic_mmhg": 84}
        )
    assert raise_overdue_vitals(start + timedelta(minutes=46)) == 1  # closed
    assert not SessionAlert.objects.get(pk=alert.pk).is_open
    # "Then as clinically warranted": nothing more is due unless the clinic sets an interval.
    assert raise_overdue_vitals(start + timedelta(hours=2)) == 0
    assert AuditEntry.objects.filter(action="treatments.session.bp_check_overdue").count() == 1


def test_a_bp_shortly_before_40_minutes_counts(world: Any, as_user: Any) -> None:
    session = _esketamine_dosed(world)
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=33), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 128, "diastolic_mmhg": 82}
        )
    with time_machine.travel(start + timedelta(minutes=35), tick=False):
        html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert "next vitals" not in html  # answered; nothing timed after it
    assert raise_overdue_vitals(start + timedelta(minutes=50)) == 0


def test_the_board_shows_the_40_minute_bp_as_next_vitals(world: Any, as_user: Any) -> None:
    session = _esketamine_dosed(world)
    due = timezone.localtime(session.observation_started_at + timedelta(minutes=40))
    with time_machine.travel(session.observation_started_at + timedelta(minutes=5), tick=False):
        html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert f'next vitals <span class="">{due:%H:%M}' in html


def test_the_clinic_interval_caps_the_protocol_interval(world: Any) -> None:
    do_set_limits(actor(world.admin_a), world.clinic_a, defaults() | {"vitals_interval_min": 5})
    session = _iv_monitoring(world)
    assert raise_overdue_vitals(session.observation_started_at + timedelta(minutes=6)) == 1


def test_no_overdue_for_a_closed_session(world: Any) -> None:
    session = _iv_monitoring(world)
    actions.do_transfer_out(actor(world.nurse_a), session, "Chest pain: to the ED by ambulance.")
    assert raise_overdue_vitals(session.observation_started_at + timedelta(hours=1)) == 0


def _hr_alert(world: Any) -> tuple[Any, SessionAlert]:
    session = _iv_monitoring(world)
    actions.do_record_vitals(actor(world.nurse_a), session, {"heart_rate_bpm": 131})
    return session, SessionAlert.objects.get(session=session)


def test_escalation_after_the_clinic_minutes_exactly_once(world: Any) -> None:
    _session, alert = _hr_alert(world)
    assert escalate_unacknowledged(alert.raised_at + timedelta(minutes=4)) == 0
    when = alert.raised_at + timedelta(minutes=6)
    assert escalate_unacknowledged(when) == 1
    assert escalate_unacknowledged(when) == 0  # a second worker / the next pass
    assert escalate_unacknowledged(when + timedelta(minutes=30)) == 0
    alert.refresh_from_db()
    assert alert.escalated_at == when and alert.escalated_to == world.prescriber_a
    notice = StaffNotice.objects.get(alert=alert)
    assert notice.user == world.prescriber_a and "not acknowledged for 6 min" in notice.message
    log = NotificationLog.objects.get(purpose="treatments.alert_escalated")
    assert log.to == world.prescriber_a.email
    assert world.patient_a.legal_family_name not in log.body  # no patient details by email
    entry = AuditEntry.objects.get(action="treatments.alert.escalated")
    assert entry.detail["alert"] == alert.pk and entry.detail["to"] == world.prescriber_a.pk


def test_an_acknowledged_alert_is_never_escalated(world: Any) -> None:
    session, alert = _hr_alert(world)
    actions.do_acknowledge_alert(actor(world.nurse_a), session, alert.pk, "repeat_5min")
    assert escalate_unacknowledged(alert.raised_at + timedelta(hours=1)) == 0
    assert not StaffNotice.objects.exists()


def test_the_clinic_setting_sets_the_minutes(world: Any) -> None:
    do_set_limits(actor(world.admin_a), world.clinic_a, defaults() | {"escalation_min": 15})
    _session, alert = _hr_alert(world)  # limits snapshotted at the checks: 15
    assert escalate_unacknowledged(alert.raised_at + timedelta(minutes=10)) == 0
    assert escalate_unacknowledged(alert.raised_at + timedelta(minutes=16)) == 1


def test_two_watchers_racing_claim_once(world: Any) -> None:
    """Both read the alert as unescalated; only the conditional UPDATE decides."""
    from ketacare.treatments import escalation

    _session, alert = _hr_alert(world)
    when = alert.raised_at + timedelta(minutes=10)
    stale = SessionAlert.objects.select_related(
        "session__clinic", "session__plan", "session__appointment__resource"
    ).get(pk=alert.pk)
    assert escalation._escalate(stale, stale.session, 5, when) is True
    # The second watcher still holds its stale copy (escalated_at None) and tries too.
    assert stale.escalated_at is None
    assert escalation._escalate(stale, stale.session, 5, when) is False
    assert StaffNotice.objects.filter(alert=alert).count() == 1
    assert NotificationLog.objects.filter(purpose="treatments.alert_escalated").count() == 1


def test_a_crash_before_commit_escalates_on_the_next_pass(world: Any, monkeypatch: Any) -> None:
    from ketacare.treatments import escalation

    _session, alert = _hr_alert(world)
    when = alert.raised_at + timedelta(minutes=10)

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("worker died")

    monkeypatch.setattr(escalation, "_queue_email", boom)
    with pytest.raises(RuntimeError):
        escalate_unacknowledged(when)
    alert.refresh_from_db()
    assert alert.escalated_at is None and not StaffNotice.objects.exists()  # rolled back
    monkeypatch.undo()
    assert escalate_unacknowledged(when + timedelta(minutes=1)) == 1


def test_run_watch_pass_does_both(world: Any) -> None:
    _session, alert = _hr_alert(world)
    done = run_watch_pass(alert.raised_at + timedelta(minutes=30))
    assert done["ketacare.treatments.escalation.escalate_unacknowledged"] == 1
    assert done["ketacare.treatments.overdue.raise_overdue_vitals"] == 1


@time_machine.travel("2026-03-04 15:00:00+00:00", tick=False)  # Wednesday 10:00 in New York
def test_the_prescriber_on_duty_is_preferred(world: Any) -> None:
    from datetime import time
    from decimal import Decimal

    from ketacare.patients.models import BodyMeasurement

    BodyMeasurement.objects.create(patient=world.patient_a, weight_kg=Decimal("70.0"))
    session, _ = _hr_alert(world)
    other = make_staff(world.clinic_a, "prescriber", "second@a.test", "Sam Second")
    now = timezone.now()
    # Nobody on the hours: the plan's prescriber.
    assert prescriber_on_duty(session, now) == world.prescriber_a
    StaffHours.objects.create(
        clinic=world.clinic_a, user=other, weekday=2, starts=time(9), ends=time(17)
    )
    assert prescriber_on_duty(session, now) == other
    # Off those hours again: back to the plan's prescriber.
    assert prescriber_on_duty(session, now + timedelta(hours=8)) == world.prescriber_a
    # The plan's prescriber on the hours too: preferred over the other.
    StaffHours.objects.create(
        clinic=world.clinic_a, user=world.prescriber_a, weekday=2, starts=time(8), ends=time(12)
    )
    assert prescriber_on_duty(session, now) == world.prescriber_a


def test_notices_page_is_per_user_and_clinic(world: Any, as_user: Any) -> None:
    _session, alert = _hr_alert(world)
    escalate_unacknowledged(alert.raised_at + timedelta(minutes=10))
    notice = StaffNotice.objects.get()
    page = as_user(world.prescriber_a).get("/chairs/notices/").content.decode()
    assert f"notice-{notice.pk}" in page
    assert (
        f"notice-{notice.pk}" not in as_user(world.nurse_a).get("/chairs/notices/").content.decode()
    )
    url = f"/chairs/notices/{notice.pk}/read/"
    assert as_user(world.clinician_b).post(url).status_code == 404
    assert as_user(world.nurse_a).post(url).status_code == 404
    assert as_user(world.prescriber_a).post(url).status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_the_clinic_sets_how_early_a_bp_answers_the_timed_check(world: Any) -> None:
    """How early a BP counts is practice variation: a clinic setting (default 10 min)."""
    do_set_limits(actor(world.admin_a), world.clinic_a, defaults() | {"bp_check_early_min": 0})
    session = _esketamine_dosed(world)
    start = session.observation_started_at
    with time_machine.travel(start + timedelta(minutes=33), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 128, "diastolic_mmhg": 82}
        )
    assert raise_overdue_vitals(start + timedelta(minutes=41)) == 1  # 33 min is too early now
    with time_machine.travel(start + timedelta(minutes=42), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 126, "diastolic_mmhg": 80}
        )
    assert raise_overdue_vitals(start + timedelta(minutes=43)) == 1  # answered and closed
    assert not SessionAlert.objects.get(code="bp_check_overdue").is_open


def test_an_alert_acknowledged_repeat_in_5_minutes_makes_the_repeat_the_next_vitals(
    world: Any, as_user: Any
) -> None:
    """clinical.md §9: out of range → repeat in 5 min. The board's next vitals is that
    repeat, not the protocol interval, until a BP taken after the high one answers it."""
    session = _iv_monitoring(world)
    start = session.observation_started_at
    high_at = start + timedelta(minutes=2)
    with time_machine.travel(high_at, tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 186, "diastolic_mmhg": 112}
        )
        for alert in SessionAlert.objects.filter(session=session):  # the BP and its rise
            actions.do_acknowledge_alert(
                actor(world.nurse_a), session, alert.pk, "repeat_5min", "Patient calm, repeating."
            )
    repeat = timezone.localtime(high_at + timedelta(minutes=5))
    with time_machine.travel(high_at + timedelta(minutes=1), tick=False):
        html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
        page = (
            as_user(world.nurse_a)
            .get(f"/patients/{session.patient_id}/sessions/{session.pk}/")
            .content.decode()
        )
    assert f'next vitals <span class="">{repeat:%H:%M}' in html
    assert f"{repeat:%H:%M}" in page
    # Six minutes on, the repeat is overdue on the board.
    with time_machine.travel(high_at + timedelta(minutes=6), tick=False):
        html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert f'next vitals <span class="ts-overdue">{repeat:%H:%M} overdue' in html
    # The repeat answers it: the protocol interval applies again.
    with time_machine.travel(high_at + timedelta(minutes=5), tick=False):
        actions.do_record_vitals(
            actor(world.nurse_a), session, {"systolic_mmhg": 150, "diastolic_mmhg": 90}
        )
    with time_machine.travel(high_at + timedelta(minutes=6), tick=False):
        html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert f'next vitals <span class="">{repeat:%H:%M}' not in html
