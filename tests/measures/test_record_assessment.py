"""Recording an assessment: scored by the clinical library, stored with its explanation,
and risk flags raised in the same transaction."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.models import Assessment, DueAssessment, RuleKind, ScheduleRule
from ketacare.safety.models import RiskFlag
from ketacare.safety.signals import risk_flag_raised

ACTOR = Actor(label="test")


def phq9(*values: int) -> dict[str, int]:
    return {f"phq9-{i + 1}": v for i, v in enumerate(values)}


def test_phq9_is_scored_and_stored_with_band_and_explanation(world: Any) -> None:
    a = do_record_assessment(ACTOR, world.patient_a, "phq9", phq9(2, 2, 2, 2, 1, 1, 2, 0, 0))
    assert (a.total, a.band, a.complete) == (12, "moderate", True)
    assert a.explanation and a.scale_version
    assert AuditEntry.objects.filter(action="measures.assessment.recorded").exists()
    assert not RiskFlag.objects.exists()


def test_item9_above_zero_raises_a_flag_in_the_same_transaction(world: Any) -> None:
    received: list[Any] = []

    def receiver(flag: Any, **kwargs: Any) -> None:
        received.append(flag)

    risk_flag_raised.connect(receiver)
    try:
        a = do_record_assessment(ACTOR, world.patient_a, "phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 2))
    finally:
        risk_flag_raised.disconnect(receiver)
    flag = RiskFlag.objects.get(patient=world.patient_a)
    assert flag.assessment == a and flag.level == "high" and flag.requires_cssrs
    assert "item 9" in flag.reason and received == [flag]


def test_cssrs_moderate_or_high_raises_a_flag_low_does_not(world: Any) -> None:
    no = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}
    low = {**no, "cssrs_recent-1": 1}
    do_record_assessment(ACTOR, world.patient_a, "cssrs_recent", low)
    assert not RiskFlag.objects.exists()
    high = {
        "cssrs_recent-1": 1,
        "cssrs_recent-2": 1,
        "cssrs_recent-3": 1,
        "cssrs_recent-4": 1,
        "cssrs_recent-5": 0,
        "cssrs_recent-6": 0,
    }
    do_record_assessment(ACTOR, world.patient_a, "cssrs_recent", high)
    assert RiskFlag.objects.get().level == "high"


def test_missing_answers_are_refused_naming_the_item_unless_incomplete_is_allowed(
    world: Any,
) -> None:
    answers = phq9(1, 1, 1, 1, 1, 1, 1, 1, 0)
    del answers["phq9-4"]
    with pytest.raises(ActionError) as problem:
        do_record_assessment(ACTOR, world.patient_a, "phq9", answers)
    assert problem.value.field == "phq9-4"
    assert not Assessment.objects.exists()
    partial = do_record_assessment(ACTOR, world.patient_a, "phq9", answers, allow_incomplete=True)
    assert partial.total is None and partial.missing_items == ["phq9-4"]


def test_out_of_range_answer_names_the_item(world: Any) -> None:
    with pytest.raises(ActionError) as problem:
        do_record_assessment(ACTOR, world.patient_a, "phq9", phq9(1, 1, 1, 1, 1, 1, 1, 1, 7))
    assert problem.value.field == "phq9-9"


def test_item9_makes_the_cssrs_due_today_and_a_cssrs_closes_it(world: Any) -> None:
    ScheduleRule.objects.create(
        clinic=world.clinic_a, scale_code="cssrs_recent", kind=RuleKind.AFTER_ITEM9, grace_days=0
    )
    do_record_assessment(ACTOR, world.patient_a, "phq9", phq9(0, 0, 0, 0, 0, 0, 0, 0, 1))
    due = DueAssessment.objects.get(patient=world.patient_a, scale_code="cssrs_recent")
    assert due.status == "open"
    do_record_assessment(
        ACTOR,
        world.patient_a,
        "cssrs_recent",
        {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0},
    )
    due.refresh_from_db()
    assert due.status == "completed" and due.completed_by is not None
