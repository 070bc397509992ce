"""A high-risk flag opens a guided crisis record in the same transaction; each step is
time-stamped with its author; an outpatient disposition needs a follow-up 24–72 h out; the
close-out needs every step and a summary, resolves the flag, and freezes the record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.measures.actions import do_record_assessment
from ketacare.safety.crisis_actions import (
    do_add_addendum,
    do_close_crisis,
    do_open_crisis,
    do_record_step,
)
from ketacare.safety.crisis_models import CrisisRecord, CrisisStep, DosingBlock
from ketacare.safety.models import RiskFlag
from tests.safety.crisis_helpers import actor, high_flag, record_all

pytestmark = pytest.mark.django_db


def test_a_high_flag_opens_a_crisis_record_and_a_dosing_block(world: Any) -> None:
    flag = high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=flag)
    assert crisis.patient == world.patient_a and crisis.status == "open"
    assert crisis.reason == flag.reason
    block = DosingBlock.objects.get(crisis=crisis)
    assert block.cleared_at is None and block.flag == flag
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"safety.crisis.opened", "safety.dosing.blocked"} <= actions


def test_a_moderate_flag_opens_no_crisis_record(world: Any) -> None:
    from ketacare.safety.actions import do_raise_flag

    do_raise_flag(
        actor(world.nurse_a),
        world.patient_a,
        level="moderate",
        source="manual",
        reason="passive wish",
    )
    assert not CrisisRecord.objects.exists() and not DosingBlock.objects.exists()


def test_phq9_item9_of_2_opens_the_crisis_record_in_the_same_transaction(world: Any) -> None:
    answers = {f"phq9-{i}": 1 for i in range(1, 9)} | {"phq9-9": 2}
    with pytest.raises(RuntimeError), transaction.atomic():
        do_record_assessment(actor(world.nurse_a), world.patient_a, "phq9", answers)
        assert CrisisRecord.objects.filter(patient=world.patient_a).count() == 1
        raise RuntimeError("roll back")
    assert not CrisisRecord.objects.exists() and not RiskFlag.objects.exists()
    assessment = do_record_assessment(actor(world.nurse_a), world.patient_a, "phq9", answers)
    crisis = CrisisRecord.objects.get(patient=world.patient_a)
    assert crisis.flag is not None and crisis.flag.assessment == assessment


def test_steps_are_stamped_with_author_and_time(world: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    when = timezone.now() - timedelta(minutes=10)
    step = do_record_step(
        actor(world.nurse_a), crisis, "stay", {"who": "Nina Nurse", "occurred_at": when}
    )
    assert step.author == world.nurse_a and step.occurred_at == when
    assert step.recorded_at >= when
    do_record_step(
        actor(world.nurse_a),
        crisis,
        "contact",
        {"who": "Sister (emergency contact)", "method": "phone"},
    )
    do_record_step(
        actor(world.nurse_a), crisis, "contact", {"who": "On-call prescriber", "method": "pager"}
    )
    assert crisis.steps.filter(kind="contact").count() == 2
    assert AuditEntry.objects.filter(action="safety.crisis.contact").count() == 2


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        ("stay", {"who": "  "}, "who"),
        ("means", {}, "note"),
        ("evaluation", {"who": "Dr P"}, "note"),
        ("evaluation", {"who": "Dr P", "assessment": "999999"}, "assessment"),
        ("disposition", {"disposition": "home"}, "disposition"),
        ("disposition", {"disposition": "outpatient"}, "follow_up_at"),
        ("contact", {"who": "Mother"}, "method"),
        ("celebrate", {}, "kind"),
    ],
)
def test_bad_steps_are_refused_naming_the_field(
    world: Any, kind: str, data: dict[str, Any], field: str
) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    with pytest.raises(ActionError) as err:
        do_record_step(actor(world.nurse_a), crisis, kind, data)
    assert err.value.field == field
    assert not CrisisStep.objects.exists()


@pytest.mark.parametrize(("hours", "ok"), [(23, False), (24, True), (72, True), (73, False)])
def test_outpatient_follow_up_must_be_24_to_72_hours_out(world: Any, hours: int, ok: bool) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    now = timezone.now()
    data = {
        "disposition": "outpatient",
        "occurred_at": now,
        "follow_up_at": now + timedelta(hours=hours),
    }
    if ok:
        do_record_step(actor(world.prescriber_a), crisis, "disposition", data)
        crisis.refresh_from_db()
        assert crisis.disposition == "outpatient"
        assert crisis.follow_up_at == now + timedelta(hours=hours)
    else:
        with pytest.raises(ActionError, match="24–72 hours") as err:
            do_record_step(actor(world.prescriber_a), crisis, "disposition", data)
        assert err.value.field == "follow_up_at"


def test_the_follow_up_window_is_named_in_the_clinics_time(world: Any) -> None:
    """The refusal names the allowed window on the clinic's clock, not UTC."""
    from zoneinfo import ZoneInfo

    clinic = world.patient_a.clinic
    clinic.time_zone = "America/New_York"
    clinic.save(update_fields=["time_zone"])
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    now = timezone.now().replace(second=0, microsecond=0)
    data = {"disposition": "outpatient", "occurred_at": now, "follow_up_at": now}
    with pytest.raises(ActionError) as err:
        do_record_step(actor(world.prescriber_a), crisis, "disposition", data)
    local = (now + timedelta(hours=24)).astimezone(ZoneInfo("America/New_York"))
    assert f"between {local:%Y-%m-%d %H:%M} and" in err.value.message


def test_emergency_transfer_needs_no_follow_up(world: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    do_record_step(
        actor(world.prescriber_a),
        crisis,
        "disposition",
        {"disposition": "emergency_transfer", "note": "EMS to County ED"},
    )
    crisis.refresh_from_db()
    assert crisis.disposition == "emergency_transfer" and crisis.follow_up_at is None


def test_evaluation_links_a_cssrs_screen_of_this_patient_only(world: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    cssrs = {"cssrs_recent-1": 1, "cssrs_recent-2": 0, "cssrs_recent-6": 0}
    other = do_record_assessment(actor(world.clinician_b), world.patient_b, "cssrs_recent", cssrs)
    with pytest.raises(ActionError) as err:
        do_record_step(
            actor(world.prescriber_a),
            crisis,
            "evaluation",
            {"who": "Dr P", "assessment": str(other.pk)},
        )
    assert err.value.field == "assessment"
    mine = do_record_assessment(actor(world.prescriber_a), world.patient_a, "cssrs_recent", cssrs)
    step = do_record_step(
        actor(world.prescriber_a), crisis, "evaluation", {"who": "Dr P", "assessment": str(mine.pk)}
    )
    assert step.assessment == mine


def test_close_needs_every_step_and_a_summary(world: Any) -> None:
    flag = high_flag(world.patient_a)
    crisis = CrisisRecord.objects.get(flag=flag)
    with pytest.raises(ActionError) as err:
        do_close_crisis(actor(world.prescriber_a), crisis, "All done")
    assert "means restriction" in err.value.message and err.value.field == "steps"
    record_all(world.nurse_a, crisis)
    with pytest.raises(ActionError) as err:
        do_close_crisis(actor(world.prescriber_a), crisis, "  ")
    assert err.value.field == "summary"
    closed = do_close_crisis(actor(world.prescriber_a), crisis, "Outpatient; plan written.")
    assert closed.status == "closed" and closed.closed_by == world.prescriber_a
    flag.refresh_from_db()
    assert flag.status == "resolved"
    assert AuditEntry.objects.filter(action="safety.crisis.closed").exists()
    assert AuditEntry.objects.filter(action="safety.flag.resolved").exists()


def test_a_closed_record_takes_only_addenda_and_steps_never_change(world: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    record_all(world.nurse_a, crisis)
    do_close_crisis(actor(world.prescriber_a), crisis, "Closed with plan.")
    with pytest.raises(ActionError, match="addendum"):
        do_record_step(actor(world.nurse_a), crisis, "contact", {"who": "x", "method": "phone"})
    with pytest.raises(ActionError):
        do_close_crisis(actor(world.prescriber_a), crisis, "Again")
    with pytest.raises(ActionError) as err:
        do_add_addendum(actor(world.nurse_a), crisis, " ")
    assert err.value.field == "note"
    do_add_addendum(actor(world.nurse_a), crisis, "Follow-up call done; patient safe.")
    step = crisis.steps.get(kind="stay")
    step.note = "rewritten"
    with pytest.raises(RuntimeError):
        step.save()
    with pytest.raises(RuntimeError):
        step.delete()
    assert crisis.steps.get(kind="stay").note == ""


def test_a_clinician_opens_a_crisis_record_from_the_chart(world: Any) -> None:
    with pytest.raises(ActionError) as err:
        do_open_crisis(actor(world.therapist_a), world.patient_a, "")
    assert err.value.field == "reason"
    crisis = do_open_crisis(
        actor(world.therapist_a), world.patient_a, "Disclosed intent in session"
    )
    assert crisis.flag is None and crisis.blocks.count() == 1


def test_timeline_events_list_the_workflow_in_order(world: Any) -> None:
    from ketacare.safety.crisis_timeline import crisis_timeline_events

    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    record_all(world.nurse_a, crisis)
    do_close_crisis(actor(world.prescriber_a), crisis, "Closed with plan.")
    events = crisis_timeline_events(world.patient_a)
    kinds = [kind for _, kind, _ in events]
    assert kinds[:2] == ["crisis.opened", "dosing.blocked"] or kinds[0] == "dosing.blocked"
    assert kinds[-1] == "crisis.close"
    assert [t for t, _, _ in events] == sorted(t for t, _, _ in events)
    assert any("outpatient" in text for _, _, text in events)
    assert crisis_timeline_events(world.patient_b) == []


def test_a_step_dated_long_before_the_record_opened_is_refused(world: Any) -> None:
    """A wrong year (1900, or last year) would put the step first on the risk timeline; a
    step written down after the event, earlier the same day, is still accepted."""
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    for typo in (datetime(1900, 1, 1, 10, 0, tzinfo=UTC), crisis.opened_at - timedelta(days=365)):
        with pytest.raises(ActionError) as err:
            do_record_step(
                actor(world.nurse_a), crisis, "stay", {"who": "Nina Nurse", "occurred_at": typo}
            )
        assert err.value.field == "occurred_at"
        assert "more than a day before this crisis record was opened" in err.value.message
    assert not crisis.steps.exists()
    earlier = crisis.opened_at - timedelta(hours=3)
    step = do_record_step(
        actor(world.nurse_a), crisis, "stay", {"who": "Nina Nurse", "occurred_at": earlier}
    )
    assert step.occurred_at == earlier
