"""Review of the escalation (issue #7 item 3), with frozen time: a list edited, reordered or left
mid-escalation skips nobody; only people whose role may acknowledge a flag are paged; a missing
director is said on the flag's history and the last event says only what happened; a low flag
waits past the clinic's closures; an orphan acknowledged meanwhile is never paged; and a message
about a flag no longer open is not sent."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Membership, Role, User
from ketacare.clinical.escalation import (
    EscalationPolicy,
    escalation_due,
    next_business_morning,
)
from ketacare.notify.delivery import deliver, due_for_retry, queue_notification
from ketacare.notify.models import NotificationLog
from ketacare.safety import escalation
from ketacare.safety.escalation import (
    NO_DIRECTOR,
    do_acknowledge,
    escalate_due,
    flag_reference,
    start_escalation,
)
from ketacare.safety.escalation_models import (
    EscalationContact,
    EscalationEvent,
    EscalationState,
    FlagEscalation,
    OnCallOverride,
    OnCallSlot,
    StaffNotification,
)
from ketacare.safety.models import FlagStatus, RiskFlag
from ketacare.safety.resolve import do_resolve_flag
from ketacare.safety.rota import (
    PAGEABLE_ROLES,
    director_of,
    escalation_list,
    on_call_at,
    paged_without_mobile,
    patient_prescriber,
    weekly_gaps,
)
from ketacare.scheduling.models import Closure
from tests.conftest import make_staff
from tests.notify.backends import FailingSmsBackend, RecordingSmsBackend
from tests.safety.crisis_helpers import actor
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

NY = ZoneInfo("America/New_York")
# A Tuesday, 14:00 in New York (the clinic's zone).
T0 = utc("2026-03-03 19:00:00+00:00")
NOTE = "Spoke with her at 14:05, safe at home with her sister."


@pytest.fixture(autouse=True)
def _recorded_messages(settings: Any) -> None:
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.RecordingSmsBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    RecordingSmsBackend.sent.clear()
    FailingSmsBackend.calls = 0


def _told(flag: RiskFlag) -> list[tuple[str, str, str]]:
    return [
        (e.kind, e.recipient.email, e.role)
        for e in EscalationEvent.objects.filter(flag=flag, recipient__isnull=False)
    ]


def _pass_at(minutes: int) -> int:
    with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
        return escalate_due()


def _raise(patient: Any, level: str = "high", at: datetime = T0) -> RiskFlag:
    with time_machine.travel(at, tick=False):
        return raise_flag(patient, level=level)


def _role(user: User, role: str) -> None:
    Membership.objects.filter(user=user).update(role=role)


def _events(flag: RiskFlag) -> list[tuple[str, str, str]]:
    return list(EscalationEvent.objects.filter(flag=flag).values_list("kind", "role", "detail"))


PRESCRIBER = ("notified", "prescriber@a.test", "patient's prescriber")


# --- 1. the escalation list as it is now: the first person not yet paged ----------------------


def test_a_list_member_who_leaves_after_being_paged_does_not_skip_the_next(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    third = make_staff(world.clinic_a, Role.NURSE, "third@a.test")
    set_list(world.clinic_a, world.nurse_a, world.therapist_a, third)
    set_director(world.clinic_a, world.director_a)
    flag = _raise(world.patient_a)
    assert _pass_at(15) == 1
    assert _told(flag) == [PRESCRIBER, ("escalated", "nurse@a.test", "escalation list #1")]
    Membership.objects.filter(user=world.nurse_a).update(is_active=False)  # leaves
    assert _pass_at(30) == 1
    assert _pass_at(45) == 1
    assert _pass_at(60) == 1
    assert _told(flag) == [
        PRESCRIBER,
        ("escalated", "nurse@a.test", "escalation list #1"),
        ("escalated", "therapist@a.test", "escalation list #1"),  # first on the list now
        ("escalated", "third@a.test", "escalation list #2"),
        ("escalated", "director@a.test", "director"),
    ]
    _pass_at(75)
    state = FlagEscalation.objects.get(flag=flag)
    assert state.state == EscalationState.EXHAUSTED
    assert _events(flag)[-1][2].startswith(
        "Everyone on the escalation list and the director has been paged;"
    )


def test_removing_a_paged_person_from_the_list_skips_nobody(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    set_list(world.clinic_a, world.nurse_a, world.therapist_a)
    set_director(world.clinic_a, world.director_a)
    flag = _raise(world.patient_a)
    _pass_at(15)
    EscalationContact.objects.filter(user=world.nurse_a).delete()
    _pass_at(30)
    _pass_at(45)
    assert _told(flag) == [
        PRESCRIBER,
        ("escalated", "nurse@a.test", "escalation list #1"),
        ("escalated", "therapist@a.test", "escalation list #1"),
        ("escalated", "director@a.test", "director"),
    ]


def test_a_reordered_list_pages_the_first_person_not_yet_paged(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    third = make_staff(world.clinic_a, Role.NURSE, "third@a.test")
    set_list(world.clinic_a, world.nurse_a, world.therapist_a, third)
    set_director(world.clinic_a, world.director_a)
    flag = _raise(world.patient_a)
    _pass_at(15)
    EscalationContact.objects.filter(clinic=world.clinic_a).delete()
    set_list(world.clinic_a, third, world.nurse_a, world.therapist_a)
    for minutes in (30, 45, 60):
        _pass_at(minutes)
    assert _told(flag) == [
        PRESCRIBER,
        ("escalated", "nurse@a.test", "escalation list #1"),
        ("escalated", "third@a.test", "escalation list #1"),
        ("escalated", "therapist@a.test", "escalation list #3"),  # the nurse is not paged again
        ("escalated", "director@a.test", "director"),
    ]


def test_someone_added_to_the_list_mid_escalation_is_paged_before_the_director(
    world: Any,
) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    set_list(world.clinic_a, world.nurse_a)
    set_director(world.clinic_a, world.director_a)
    flag = _raise(world.patient_a)
    _pass_at(15)
    EscalationContact.objects.create(clinic=world.clinic_a, position=2, user=world.therapist_a)
    _pass_at(30)
    _pass_at(45)
    assert _told(flag)[1:] == [
        ("escalated", "nurse@a.test", "escalation list #1"),
        ("escalated", "therapist@a.test", "escalation list #2"),
        ("escalated", "director@a.test", "director"),
    ]


# --- 2. only people whose role may acknowledge a flag are paged --------------------------------


def test_the_roles_paged_are_those_that_may_acknowledge_and_the_director_is_one() -> None:
    assert {Role.PRESCRIBER, Role.NURSE, Role.THERAPIST, Role.DIRECTOR} == PAGEABLE_ROLES


def test_an_on_call_clinician_moved_to_the_front_desk_is_not_on_call(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    on_call_all_week(world.clinic_a, world.nurse_a)
    set_mobile(world.nurse_a, "+15550100002")
    _role(world.nurse_a, Role.INTAKE)
    assert on_call_at(world.clinic_a, T0) == []
    assert weekly_gaps(world.clinic_a) == [(0, time(0), 0, time(0))]  # nobody on the rota
    assert world.nurse_a not in paged_without_mobile(world.clinic_a)
    flag = _raise(world.patient_a)
    assert _told(flag) == [PRESCRIBER]
    assert not NotificationLog.objects.filter(to__in=["nurse@a.test", "+15550100002"]).exists()


def test_an_override_naming_someone_now_admin_leaves_the_weekly_rota_on_call(
    world: Any,
) -> None:
    on_call_all_week(world.clinic_a, world.nurse_a)
    OnCallOverride.objects.create(
        clinic=world.clinic_a, on_date=date(2026, 3, 3), user=world.therapist_a
    )
    assert on_call_at(world.clinic_a, T0) == [world.therapist_a]
    _role(world.therapist_a, Role.ADMIN)
    assert on_call_at(world.clinic_a, T0) == [world.nurse_a]


def test_a_listed_nurse_moved_to_intake_is_skipped_for_the_next_clinician(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    set_list(world.clinic_a, world.nurse_a, world.therapist_a)
    set_director(world.clinic_a, world.director_a)
    _role(world.nurse_a, Role.INTAKE)
    assert escalation_list(world.clinic_a) == [world.therapist_a]
    flag = _raise(world.patient_a)
    _pass_at(15)
    _pass_at(30)
    assert _told(flag) == [
        PRESCRIBER,
        ("escalated", "therapist@a.test", "escalation list #1"),
        ("escalated", "director@a.test", "director"),
    ]


def test_a_director_whose_role_became_admin_gives_way_to_the_clinic_director(
    world: Any,
) -> None:
    medical = make_staff(world.clinic_a, Role.PRESCRIBER, "medical@a.test")
    set_director(world.clinic_a, medical)
    assert director_of(world.clinic_a) == medical
    _role(medical, Role.ADMIN)
    assert director_of(world.clinic_a) == world.director_a  # role director: may acknowledge
    make_prescriber_of(world.patient_a, world.prescriber_a)
    flag = _raise(world.patient_a)
    _pass_at(15)
    assert _told(flag) == [PRESCRIBER, ("escalated", "director@a.test", "director")]


def test_the_director_named_in_the_settings_stays_pageable(world: Any) -> None:
    set_director(world.clinic_a, world.director_a)
    make_prescriber_of(world.patient_a, world.prescriber_a)
    flag = _raise(world.patient_a)
    _pass_at(15)
    assert _told(flag) == [PRESCRIBER, ("escalated", "director@a.test", "director")]


def test_a_prescriber_of_record_now_admin_is_not_paged(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    on_call_all_week(world.clinic_a, world.nurse_a)
    _role(world.prescriber_a, Role.ADMIN)
    flag = _raise(world.patient_a)
    assert _told(flag) == [("notified", "nurse@a.test", "on call")]
    # Other readers of the prescriber of record (follow-up and plan reminders) are unchanged.
    assert patient_prescriber(world.patient_a) == world.prescriber_a


# --- 3. no director: said on the history, and the last event says only what happened ---------


@pytest.mark.parametrize("how", ["none set", "set but left"])
def test_with_no_director_the_history_says_so(world: Any, as_user: Any, how: str) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    set_list(world.clinic_a, world.nurse_a)
    if how == "set but left":
        set_director(world.clinic_a, world.director_a)
    Membership.objects.filter(user=world.director_a).update(is_active=False)
    flag = _raise(world.patient_a)
    _pass_at(15)
    assert _pass_at(30) == 1
    assert _told(flag) == [PRESCRIBER, ("escalated", "nurse@a.test", "escalation list #1")]
    assert _events(flag)[-2:] == [
        ("nobody", "director", NO_DIRECTOR),
        (
            "exhausted",
            "",
            "Everyone on the escalation list has been paged, but there was no director to "
            "page; the banner stays until someone acknowledges. Set the director in Safety "
            "settings.",
        ),
    ]
    assert FlagEscalation.objects.get(flag=flag).state == EscalationState.EXHAUSTED
    page = as_user(world.prescriber_a).get(f"/safety/flags/{flag.pk}/").content.decode()
    history = page[page.index('data-testid="escalation-events"') :]
    assert "Nobody to notify" in history and "No director to page" in history
    assert "director has been paged" not in page
    chart = as_user(world.prescriber_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert "No director to page" in chart  # the risk timeline


def test_no_director_while_someone_new_is_on_call_pages_them_then_ends_truly(
    world: Any,
) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    # The nurse's shift starts at 14:15 on Tuesdays: "on call now" at the director's step.
    OnCallSlot.objects.create(
        clinic=world.clinic_a, weekday=1, starts=time(14, 15), ends=time(23), user=world.nurse_a
    )
    Membership.objects.filter(user=world.director_a).update(is_active=False)
    flag = _raise(world.patient_a)
    assert _told(flag) == [PRESCRIBER]
    assert _pass_at(15) == 1
    assert _told(flag) == [PRESCRIBER, ("escalated", "nurse@a.test", "on call now")]
    assert FlagEscalation.objects.get(flag=flag).state == EscalationState.ACTIVE
    _pass_at(30)
    kinds = [(kind, role) for kind, role, _ in _events(flag)]
    assert kinds == [
        ("raised", ""),
        ("notified", "patient's prescriber"),
        ("nobody", "director"),
        ("escalated", "on call now"),
        ("exhausted", ""),
    ]  # the missing director said once, not at every pass
    assert _events(flag)[-1][2].startswith(
        "The escalation list is empty and there was no director to page: only the people "
        "told (prescriber, on call) were paged;"
    )


def test_an_empty_list_with_a_director_says_just_that(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    set_director(world.clinic_a, world.director_a)
    flag = _raise(world.patient_a)
    _pass_at(15)
    _pass_at(30)
    assert _events(flag)[-1][:2] == ("exhausted", "")
    assert _events(flag)[-1][2].startswith(
        "The escalation list is empty; the director has been paged;"
    )
    assert not EscalationEvent.objects.filter(flag=flag, kind="nobody").exists()


# --- 4. a low flag waits past the clinic's closures -------------------------------------------

CHRISTMAS_EVE_17 = utc("2026-12-24 22:00:00+00:00")  # Thursday 17:00 in New York


def _low_due(world: Any, at: datetime) -> datetime:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    flag = _raise(world.patient_a, level="low", at=at)
    return FlagEscalation.objects.get(flag=flag).due_at


def _closed(clinic: Any, starts: date, ends: date | None = None) -> None:
    Closure.objects.create(clinic=clinic, starts_on=starts, ends_on=ends or starts, reason="Closed")


def test_a_low_flag_before_a_closure_is_due_the_next_open_business_morning(world: Any) -> None:
    _closed(world.clinic_a, date(2026, 12, 25))
    assert _low_due(world, CHRISTMAS_EVE_17) == utc("2026-12-28 14:00:00+00:00")  # Mon 09:00


def test_without_a_closure_the_low_flag_is_due_the_next_morning(world: Any) -> None:
    _closed(world.clinic_b, date(2026, 12, 25))  # another clinic's closure counts for nothing
    assert _low_due(world, CHRISTMAS_EVE_17) == utc("2026-12-25 14:00:00+00:00")  # Fri 09:00


def test_a_low_flag_before_nine_on_a_business_day_is_due_at_nine_that_day(world: Any) -> None:
    tuesday_0830 = utc("2026-03-03 13:30:00+00:00")
    assert _low_due(world, tuesday_0830) == utc("2026-03-03 14:00:00+00:00")


def test_before_nine_on_a_closed_day_the_low_flag_waits_for_the_next_open_day(
    world: Any,
) -> None:
    _closed(world.clinic_a, date(2026, 3, 3))
    tuesday_0830 = utc("2026-03-03 13:30:00+00:00")
    assert _low_due(world, tuesday_0830) == utc("2026-03-04 14:00:00+00:00")


def test_each_later_step_of_a_low_flag_also_skips_closures(world: Any) -> None:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    set_list(world.clinic_a, world.nurse_a, world.therapist_a)
    _closed(world.clinic_a, date(2026, 12, 29), date(2027, 1, 1))  # Tue to Fri
    _closed(world.clinic_a, date(2027, 1, 5))  # the Tuesday after
    flag = _raise(world.patient_a, level="low", at=utc("2026-12-28 15:00:00+00:00"))  # Mon 10:00
    state = FlagEscalation.objects.get(flag=flag)
    assert state.due_at == utc("2027-01-04 14:00:00+00:00")  # Monday 09:00
    with time_machine.travel(utc("2027-01-04 13:59:00+00:00"), tick=False):
        assert escalate_due() == 0
    with time_machine.travel(utc("2027-01-04 14:00:00+00:00"), tick=False):
        assert escalate_due() == 1
    assert _told(flag)[-1] == ("escalated", "nurse@a.test", "escalation list #1")
    state.refresh_from_db()
    assert state.due_at == utc("2027-01-06 14:00:00+00:00")  # Wednesday 09:00


def test_high_and_moderate_flags_ignore_closures(world: Any) -> None:
    _closed(world.clinic_a, date(2026, 3, 3), date(2026, 3, 6))
    make_prescriber_of(world.patient_a, world.prescriber_a)
    high = _raise(world.patient_a)
    moderate = _raise(world.patient_a, level="moderate")
    assert FlagEscalation.objects.get(flag=high).due_at == T0 + timedelta(minutes=15)
    assert FlagEscalation.objects.get(flag=moderate).due_at == T0 + timedelta(hours=4)


def test_the_low_rule_takes_closed_dates_and_names_them() -> None:
    policy = EscalationPolicy()
    eve = datetime(2026, 12, 24, 17, tzinfo=NY)
    closed = {date(2026, 12, 25)}
    assert next_business_morning(eve, policy) == datetime(2026, 12, 25, 9, tzinfo=NY)
    assert next_business_morning(eve, policy, closed) == datetime(2026, 12, 28, 9, tzinfo=NY)
    due = escalation_due("low", eve, policy, closed)
    assert due.at == datetime(2026, 12, 28, 9, tzinfo=NY)
    assert "clinic closed 2026-12-25" in due.reason
    assert escalation_due("high", eve, policy, closed).at == eve + timedelta(minutes=15)
    # Closed for longer than the look-ahead: the next person a day later, and it says why.
    long = {date(2026, 12, 24) + timedelta(days=d) for d in range(30)}
    late = escalation_due("low", eve, policy, long)
    assert late.at == eve + timedelta(days=1)
    assert "no business day" in late.reason


# --- 5. an orphan no longer open is never paged -----------------------------------------------


def _orphan(world: Any, level: str = "high") -> RiskFlag:
    """A flag whose escalation never started (written without the signal)."""
    make_prescriber_of(world.patient_a, world.prescriber_a)
    with time_machine.travel(T0, tick=False):
        return RiskFlag.objects.create(
            patient=world.patient_a, level=level, source="manual", reason="test flag"
        )


def _nothing_sent(flag: RiskFlag) -> None:
    assert not FlagEscalation.objects.filter(flag=flag).exists()
    assert _told(flag) == []
    assert not StaffNotification.objects.filter(flag=flag).exists()
    assert not NotificationLog.objects.filter(reference=flag_reference(flag.pk)).exists()


def test_an_orphan_acknowledged_after_the_watcher_read_it_is_not_paged(
    world: Any, monkeypatch: Any
) -> None:
    flag = _orphan(world)
    read_by_the_watcher = RiskFlag.objects.get(pk=flag.pk)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        do_acknowledge(SYSTEM, world.prescriber_a, flag, "called_patient", NOTE)
        assert start_escalation(read_by_the_watcher) is None
        monkeypatch.setattr(escalation, "_orphans", lambda: iter([read_by_the_watcher]))
        assert escalate_due() == 0
    _nothing_sent(flag)
    assert [kind for kind, _, _ in _events(flag)] == ["acknowledged"]


def test_an_orphan_resolved_after_the_watcher_read_it_is_not_paged(
    world: Any, monkeypatch: Any
) -> None:
    flag = _orphan(world, level="moderate")
    read_by_the_watcher = RiskFlag.objects.get(pk=flag.pk)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        do_acknowledge(actor(world.nurse_a), world.nurse_a, flag, "called_patient", NOTE)
        do_resolve_flag(actor(world.nurse_a), flag, "Seen in clinic, plan reviewed with her.")
        monkeypatch.setattr(escalation, "_orphans", lambda: iter([read_by_the_watcher]))
        assert escalate_due() == 0
    _nothing_sent(flag)


def test_an_open_orphan_is_still_started(world: Any) -> None:
    flag = _orphan(world)
    assert _pass_at(1) == 1
    assert _told(flag) == [PRESCRIBER]
    assert FlagEscalation.objects.get(flag=flag).due_at == T0 + timedelta(minutes=16)


# --- 6. a message about a flag no longer open is not sent -------------------------------------


def _flag_with_messages(
    world: Any, level: str = "high"
) -> tuple[RiskFlag, NotificationLog, NotificationLog]:
    make_prescriber_of(world.patient_a, world.prescriber_a)
    set_mobile(world.prescriber_a, "+15550100001")
    flag = _raise(world.patient_a, level=level)
    logs = NotificationLog.objects.filter(reference=flag_reference(flag.pk))
    return flag, logs.get(channel="email"), logs.get(channel="sms")


def _withdrawn(log: NotificationLog, attempts: int, word: str) -> None:
    log.refresh_from_db()
    assert (log.status, log.next_attempt_at, log.attempts) == ("failed", None, attempts)
    assert log.error == (
        f"Not sent: the risk flag was {word} before this message went out, so it was no "
        "longer needed."
    )
    assert (log.body, log.headers) == ("", {})


def test_messages_queued_before_the_acknowledgment_are_not_sent(world: Any, as_user: Any) -> None:
    flag, email, sms = _flag_with_messages(world)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        do_acknowledge(SYSTEM, world.prescriber_a, flag, "called_patient", NOTE)
        assert deliver(email.pk) is not None
        assert deliver(sms.pk) is not None
        assert deliver(sms.pk) is None  # settled: never claimed again
        assert due_for_retry(T0 + timedelta(days=1)) == []
    assert RecordingSmsBackend.sent == [] and mail.outbox == []
    _withdrawn(email, 0, "acknowledged")
    _withdrawn(sms, 0, "acknowledged")
    audited = AuditEntry.objects.filter(action="notify.message.withdrawn").order_by("object_id")
    assert [(a.object_id, a.patient_id, a.clinic_id) for a in audited] == [
        (str(email.pk), str(world.patient_a.pk), world.clinic_a.pk),
        (str(sms.pk), str(world.patient_a.pk), world.clinic_a.pk),
    ]
    page = as_user(world.prescriber_a).get(f"/safety/flags/{flag.pk}/").content.decode()
    assert "Not sent: the risk flag was acknowledged" in page


def test_a_retry_after_the_acknowledgment_is_not_sent(world: Any, settings: Any) -> None:
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.FailingSmsBackend"
    flag, _, sms = _flag_with_messages(world)
    with time_machine.travel(T0, tick=False):
        deliver(sms.pk)
    sms.refresh_from_db()
    assert (sms.status, sms.attempts) == ("failed", 1)
    retry_at = sms.next_attempt_at
    assert retry_at == T0 + timedelta(minutes=1)
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        do_acknowledge(SYSTEM, world.prescriber_a, flag, "called_patient", NOTE)
    settings.KETACARE_SMS_BACKEND = "tests.notify.backends.RecordingSmsBackend"
    with time_machine.travel(retry_at, tick=False):
        assert sms.pk in due_for_retry()
        deliver(sms.pk)
    assert RecordingSmsBackend.sent == [] and FailingSmsBackend.calls == 1
    _withdrawn(sms, 1, "acknowledged")  # the one real attempt stays counted


def test_a_message_about_a_resolved_flag_is_not_sent(world: Any) -> None:
    flag, _, sms = _flag_with_messages(world, level="moderate")
    NotificationLog.objects.filter(pk=sms.pk).update(status="failed", next_attempt_at=T0)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        do_acknowledge(actor(world.nurse_a), world.nurse_a, flag, "called_patient", NOTE)
        do_resolve_flag(actor(world.nurse_a), flag, "Seen in clinic, plan reviewed with her.")
        deliver(sms.pk)
    assert RecordingSmsBackend.sent == []
    _withdrawn(sms, 0, "resolved")


def test_messages_about_an_open_flag_and_other_messages_are_sent(world: Any) -> None:
    flag, email, sms = _flag_with_messages(world)
    other = queue_notification(
        channel="sms", to="+15550100009", body="hello", purpose="t", reference="selfreportlink:1"
    )
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        for log in (email, sms, other):
            assert deliver(log.pk) is not None
    assert RiskFlag.objects.get(pk=flag.pk).status == FlagStatus.OPEN
    assert sorted(to for to, _ in RecordingSmsBackend.sent) == ["+15550100001", "+15550100009"]
    assert [m.to for m in mail.outbox] == [["prescriber@a.test"]]
    assert set(NotificationLog.objects.values_list("status", flat=True)) == {"sent"}
    assert not AuditEntry.objects.filter(action="notify.message.withdrawn").exists()
