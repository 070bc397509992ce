"""“Before every treatment session”: one due item per session day, made ahead, never
duplicated, withdrawn when the session is cancelled or moved, reopened when it is back."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import time_machine
from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures import tasks
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.calendar_rules import SESSION_LOOKAHEAD_DAYS
from ketacare.measures.models import DueAssessment, DueStatus, SelfReportLink
from ketacare.measures.scheduling import generate_due_items, sync_session_items
from ketacare.patients.models import Diagnosis
from ketacare.scheduling.models import AppointmentStatus, AppointmentType
from tests.measures.calendar_helpers import RuleKind, at, only_rule, session

MONDAY = date(2026, 4, 6)
WEDNESDAY = date(2026, 4, 8)
SETUP = Actor(label="test")


def items(patient: Any) -> list[DueAssessment]:
    return list(DueAssessment.objects.filter(patient=patient).order_by("due_on", "pk"))


def test_a_booked_session_makes_the_scale_due_on_its_day(world: Any) -> None:
    rule = only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION, grace_days=1)
    appointment = session(world.patient_a, WEDNESDAY, hour=10)
    session(world.patient_a, WEDNESDAY, kind=AppointmentType.EVALUATION, hour=14)  # not dosing
    far = MONDAY + timedelta(days=SESSION_LOOKAHEAD_DAYS + 3)
    session(world.patient_a, far)  # beyond the look-ahead: made later
    result = generate_due_items(world.clinic_a, MONDAY)
    [item] = items(world.patient_a)
    assert result.created == 1
    assert (item.scale_code, item.due_on, item.overdue_on) == ("phq9", WEDNESDAY, date(2026, 4, 9))
    assert item.appointment_id == appointment.pk and item.rule == rule
    assert item.status == DueStatus.OPEN and item.episode is None
    assert item.reason == "Before the treatment session at 2026-04-08 10:00"
    generate_due_items(world.clinic_a, far)
    assert [i.due_on for i in items(world.patient_a)] == [WEDNESDAY, far]


def test_running_again_makes_nothing_twice(world: Any, open_episode: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    episode = open_episode(started_on=MONDAY)
    for day in (MONDAY, WEDNESDAY, date(2026, 4, 10)):
        session(world.patient_a, day)
    for day in (MONDAY, MONDAY, date(2026, 4, 7), WEDNESDAY, WEDNESDAY):
        generate_due_items(world.clinic_a, day)
    sync_session_items(world.patient_a, WEDNESDAY)
    found = items(world.patient_a)
    assert [i.due_on for i in found] == [MONDAY, WEDNESDAY, date(2026, 4, 10)]
    assert {i.episode_id for i in found} == {episode.pk}


def test_two_sessions_on_one_day_make_one_item(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    morning = session(world.patient_a, WEDNESDAY, hour=9)
    afternoon = session(world.patient_a, WEDNESDAY, hour=15)
    generate_due_items(world.clinic_a, MONDAY)
    [item] = items(world.patient_a)
    assert item.appointment_id == morning.pk
    morning.status = AppointmentStatus.CANCELLED
    morning.save()
    generate_due_items(world.clinic_a, MONDAY)
    [item] = items(world.patient_a)
    assert item.status == DueStatus.OPEN and item.appointment_id == afternoon.pk
    assert item.reason.endswith("15:00")


def test_a_cancelled_session_withdraws_its_item_and_a_reinstated_one_reopens_it(
    world: Any,
) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    appointment = session(world.patient_a, WEDNESDAY)
    generate_due_items(world.clinic_a, MONDAY)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.save()
    result = generate_due_items(world.clinic_a, MONDAY)
    [item] = items(world.patient_a)
    assert item.status == DueStatus.CANCELLED and result.cancelled == 1
    assert "Withdrawn" in item.reason
    generate_due_items(world.clinic_a, date(2026, 4, 7))  # stays withdrawn, nothing new
    assert [i.status for i in items(world.patient_a)] == [DueStatus.CANCELLED]
    appointment.status = AppointmentStatus.BOOKED
    appointment.save()
    generate_due_items(world.clinic_a, date(2026, 4, 7))
    [item] = items(world.patient_a)
    assert item.status == DueStatus.OPEN and item.appointment_id == appointment.pk


def test_a_no_show_withdraws_but_a_completed_session_keeps_its_item(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    came = session(world.patient_a, MONDAY)
    missed = session(world.patient_a, WEDNESDAY)
    generate_due_items(world.clinic_a, MONDAY)
    came.status = AppointmentStatus.COMPLETED
    came.save()
    missed.status = AppointmentStatus.NO_SHOW
    missed.save()
    generate_due_items(world.clinic_a, date(2026, 4, 9))
    statuses = {i.due_on: i.status for i in items(world.patient_a)}
    assert statuses == {MONDAY: DueStatus.OPEN, WEDNESDAY: DueStatus.CANCELLED}


def test_a_moved_session_moves_its_item(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    appointment = session(world.patient_a, WEDNESDAY)
    generate_due_items(world.clinic_a, MONDAY)
    appointment.starts_at = at(date(2026, 4, 10), 11)
    appointment.ends_at = appointment.starts_at + timedelta(hours=2)
    appointment.save()
    sync_session_items(world.patient_a, MONDAY)  # what the scheduling actions call
    found = {i.due_on: i.status for i in items(world.patient_a)}
    assert found == {WEDNESDAY: DueStatus.CANCELLED, date(2026, 4, 10): DueStatus.OPEN}


def test_the_due_date_is_the_clinic_local_day_of_a_late_session(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    session(world.patient_a, WEDNESDAY, hour=23)  # 03:00 UTC on Thursday
    generate_due_items(world.clinic_a, MONDAY)
    assert [i.due_on for i in items(world.patient_a)] == [WEDNESDAY]


def test_the_diagnosis_filter_applies(world: Any) -> None:
    only_rule(world.clinic_a, "pcl5", RuleKind.BEFORE_SESSION, diagnosis_prefixes="F43.1")
    session(world.patient_a, WEDNESDAY)
    generate_due_items(world.clinic_a, MONDAY)
    assert items(world.patient_a) == []
    Diagnosis.objects.create(patient=world.patient_a, icd10_code="F43.10", display="PTSD")
    generate_due_items(world.clinic_a, MONDAY)
    assert [i.scale_code for i in items(world.patient_a)] == ["pcl5"]


def test_the_pre_session_score_closes_the_item(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    session(world.patient_a, WEDNESDAY, hour=10)
    generate_due_items(world.clinic_a, MONDAY)
    with time_machine.travel(at(WEDNESDAY, 9), tick=False):
        answers = {f"phq9-{i}": 1 for i in range(1, 10)}
        answers["phq9-9"] = 0
        assessment = do_record_assessment(
            SETUP, world.patient_a, "phq9", answers, context="pre_session"
        )
    [item] = items(world.patient_a)
    assert item.status == DueStatus.COMPLETED and item.completed_by == assessment


def test_the_worker_sends_a_pre_session_link_on_the_day_only(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    world.patient_a.preferred_contact = "sms"
    world.patient_a.save()
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    session(world.patient_a, WEDNESDAY, hour=10)
    with django_capture_on_commit_callbacks(execute=True):
        with time_machine.travel(at(MONDAY, 7), tick=False):
            tasks.schedule_pass(timezone.now())
        assert not SelfReportLink.objects.exists()  # due Wednesday, not yet
        with time_machine.travel(at(WEDNESDAY, 7), tick=False):
            tasks.schedule_pass(timezone.now())
    link = SelfReportLink.objects.get()
    assert link.scale_codes == ["phq9"] and link.context == "pre_session"


def test_clinic_b_sessions_never_touch_clinic_a(world: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    only_rule(world.clinic_b, "gad7", RuleKind.BEFORE_SESSION)
    session(world.patient_b, WEDNESDAY)
    generate_due_items(world.clinic_a, MONDAY)
    assert not DueAssessment.objects.exists()
    generate_due_items(world.clinic_b, MONDAY)
    [item] = DueAssessment.objects.all()
    assert (item.clinic, item.patient, item.scale_code) == (
        world.clinic_b,
        world.patient_b,
        "gad7",
    )


def test_the_chart_lists_the_coming_session_item_as_upcoming(world: Any, as_user: Any) -> None:
    only_rule(world.clinic_a, "phq9", RuleKind.BEFORE_SESSION)
    session(world.patient_a, WEDNESDAY, hour=10)
    with time_machine.travel(at(MONDAY, 12), tick=False):
        generate_due_items(world.clinic_a, MONDAY)
        body = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    section = body.split('data-testid="due-section"', 1)[1].split("</section>", 1)[0]
    assert "upcoming 2026-04-08" in section
    assert "Before the treatment session at 2026-04-08 10:00" in section
