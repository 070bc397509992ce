"""The measurement schedule: default rules, due items made idempotently from episodes of care,
the after-item-9 rule, and data completeness."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.models import DueAssessment, RuleKind, ScheduleRule
from ketacare.measures.scheduling import (
    DEFAULT_RULES,
    completeness,
    ensure_default_rules,
    generate_due_items,
)
from ketacare.patients.models import Diagnosis

ACTOR = Actor(label="test")
NEW_YORK = ZoneInfo("America/New_York")


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=NEW_YORK)


def phq9(*values: int) -> dict[str, int]:
    return {f"phq9-{i + 1}": v for i, v in enumerate(values)}


def due(patient: Any, scale: str) -> list[date]:
    return list(
        DueAssessment.objects.filter(patient=patient, scale_code=scale)
        .order_by("due_on")
        .values_list("due_on", flat=True)
    )


def test_a_clinic_without_rules_gets_the_defaults_once(world: Any) -> None:
    assert ensure_default_rules(world.clinic_a) is True
    assert ensure_default_rules(world.clinic_a) is False
    assert ScheduleRule.objects.filter(clinic=world.clinic_a).count() == len(DEFAULT_RULES)
    kinds = Counter(ScheduleRule.objects.values_list("kind", flat=True))
    assert kinds[RuleKind.AFTER_ITEM9] == 1 and kinds[RuleKind.INTERVAL] == 3
    assert AuditEntry.objects.filter(action="measures.schedule.defaults_seeded").count() == 1
    # Disabling every rule is a choice: nothing is seeded again.
    ScheduleRule.objects.update(is_active=False)
    assert ensure_default_rules(world.clinic_a) is False


def test_generation_is_idempotent_across_month_boundaries(world: Any, open_episode: Any) -> None:
    start = date(2026, 1, 28)
    with time_machine.travel(at_noon(start), tick=False) as traveller:
        open_episode(started_on=start)
        day = start
        while day <= date(2026, 3, 4):
            traveller.move_to(at_noon(day))
            generate_due_items(world.clinic_a, day)
            generate_due_items(world.clinic_a, day)  # a second run the same day adds nothing
            day += timedelta(days=1)
    weekly = [date(2026, 1, 28)] + [date(2026, 2, d) for d in (4, 11, 18, 25)] + [date(2026, 3, 4)]
    assert due(world.patient_a, "phq9") == weekly
    assert due(world.patient_a, "gad7") == weekly
    assert due(world.patient_a, "cssrs_recent") == [date(2026, 1, 28)]
    assert due(world.patient_a, "pcl5") == []  # PTSD only
    rows = DueAssessment.objects.values_list("patient_id", "scale_code", "due_on", "rule_id")
    assert len(rows) == len(set(rows))
    item = DueAssessment.objects.get(scale_code="phq9", due_on=date(2026, 2, 25))
    assert item.overdue_on == date(2026, 2, 27) and item.clinic == world.clinic_a


def test_a_missed_run_catches_up_without_duplicates(world: Any, open_episode: Any) -> None:
    start = date(2026, 3, 1)
    open_episode(started_on=start)
    generate_due_items(world.clinic_a, start)
    result = generate_due_items(world.clinic_a, date(2026, 3, 16))  # the worker was down
    assert due(world.patient_a, "phq9") == [date(2026, 3, d) for d in (1, 8, 15)]
    assert result.created == 4  # PHQ-9 and GAD-7 on the 8th and the 15th


def test_diagnosis_prefix_makes_pcl5_due_only_for_ptsd(world: Any, open_episode: Any) -> None:
    today = date(2026, 5, 4)
    Diagnosis.objects.create(patient=world.patient_a, icd10_code="F43.10", display="PTSD")
    Diagnosis.objects.create(patient=world.patient_b, icd10_code="F33.2", display="MDD")
    open_episode(started_on=today)
    open_episode(world.patient_b, started_on=today)
    generate_due_items(world.clinic_a, today)
    generate_due_items(world.clinic_b, today)
    assert due(world.patient_a, "pcl5") == [today]
    assert due(world.patient_b, "pcl5") == []
    assert due(world.patient_b, "phq9") == [today]


def test_closed_episodes_make_nothing_due_and_their_open_items_are_cancelled(
    world: Any, open_episode: Any
) -> None:
    today = date(2026, 5, 4)
    episode = open_episode(started_on=today)
    generate_due_items(world.clinic_a, today)
    episode.status = "closed"
    episode.save()
    result = generate_due_items(world.clinic_a, today + timedelta(days=7))
    assert result.created == 0 and result.cancelled == 3
    assert not DueAssessment.objects.filter(status="open").exists()


def test_an_assessment_already_taken_fulfils_a_new_due_item(world: Any, open_episode: Any) -> None:
    today = date(2026, 5, 4)
    with time_machine.travel(at_noon(today - timedelta(days=3)), tick=False):
        baseline = do_record_assessment(
            ACTOR, world.patient_a, "phq9", phq9(1, 1, 1, 1, 1, 1, 1, 1, 0)
        )
    with time_machine.travel(at_noon(today), tick=False):
        open_episode(started_on=today)
        generate_due_items(world.clinic_a, today)
    item = DueAssessment.objects.get(scale_code="phq9")
    assert item.status == "completed" and item.completed_by == baseline


def test_item9_above_zero_makes_cssrs_due_today(world: Any) -> None:
    do_record_assessment(ACTOR, world.patient_a, "phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 1))
    item = DueAssessment.objects.get(scale_code="cssrs_recent")
    assert item.rule is not None and item.rule.kind == RuleKind.AFTER_ITEM9
    assert item.due_on == item.overdue_on  # the same day (clinical.md §16a)
    assert "item 9 answered 1" in item.reason
    do_record_assessment(ACTOR, world.patient_b, "phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 0))
    assert not DueAssessment.objects.filter(patient=world.patient_b).exists()


def test_disabled_after_item9_rule_makes_nothing_due(world: Any) -> None:
    ensure_default_rules(world.clinic_a)
    ScheduleRule.objects.filter(kind=RuleKind.AFTER_ITEM9).update(is_active=False)
    do_record_assessment(ACTOR, world.patient_a, "phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 2))
    assert not DueAssessment.objects.exists()


def test_completeness_counts_completed_against_missed(world: Any, open_episode: Any) -> None:
    start = date(2026, 4, 1)
    open_episode(started_on=start)
    today = date(2026, 4, 22)
    for day in (1, 8, 15, 22):  # the schedule runs through the month
        generate_due_items(world.clinic_a, date(2026, 4, day))
    # PHQ-9 and GAD-7 due on the 1st, 8th, 15th, 22nd; C-SSRS on the 1st.
    DueAssessment.objects.filter(due_on__in=[date(2026, 4, 1), date(2026, 4, 8)]).update(
        status="completed"
    )
    result = completeness(world.patient_a, today)
    # Completed: 5 (the 1st: 3, the 8th: 2). Missed: the 15th (overdue on the 17th): 2.
    # The 22nd is due but not overdue yet, so it counts neither way.
    assert (result.completed, result.missed, result.percent) == (5, 2, 71)
    assert "5 of 7" in result.explanation
    assert completeness(world.patient_b, today).percent is None
