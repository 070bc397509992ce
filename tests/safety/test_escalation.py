"""Escalation of risk flags, step by step, with frozen time (issue #7 item 3)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine

from ketacare.accounts.actions import ActionError
from ketacare.accounts.models import Role
from ketacare.core.watch import WATCHERS, run_watch_pass
from ketacare.notify.models import NotificationLog
from ketacare.safety import escalation
from ketacare.safety.escalation import claim_and_advance, do_acknowledge, escalate_due
from ketacare.safety.escalation_models import (
    EscalationEvent,
    EscalationState,
    FlagEscalation,
    StaffNotification,
)
from ketacare.safety.models import RiskFlag
from tests.conftest import make_staff
from tests.safety.helpers import (
    SYSTEM,
    make_prescriber_of,
    on_call_all_week,
    raise_flag,
    set_director,
    set_list,
    set_mobile,
    utc,
)

pytestmark = pytest.mark.django_db

# A Tuesday, 14:00 in New York (the clinic's zone).
T0 = utc("2026-03-03 19:00:00+00:00")


def _people(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    on_call_all_week(world.clinic_a, world.nurse_a)
    # Only roles that may acknowledge a flag are paged: the second on the list is a nurse.
    set_list(world.clinic_a, world.therapist_a, make_staff(world.clinic_a, Role.NURSE, "n2@a.test"))
    set_director(world.clinic_a, world.director_a)
    set_mobile(world.prescriber_a, "+15550100001")


def _people_of_clinic_b(world: Any) -> None:
    make_prescriber_of(world.patient_b, world.clinician_b)
    set_list(world.clinic_b, make_staff(world.clinic_b, Role.NURSE, "nurse@b.test"))


def _break_for(monkeypatch: Any, name: str, bad: RiskFlag) -> None:
    """Make escalation.<name> raise whenever it is handed `bad` (a data problem in one flag);
    every other flag goes through the real function."""
    real: Callable[..., Any] = getattr(escalation, name)

    def broken(*args: Any, **kwargs: Any) -> Any:
        if any(isinstance(a, RiskFlag) and a.pk == bad.pk for a in (*args, *kwargs.values())):
            raise RuntimeError(f"bad data in flag {bad.pk}")
        return real(*args, **kwargs)

    monkeypatch.setattr(escalation, name, broken)


def _logged_failures(caplog: Any) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "ketacare.safety" and r.levelno == logging.ERROR and r.exc_info
    ]


def _told(flag: RiskFlag) -> list[tuple[str, str]]:
    return [
        (e.kind, e.recipient.email)
        for e in EscalationEvent.objects.filter(flag=flag, recipient__isnull=False)
    ]


def test_the_watcher_is_registered() -> None:
    assert "ketacare.safety.escalation.escalate_due" in WATCHERS


@time_machine.travel(T0, tick=False)
def test_a_new_flag_tells_the_prescriber_and_on_call_at_once(world: Any) -> None:
    _people(world)
    flag = raise_flag(world.patient_a)
    assert _told(flag) == [
        ("notified", "prescriber@a.test"),
        ("notified", "nurse@a.test"),
    ]
    kinds = list(EscalationEvent.objects.filter(flag=flag).values_list("kind", flat=True))
    assert kinds[0] == "raised"
    notes = StaffNotification.objects.filter(flag=flag)
    assert {n.user.email for n in notes} == {"prescriber@a.test", "nurse@a.test"}
    logs = NotificationLog.objects.filter(reference=f"riskflag:{flag.pk}")
    assert sorted((log.channel, log.to) for log in logs) == [
        ("email", "nurse@a.test"),
        ("email", "prescriber@a.test"),
        ("sms", "+15550100001"),
    ]
    assert all(world.patient_a.legal_family_name not in log.body for log in logs)
    state = FlagEscalation.objects.get(flag=flag)
    assert state.step == 1 and state.due_at == T0 + timedelta(minutes=15)


def test_high_flag_climbs_the_list_then_the_director(world: Any) -> None:
    _people(world)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    with time_machine.travel(T0 + timedelta(minutes=14, seconds=59), tick=False):
        assert escalate_due() == 0
    expected = [
        ("notified", "prescriber@a.test"),
        ("notified", "nurse@a.test"),
    ]
    for minutes, email in [(15, "therapist@a.test"), (30, "n2@a.test"), (45, "director@a.test")]:
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            assert run_watch_pass()["ketacare.safety.escalation.escalate_due"] == 1
        expected.append(("escalated", email))
        assert _told(flag) == expected
    with time_machine.travel(T0 + timedelta(minutes=60), tick=False):
        escalate_due()
    state = FlagEscalation.objects.get(flag=flag)
    assert state.state == EscalationState.EXHAUSTED
    assert RiskFlag.objects.get(pk=flag.pk).status == "open"  # still on every banner
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        assert escalate_due() == 0


def test_people_already_told_are_skipped_on_the_list(world: Any) -> None:
    _people(world)
    EscalationEvent.objects.all().delete()
    from ketacare.safety.escalation_models import EscalationContact

    EscalationContact.objects.filter(clinic=world.clinic_a).delete()
    set_list(world.clinic_a, world.nurse_a, world.therapist_a)  # the on-call nurse comes first
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        escalate_due()
    assert _told(flag)[-1] == ("escalated", "therapist@a.test")


def test_moderate_waits_four_hours(world: Any) -> None:
    _people(world)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a, level="moderate")
    assert FlagEscalation.objects.get(flag=flag).due_at == T0 + timedelta(hours=4)
    with time_machine.travel(T0 + timedelta(hours=3, minutes=59), tick=False):
        assert escalate_due() == 0
    with time_machine.travel(T0 + timedelta(hours=4), tick=False):
        assert escalate_due() == 1
    assert _told(flag)[-1] == ("escalated", "therapist@a.test")


def test_low_waits_for_the_next_business_morning_in_clinic_time(world: Any) -> None:
    _people(world)
    friday_evening = utc("2026-03-06 22:00:00+00:00")  # Friday 17:00 in New York
    with time_machine.travel(friday_evening, tick=False):
        flag = raise_flag(world.patient_a, level="low")
    monday_nine = utc("2026-03-09 13:00:00+00:00")  # Monday 09:00 EDT (DST began Mar 8)
    assert FlagEscalation.objects.get(flag=flag).due_at == monday_nine


def test_clinic_settings_change_the_timing(world: Any) -> None:
    _people(world)
    set_director(world.clinic_a, world.director_a, high_minutes=5)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    assert FlagEscalation.objects.get(flag=flag).due_at == T0 + timedelta(minutes=5)


def test_nobody_on_file_goes_straight_to_the_director(world: Any) -> None:
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    kinds = list(EscalationEvent.objects.filter(flag=flag).values_list("kind", flat=True))
    assert kinds == ["raised", "nobody", "escalated"]
    assert _told(flag) == [("escalated", "director@a.test")]


@time_machine.travel(T0, tick=False)
def test_acknowledging_stops_escalation_and_needs_an_action(world: Any) -> None:
    _people(world)
    flag = raise_flag(world.patient_a)
    with pytest.raises(ActionError) as missing_action:
        do_acknowledge(SYSTEM, world.prescriber_a, flag, "", "called")
    assert missing_action.value.field == "action"
    with pytest.raises(ActionError) as missing_note:
        do_acknowledge(SYSTEM, world.prescriber_a, flag, "called_patient", "   ")
    assert missing_note.value.field == "note"
    # "ok" documents nothing: a few words, as every reason that closes a safety step.
    with pytest.raises(ActionError) as terse:
        do_acknowledge(SYSTEM, world.prescriber_a, flag, "called_patient", "ok")
    assert terse.value.field == "note" and "at least 2 words and 10 characters" in (
        terse.value.message
    )
    assert RiskFlag.objects.get(pk=flag.pk).status == "open"
    do_acknowledge(SYSTEM, world.prescriber_a, flag, "called_patient", "Spoke at 14:05, safe.")
    flag.refresh_from_db()
    assert flag.status == "acknowledged" and flag.acknowledged_by == world.prescriber_a
    assert flag.action_taken == "Called the patient: Spoke at 14:05, safe."
    assert not StaffNotification.objects.filter(flag=flag, read_at__isnull=True).exists()
    with pytest.raises(ActionError) as twice:
        do_acknowledge(SYSTEM, world.nurse_a, flag, "other", "Called her too, safe.")
    assert twice.value.field == "flag"
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        assert escalate_due() == 0
    assert FlagEscalation.objects.get(flag=flag).state == EscalationState.ACKNOWLEDGED


def test_flag_raised_while_the_worker_was_down_escalates_when_it_starts(world: Any) -> None:
    _people(world)
    with time_machine.travel(T0, tick=False):
        # Written without the signal (as if the receiver had failed): no escalation row yet.
        orphan = RiskFlag.objects.create(
            patient=world.patient_a, level="high", source="manual", reason="x"
        )
        flag = raise_flag(world.patient_a)
    assert not FlagEscalation.objects.filter(flag=orphan).exists()
    # The worker comes back two hours later.
    later = T0 + timedelta(hours=2)
    with time_machine.travel(later, tick=False):
        assert escalate_due() == 2
    assert _told(orphan)[:2] == [
        ("notified", "prescriber@a.test"),
        ("notified", "nurse@a.test"),
    ]
    assert _told(flag)[-1] == ("escalated", "therapist@a.test")
    # It carries on from there at the normal pace, not in a burst.
    assert FlagEscalation.objects.get(flag=flag).due_at == later + timedelta(minutes=15)


def test_a_failing_receiver_never_loses_the_flag(world: Any, monkeypatch: Any) -> None:
    _people(world)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(escalation, "start_escalation", broken)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    assert RiskFlag.objects.filter(pk=flag.pk).exists()
    monkeypatch.undo()
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        assert escalate_due() == 1
    assert FlagEscalation.objects.get(flag=flag).step == 1


def test_a_stale_claim_from_a_second_worker_pages_nobody(world: Any) -> None:
    _people(world)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
    state = FlagEscalation.objects.get(flag=flag)
    seen = (state.pk, state.step, state.due_at)  # both workers read the same due row
    now = T0 + timedelta(minutes=15)
    assert claim_and_advance(*seen, now) is True
    before = (EscalationEvent.objects.count(), NotificationLog.objects.count())
    assert claim_and_advance(*seen, now) is False
    assert (EscalationEvent.objects.count(), NotificationLog.objects.count()) == before
    assert [k for k, _ in _told(flag)].count("escalated") == 1


def test_a_failing_text_gateway_keeps_the_flag_and_shows_the_failure(
    world: Any, settings: Any
) -> None:
    from ketacare.notify.delivery import deliver

    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.FailingSmsBackend"
    _people(world)
    with time_machine.travel(T0, tick=False):
        flag = raise_flag(world.patient_a)
        sms = NotificationLog.objects.get(reference=f"riskflag:{flag.pk}", channel="sms")
        deliver(sms.pk)
    sms.refresh_from_db()
    assert sms.status == "failed" and "gateway unreachable" in sms.error
    assert sms.next_attempt_at == T0 + timedelta(minutes=1)  # retried with backoff
    assert RiskFlag.objects.get(pk=flag.pk).status == "open"


# start_escalation itself raising, or a failure halfway through it (after the escalation row
# and the "raised" event were written): either way that flag stays an orphan, untouched.
@pytest.mark.parametrize("broken_part", ["start_escalation", "targets_for_step"])
def test_a_flag_that_cannot_start_does_not_hold_up_another_clinics_escalation(
    world: Any, monkeypatch: Any, caplog: Any, broken_part: str
) -> None:
    _people(world)
    _people_of_clinic_b(world)
    with time_machine.travel(T0, tick=False):
        other_clinic = raise_flag(world.patient_b)
        # Two flags written without the signal; the first one (tried first) has bad data.
        bad = RiskFlag.objects.create(patient=world.patient_a, level="high", source="manual")
        fine = RiskFlag.objects.create(patient=world.patient_a, level="high", source="manual")
    _break_for(monkeypatch, broken_part, bad)
    with (
        time_machine.travel(T0 + timedelta(minutes=15), tick=False),
        caplog.at_level(logging.ERROR, logger="ketacare.safety"),
    ):
        assert run_watch_pass()["ketacare.safety.escalation.escalate_due"] == 2
    assert _told(other_clinic)[-1] == ("escalated", "nurse@b.test")
    assert FlagEscalation.objects.get(flag=fine).step == 1
    assert not FlagEscalation.objects.filter(flag=bad).exists()
    assert not EscalationEvent.objects.filter(flag=bad).exists()
    assert not NotificationLog.objects.filter(reference=f"riskflag:{bad.pk}").exists()
    [failure] = _logged_failures(caplog)
    assert f"flag {bad.pk} could not start" in failure.getMessage()
    # Fixed (or the clinic's data corrected): the next pass starts it.
    monkeypatch.undo()
    with time_machine.travel(T0 + timedelta(minutes=15, seconds=30), tick=False):
        assert escalate_due() == 1
    assert FlagEscalation.objects.get(flag=bad).step == 1
    assert _told(bad) == [("notified", "prescriber@a.test"), ("notified", "nurse@a.test")]


def test_an_escalation_that_cannot_advance_does_not_hold_up_the_others(
    world: Any, monkeypatch: Any, caplog: Any
) -> None:
    _people(world)
    _people_of_clinic_b(world)
    with time_machine.travel(T0 - timedelta(minutes=1), tick=False):
        stuck = raise_flag(world.patient_a)  # due first, so tried first
    with time_machine.travel(T0, tick=False):
        same_clinic = raise_flag(world.patient_a)
        other_clinic = raise_flag(world.patient_b)
    sent_for_stuck = NotificationLog.objects.filter(reference=f"riskflag:{stuck.pk}").count()
    _break_for(monkeypatch, "_advance", stuck)
    with (
        time_machine.travel(T0 + timedelta(minutes=15), tick=False),
        caplog.at_level(logging.ERROR, logger="ketacare.safety"),
    ):
        assert escalate_due() == 2
    assert _told(same_clinic)[-1] == ("escalated", "therapist@a.test")
    assert _told(other_clinic)[-1] == ("escalated", "nurse@b.test")
    # The claim was rolled back with the failure: nobody paged, still due at the same step.
    state = FlagEscalation.objects.get(flag=stuck)
    assert (state.step, state.due_at, state.state) == (
        1,
        T0 + timedelta(minutes=14),
        EscalationState.ACTIVE,
    )
    assert [kind for kind, _ in _told(stuck)] == ["notified", "notified"]
    assert NotificationLog.objects.filter(reference=f"riskflag:{stuck.pk}").count() == (
        sent_for_stuck
    )
    [failure] = _logged_failures(caplog)
    assert f"flag {stuck.pk} could not move past step 1" in failure.getMessage()
    monkeypatch.undo()
    with time_machine.travel(T0 + timedelta(minutes=15, seconds=30), tick=False):
        assert escalate_due() == 1
    assert _told(stuck)[-1] == ("escalated", "therapist@a.test")
    assert FlagEscalation.objects.get(flag=stuck).step == 2


def test_a_high_flag_raised_just_before_the_clocks_go_back_waits_fifteen_minutes(
    world: Any,
) -> None:
    _people(world)
    raised = utc("2025-11-02 05:50:00+00:00")  # 01:50 EDT; ten minutes later it is 01:00 EST
    with time_machine.travel(raised, tick=False):
        flag = raise_flag(world.patient_a)
    assert FlagEscalation.objects.get(flag=flag).due_at == raised + timedelta(minutes=15)
    with time_machine.travel(raised + timedelta(minutes=14), tick=False):
        assert escalate_due() == 0
    with time_machine.travel(raised + timedelta(minutes=15), tick=False):
        assert escalate_due() == 1
    assert _told(flag)[-1] == ("escalated", "therapist@a.test")


def test_failing_flags_filling_a_whole_page_do_not_starve_the_flags_behind_them(
    world: Any, monkeypatch: Any, caplog: Any
) -> None:
    """A pass reads flags BATCH at a time and pages on: with one row per page, a failing
    orphan and a failing due escalation at the head of the queue still let the next ones go."""
    _people(world)
    monkeypatch.setattr(escalation, "BATCH", 1)
    with time_machine.travel(T0 - timedelta(minutes=1), tick=False):
        stuck = raise_flag(world.patient_a)  # due first: the head of the due queue
    with time_machine.travel(T0, tick=False):
        due_next = raise_flag(world.patient_a)
        bad = RiskFlag.objects.create(patient=world.patient_a, level="high", source="manual")
        behind = RiskFlag.objects.create(patient=world.patient_a, level="high", source="manual")
    _break_for(monkeypatch, "start_escalation", bad)
    _break_for(monkeypatch, "_advance", stuck)
    with (
        time_machine.travel(T0 + timedelta(minutes=15), tick=False),
        caplog.at_level(logging.ERROR, logger="ketacare.safety"),
    ):
        assert escalate_due() == 2  # `behind` started, `due_next` moved on
    assert FlagEscalation.objects.get(flag=behind).step == 1
    assert not FlagEscalation.objects.filter(flag=bad).exists()
    assert FlagEscalation.objects.get(flag=due_next).step == 2
    assert FlagEscalation.objects.get(flag=stuck).step == 1
    assert len(_logged_failures(caplog)) == 2
