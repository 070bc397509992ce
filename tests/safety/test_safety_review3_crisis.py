"""Review 3 of the crisis workflow: a high flag joining an open record blocks its own day even
when an older block is cleared later that day; a record is not closed on an evaluation and a
disposition made before a new high-risk flag joined it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.clinical.crisis_rules import close_check, outdated_by_new_flag
from ketacare.measures.actions import do_record_assessment
from ketacare.safety.crisis_actions import (
    do_clear_dosing_block,
    do_close_crisis,
    do_record_step,
)
from ketacare.safety.crisis_models import CrisisRecord, CrisisStatus, DosingBlock
from ketacare.safety.dosing_block import dosing_block_reasons
from ketacare.safety.models import FlagStatus, RiskFlag
from tests.safety.crisis_helpers import actor, high_flag, record_all

pytestmark = pytest.mark.django_db

HIGH_SCREEN = {
    "cssrs_recent-1": 1,
    "cssrs_recent-2": 1,
    "cssrs_recent-3": 1,
    "cssrs_recent-4": 1,
    "cssrs_recent-5": 0,
    "cssrs_recent-6": 0,
}
SUMMARY = "Evaluated; outpatient with plan, follow-up Thursday."


@pytest.fixture
def noon() -> Iterator[datetime]:
    """The clock stands still at 12:00 clinic time today (far from midnight)."""
    base = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    with time_machine.travel(base, tick=False):
        yield base


# --- the dosing block of a joined flag ---------------------------------------------------------


def test_a_high_flag_joining_today_blocks_today_even_when_yesterdays_block_is_cleared(
    world: Any, noon: datetime
) -> None:
    with time_machine.travel(noon - timedelta(days=1), tick=False):
        first = high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=first)
    second = high_flag(world.patient_a, world.nurse_a)  # today, the record is still open
    assert crisis.joined.filter(flag=second).exists()
    yesterdays = DosingBlock.objects.get(crisis=crisis, flag=first)
    do_clear_dosing_block(actor(world.prescriber_a), yesterdays, "Seen in person, safe to dose.")
    # Clinical.md §16b: a high-risk flag blocks dosing that day, whatever is cleared.
    reasons = dosing_block_reasons(world.patient_a)
    assert reasons and "rest of" in reasons[0]
    todays = DosingBlock.objects.get(crisis=crisis, flag=second)
    assert todays.blocked_on == timezone.localdate() and todays.cleared_at is None


def test_a_second_high_flag_the_same_day_adds_no_second_block(world: Any, noon: datetime) -> None:
    first = high_flag(world.patient_a, world.nurse_a)
    high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=first)
    assert DosingBlock.objects.filter(crisis=crisis).count() == 1


# --- a close-out after a new disclosure --------------------------------------------------------


def test_a_record_is_not_closed_on_an_evaluation_made_before_a_new_high_flag_joined(
    world: Any, noon: datetime
) -> None:
    first = high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=first)
    record_all(world.prescriber_a, crisis)  # evaluation and outpatient disposition at 12:00
    later = noon + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        second = high_flag(world.patient_a, world.nurse_a)  # says they have a plan tonight
        with pytest.raises(ActionError) as refused:
            do_close_crisis(actor(world.prescriber_a), crisis, SUMMARY)
    assert refused.value.field == "steps"
    assert "clinician evaluation" in refused.value.message
    assert "the disposition" in refused.value.message
    assert f"{timezone.localtime(later):%H:%M}" in refused.value.message
    crisis.refresh_from_db()
    second.refresh_from_db()
    assert crisis.status == CrisisStatus.OPEN and second.status == FlagStatus.OPEN
    # Evaluated again after the new flag, and a new disposition: the close-out goes through.
    with time_machine.travel(later + timedelta(minutes=20), tick=False):
        now = timezone.now()
        do_record_step(
            actor(world.prescriber_a),
            crisis,
            "evaluation",
            {"who": "Paula Prescriber", "note": "Re-interviewed about the plan tonight."},
        )
        do_record_step(
            actor(world.prescriber_a),
            crisis,
            "disposition",
            {"disposition": "emergency_transfer", "occurred_at": now},
        )
        do_close_crisis(actor(world.prescriber_a), crisis, SUMMARY)
    second.refresh_from_db()
    assert second.status == FlagStatus.RESOLVED


def test_an_evaluation_that_links_the_joined_flags_screen_counts(
    world: Any, noon: datetime
) -> None:
    first = high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=first)
    record_all(world.prescriber_a, crisis)
    with time_machine.travel(noon + timedelta(minutes=30), tick=False):
        screen = do_record_assessment(
            actor(world.prescriber_a), world.patient_a, "cssrs_recent", HIGH_SCREEN
        )
        assert crisis.joined.filter(flag__assessment=screen).exists()
        # The evaluation is dated at its start, a minute before the screen was submitted.
        do_record_step(
            actor(world.prescriber_a),
            crisis,
            "evaluation",
            {
                "who": "Paula Prescriber",
                "assessment": screen.pk,
                "occurred_at": timezone.now() - timedelta(minutes=1),
            },
        )
        do_record_step(
            actor(world.prescriber_a),
            crisis,
            "disposition",
            {"disposition": "voluntary_admission"},
        )
        do_close_crisis(actor(world.prescriber_a), crisis, SUMMARY)
    assert RiskFlag.objects.filter(status=FlagStatus.RESOLVED).count() == 2


def test_outdated_steps_rule_is_pure_and_to_the_minute() -> None:
    joined = datetime.fromisoformat("2026-03-01T10:30:40+00:00")
    same_minute = datetime.fromisoformat("2026-03-01T10:30:00+00:00")
    before = datetime.fromisoformat("2026-03-01T10:29:00+00:00")
    latest = {"evaluation": same_minute, "disposition": before, "stay": before}
    assert outdated_by_new_flag(latest, joined) == ("disposition",)
    assert outdated_by_new_flag(latest, None) == ()
    decision = close_check(
        {"stay", "means", "evaluation", "disposition"},
        "summary",
        outdated=("disposition",),
        last_flag_at=joined,
    )
    assert not decision.ok and "2026-03-01 10:30" in decision.reasons[0]


# --- one open crisis record per patient ---------------------------------------------------------


def test_a_second_crisis_record_is_not_opened_from_the_chart_while_one_is_open(
    world: Any, as_user: Any
) -> None:
    first = high_flag(world.patient_a, world.nurse_a)
    crisis = CrisisRecord.objects.get(flag=first)
    url = f"/patients/{world.patient_a.pk}/crisis/"
    client = as_user(world.therapist_a)
    overview = client.get(url).content.decode()
    assert 'data-testid="crisis-already-open"' in overview
    r = client.post(url + "crisis/open/", {"reason": "Sister called: he bought rope today."})
    assert r.status_code == 400
    page = r.content.decode()
    assert 'data-field="reason"' in page and "already has an open crisis record" in page
    assert f"/crisis/crisis/{crisis.pk}/" in page  # a link to the open record
    assert "Sister called: he bought rope today." in page  # nothing typed is lost
    assert CrisisRecord.objects.filter(patient=world.patient_a).count() == 1
    assert DosingBlock.objects.filter(patient=world.patient_a).count() == 1


def test_open_pressed_twice_opens_one_record(world: Any, as_user: Any) -> None:
    url = f"/patients/{world.patient_a.pk}/crisis/crisis/open/"
    client = as_user(world.prescriber_a)
    first = client.post(url, {"reason": "Disclosed a plan in session"})
    again = client.post(url, {"reason": "Disclosed a plan in session"})
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert CrisisRecord.objects.filter(patient=world.patient_a).count() == 1


@pytest.mark.parametrize("summary", ["done", "ok.", "Closed."])
def test_a_token_close_out_summary_is_refused_naming_the_summary(world: Any, summary: str) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a, world.nurse_a))
    record_all(world.nurse_a, crisis)
    with pytest.raises(ActionError) as refused:
        do_close_crisis(actor(world.prescriber_a), crisis, summary)
    assert refused.value.field == "summary" and "a few words" in refused.value.message
    crisis.refresh_from_db()
    assert crisis.status == CrisisStatus.OPEN
    do_close_crisis(actor(world.prescriber_a), crisis, "Safe at home with sister.")


# --- nothing typed is lost ----------------------------------------------------------------------


def test_a_step_sent_to_a_record_closed_meanwhile_becomes_an_addendum_draft(
    world: Any, as_user: Any
) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a, world.nurse_a))
    record_all(world.nurse_a, crisis)
    do_close_crisis(actor(world.prescriber_a), crisis, "Outpatient with plan, follow-up booked.")
    url = f"/patients/{world.patient_a.pk}/crisis/crisis/{crisis.pk}/"
    r = as_user(world.nurse_a).post(
        url + "step/contact/",
        {"contact-who": "Sister Maya", "contact-method": "phone", "contact-note": "Will stay over"},
    )
    body = r.content.decode()
    assert r.status_code == 400 and "add an addendum instead" in body
    addenda = body[body.index('id="addenda"') :]
    assert "Sister Maya" in addenda and "Will stay over" in addenda and "phone" in addenda


def test_a_refused_clearance_shows_the_reason_typed(world: Any, as_user: Any) -> None:
    high_flag(world.patient_a, world.nurse_a)
    block = DosingBlock.objects.get(patient=world.patient_a)
    url = f"/patients/{world.patient_a.pk}/crisis/blocks/{block.pk}/clear/"
    client = as_user(world.prescriber_a)
    assert client.post(url, {"reason": "Seen in clinic today, no ideation."}).status_code == 302
    again = client.post(url, {"reason": "Second look, still fine today."})
    body = again.content.decode()
    assert again.status_code == 400 and "already cleared" in body
    assert "Second look, still fine today." in body
