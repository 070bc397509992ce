"""QA findings around PHQ-9 item 9 and the C-SSRS (issue 7 items 1 and 4; clinical.md §16a-b).

1. A C-SSRS given right after a PHQ-9 with item 9 above 0, in the same minute, satisfies the
   pre-dose "C-SSRS screen after any risk answer" check: the forms time a screen to the minute
   and the flag was raised at the second, so it read as given before. Within one minute the
   order the two were recorded in decides; a screen recorded before the answer never counts.
2. One questionnaire submission makes one crisis: a high flag raised while the patient's crisis
   record is open joins it (no second record or dosing block), each flag stays its own record
   and escalates on its own, and closing the crisis resolves every flag linked to it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.models import Assessment, Context, Source
from ketacare.safety.crisis_actions import (
    crisis_flag_ids,
    crisis_of,
    do_clear_dosing_block,
    do_close_crisis,
    do_open_crisis,
)
from ketacare.safety.crisis_models import CrisisFlag, CrisisRecord, DosingBlock
from ketacare.safety.dosing_block import dosing_block_reasons
from ketacare.safety.escalation import do_acknowledge
from ketacare.safety.escalation_models import EscalationState, FlagEscalation
from ketacare.safety.models import FlagStatus, RiskFlag
from ketacare.treatments import actions
from ketacare.treatments.checks import standing_problems
from ketacare.treatments.models import TreatmentSession
from tests.safety.crisis_helpers import actor, record_all
from tests.treatments.session_helpers import NORMAL, answers_for, checks_ok, ready_session

pytestmark = pytest.mark.django_db

NEGATIVE_SCREEN = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}
HIGH_SCREEN = {
    "cssrs_recent-1": 1,
    "cssrs_recent-2": 1,
    "cssrs_recent-3": 1,
    "cssrs_recent-4": 1,
    "cssrs_recent-5": 0,
    "cssrs_recent-6": 0,
}
PORTAL = Actor(label="KetaCare (self-report link)")


def phq9(item9: int) -> dict[str, int]:
    return {f"phq9-{i}": 1 for i in range(1, 9)} | {"phq9-9": item9}


def as_typed(when: datetime) -> str:
    """What the staff form's "Given at" field sends: local time, to the minute."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def minute(when: datetime) -> datetime:
    return when.replace(second=0, microsecond=0)


@pytest.fixture
def at_ten_past() -> Iterator[datetime]:
    """The clock stands at 10 s past a minute (in the clinic's day, not near midnight)."""
    now = timezone.localtime()
    base = now.replace(hour=14, minute=30, second=10, microsecond=0)
    with time_machine.travel(base, tick=False):
        yield base


def _post(client: Any, world: Any, code: str, answers: dict[str, int], when: datetime) -> None:
    data = {k: str(v) for k, v in answers.items()} | {
        "context": Context.PRE_SESSION,
        "source": Source.STAFF,
        "administered_at": as_typed(when),
    }
    response = client.post(f"/patients/{world.patient_a.pk}/assessments/new/{code}/", data)
    assert response.status_code == 302, response.content.decode()[:2000]


def _cssrs_check(session: TreatmentSession) -> Any:
    return session.checks.get(code="cssrs_after_risk_answer")


def _session(world: Any) -> TreatmentSession:
    return ready_session(world.prescriber_a, world.nurse_a, world.patient_a)


# --- 1. the C-SSRS given right after the PHQ-9 ------------------------------------------------


def test_a_cssrs_given_in_the_minute_of_the_phq9_right_after_it_passes_the_pre_dose_check(
    world: Any, as_user: Any, at_ten_past: datetime
) -> None:
    session = _session(world)
    nurse = as_user(world.nurse_a)
    _post(nurse, world, "phq9", phq9(1), at_ten_past)
    flag = RiskFlag.objects.get(patient=world.patient_a)
    assert flag.requires_cssrs and flag.raised_at == at_ten_past
    with time_machine.travel(at_ten_past + timedelta(seconds=40), tick=False):
        _post(nurse, world, "cssrs_recent", NEGATIVE_SCREEN, at_ten_past)
        screen = Assessment.objects.get(scale_code="cssrs_recent")
        assert screen.administered_at == minute(at_ten_past) < flag.raised_at
        session = checks_ok(world.nurse_a, session)
    assert _cssrs_check(session).result == "yes", _cssrs_check(session).note
    assert session.checks_passed, session.check_problems


def test_within_one_instant_the_recording_order_decides(world: Any, at_ten_past: datetime) -> None:
    session = _session(world)
    given = minute(at_ten_past)
    do_record_assessment(
        actor(world.nurse_a), world.patient_a, "phq9", phq9(2), administered_at=given
    )
    do_record_assessment(
        actor(world.nurse_a),
        world.patient_a,
        "cssrs_recent",
        NEGATIVE_SCREEN,
        administered_at=given,
    )
    session = checks_ok(world.nurse_a, session)
    assert _cssrs_check(session).result == "yes", _cssrs_check(session).note


def test_a_cssrs_recorded_just_before_the_phq9_in_the_same_minute_does_not_count(
    world: Any, at_ten_past: datetime
) -> None:
    session = _session(world)
    given = minute(at_ten_past)
    do_record_assessment(
        actor(world.nurse_a),
        world.patient_a,
        "cssrs_recent",
        NEGATIVE_SCREEN,
        administered_at=given,
    )
    do_record_assessment(
        actor(world.nurse_a), world.patient_a, "phq9", phq9(1), administered_at=given
    )
    session = checks_ok(world.nurse_a, session)
    check = _cssrs_check(session)
    assert check.result != "yes" and "none has been recorded since" in check.note
    assert not session.checks_passed


def test_a_cssrs_recorded_before_the_phq9_does_not_count_whatever_time_was_typed(
    world: Any, at_ten_past: datetime
) -> None:
    """The screen was entered first with a later "Given at" typed (a slip, or a screen done
    without knowing the answer): it was not done because of the answer."""
    session = _session(world)
    do_record_assessment(
        actor(world.nurse_a),
        world.patient_a,
        "cssrs_recent",
        NEGATIVE_SCREEN,
        administered_at=at_ten_past + timedelta(minutes=2),
    )
    with time_machine.travel(at_ten_past + timedelta(seconds=20), tick=False):
        do_record_assessment(actor(world.nurse_a), world.patient_a, "phq9", phq9(1))
        session = checks_ok(world.nurse_a, session)
    assert _cssrs_check(session).result != "yes"


def test_a_screen_typed_a_minute_before_the_answer_does_not_count(
    world: Any, as_user: Any, at_ten_past: datetime
) -> None:
    session = _session(world)
    nurse = as_user(world.nurse_a)
    _post(nurse, world, "phq9", phq9(1), at_ten_past)
    with time_machine.travel(at_ten_past + timedelta(seconds=30), tick=False):
        _post(nurse, world, "cssrs_recent", NEGATIVE_SCREEN, at_ten_past - timedelta(minutes=1))
        session = checks_ok(world.nurse_a, session)
    assert _cssrs_check(session).result != "yes"


def test_a_portal_phq9_timed_to_the_second_is_answered_by_a_screen_typed_in_its_minute(
    world: Any, as_user: Any, at_ten_past: datetime
) -> None:
    session = _session(world)
    with time_machine.travel(at_ten_past + timedelta(seconds=35), tick=False):
        do_record_assessment(PORTAL, world.patient_a, "phq9", phq9(1), source=Source.SELF_REPORT)
    with time_machine.travel(at_ten_past + timedelta(seconds=50), tick=False):
        _post(as_user(world.nurse_a), world, "cssrs_recent", NEGATIVE_SCREEN, at_ten_past)
        session = checks_ok(world.nurse_a, session)
    assert _cssrs_check(session).result == "yes", _cssrs_check(session).note


def _checks_then_screen(world: Any, **answers: tuple[str, str]) -> TreatmentSession:
    """The checklist is recorded before the C-SSRS the PHQ-9 asked for, then it is done."""
    session = _session(world)
    do_record_assessment(actor(world.nurse_a), world.patient_a, "phq9", phq9(1))
    session = actions.do_record_checks(
        actor(world.nurse_a), session, {**answers_for(session), **answers}, NORMAL
    )
    assert not session.checks_passed
    assert any("C-SSRS" in p for p in session.check_problems)
    do_record_assessment(actor(world.nurse_a), world.patient_a, "cssrs_recent", NEGATIVE_SCREEN)
    return session


def test_a_screen_recorded_after_the_checklist_no_longer_stands_as_a_problem(world: Any) -> None:
    session = _checks_then_screen(world, ride_home=("no", "Ride not confirmed yet"))
    standing = standing_problems(session)
    assert not any("C-SSRS" in p for p in standing), standing
    # A typed "no" is the nurse's answer: it stands until the checklist is recorded again.
    assert any(p.startswith("Ride home confirmed") for p in standing), standing


def test_a_chart_problem_arising_after_the_checklist_stands(world: Any) -> None:
    session = checks_ok(world.nurse_a, _session(world))
    assert session.checks_passed and standing_problems(session) == []
    do_record_assessment(actor(world.nurse_a), world.patient_a, "phq9", phq9(1))
    assert any("C-SSRS" in p for p in standing_problems(session))


def test_the_dose_starts_once_the_screen_is_recorded_without_re_entering_the_checklist(
    world: Any,
) -> None:
    session = _checks_then_screen(world)
    calc = actions.session_dose(session)
    actions.do_start_dose(
        actor(world.nurse_a),
        session,
        {"lot_number": "LOT-1", "expiry": date(2099, 1, 1), "given_mg": calc.dose_mg},
    )


# --- 2. one crisis per patient at a time -------------------------------------------------------


def _portal_phq9_then_high_cssrs(world: Any) -> tuple[RiskFlag, RiskFlag]:
    phq = do_record_assessment(PORTAL, world.patient_a, "phq9", phq9(3), source=Source.SELF_REPORT)
    screen = do_record_assessment(
        actor(world.prescriber_a), world.patient_a, "cssrs_recent", HIGH_SCREEN
    )
    return RiskFlag.objects.get(assessment=phq), RiskFlag.objects.get(assessment=screen)


def test_a_portal_phq9_and_its_high_cssrs_make_one_crisis_and_one_dosing_block(
    world: Any,
) -> None:
    first, second = _portal_phq9_then_high_cssrs(world)
    assert (first.level, second.level) == ("high", "high") and first.pk != second.pk
    crisis = CrisisRecord.objects.get(patient=world.patient_a)
    assert crisis.flag == first
    assert CrisisFlag.objects.get(flag=second).crisis == crisis
    assert crisis_flag_ids(crisis) == [first.pk, second.pk]
    assert crisis_of(first) == crisis == crisis_of(second)
    assert DosingBlock.objects.filter(patient=world.patient_a).count() == 1
    assert len(dosing_block_reasons(world.patient_a)) == 1
    assert AuditEntry.objects.filter(action="safety.crisis.opened").count() == 1
    joined = AuditEntry.objects.get(action="safety.crisis.flag_joined")
    assert joined.detail["flag"] == second.pk


def test_each_flag_of_the_crisis_still_escalates_until_it_is_acknowledged(world: Any) -> None:
    first, second = _portal_phq9_then_high_cssrs(world)
    assert FlagEscalation.objects.filter(flag__in=[first, second]).count() == 2
    do_acknowledge(
        actor(world.prescriber_a), world.prescriber_a, first, "saw_patient", "With the patient."
    )
    assert FlagEscalation.objects.get(flag=first).state == EscalationState.ACKNOWLEDGED
    assert FlagEscalation.objects.get(flag=second).state != EscalationState.ACKNOWLEDGED
    second.refresh_from_db()
    assert second.status == FlagStatus.OPEN


def test_closing_the_crisis_on_its_page_resolves_every_flag_linked_to_it(
    world: Any, as_user: Any
) -> None:
    first, second = _portal_phq9_then_high_cssrs(world)
    do_acknowledge(
        actor(world.prescriber_a), world.prescriber_a, first, "saw_patient", "With the patient."
    )
    crisis = CrisisRecord.objects.get(patient=world.patient_a)
    url = f"/patients/{world.patient_a.pk}/crisis/crisis/{crisis.pk}/"
    page = as_user(world.nurse_a).get(url).content.decode()
    assert 'data-testid="crisis-joined-flags"' in page and f"/flags/{second.pk}/" in page
    record_all(world.prescriber_a, crisis)
    response = as_user(world.prescriber_a).post(
        url + "close/", {"summary": "Evaluated; outpatient with plan, follow-up Thursday."}
    )
    assert response.status_code == 302
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == FlagStatus.RESOLVED
    # The acknowledged one keeps its acknowledgment; the other is acknowledged by the close.
    assert first.action_taken.startswith("Saw the patient")
    assert second.acknowledged_by == world.prescriber_a
    assert second.action_taken.startswith("Crisis record closed:")
    assert FlagEscalation.objects.get(flag=second).state == EscalationState.ACKNOWLEDGED
    resolved = AuditEntry.objects.filter(action="safety.flag.resolved")
    assert set(resolved.values_list("object_id", flat=True)) == {str(first.pk), str(second.pk)}


def test_a_high_flag_after_the_crisis_was_closed_opens_a_new_crisis(world: Any) -> None:
    _portal_phq9_then_high_cssrs(world)
    crisis = CrisisRecord.objects.get(patient=world.patient_a)
    record_all(world.prescriber_a, crisis)
    do_close_crisis(actor(world.prescriber_a), crisis, "Evaluated; outpatient with plan.")
    later = do_record_assessment(PORTAL, world.patient_a, "phq9", phq9(3), source="self_report")
    flag = RiskFlag.objects.get(assessment=later)
    assert CrisisRecord.objects.filter(patient=world.patient_a).count() == 2
    assert crisis_of(flag) == CrisisRecord.objects.get(flag=flag, status="open")
    assert not CrisisFlag.objects.filter(flag=flag).exists()


def test_a_moderate_flag_does_not_join_the_open_crisis(world: Any) -> None:
    _portal_phq9_then_high_cssrs(world)
    moderate = do_record_assessment(PORTAL, world.patient_a, "phq9", phq9(1), source="self_report")
    flag = RiskFlag.objects.get(assessment=moderate)
    assert flag.level == "moderate" and crisis_of(flag) is None
    assert CrisisRecord.objects.count() == 1


def test_a_high_flag_joins_a_crisis_a_clinician_opened_from_the_chart(world: Any) -> None:
    crisis = do_open_crisis(actor(world.prescriber_a), world.patient_a, "Called in distress.")
    phq = do_record_assessment(PORTAL, world.patient_a, "phq9", phq9(3), source="self_report")
    flag = RiskFlag.objects.get(assessment=phq)
    assert crisis_of(flag) == crisis and crisis_flag_ids(crisis) == [flag.pk]
    assert DosingBlock.objects.filter(patient=world.patient_a).count() == 1
    record_all(world.prescriber_a, crisis)
    do_close_crisis(actor(world.prescriber_a), crisis, "Evaluated; outpatient with plan.")
    flag.refresh_from_db()
    assert flag.status == FlagStatus.RESOLVED


def test_a_flag_joining_after_the_block_was_cleared_blocks_dosing_again(world: Any) -> None:
    """A prescriber's clearance covered what was known then, not a new disclosure."""
    yesterday = timezone.now() - timedelta(days=1)
    with time_machine.travel(yesterday, tick=False):
        do_record_assessment(PORTAL, world.patient_a, "phq9", phq9(3), source="self_report")
    block = DosingBlock.objects.get(patient=world.patient_a)
    do_clear_dosing_block(actor(world.prescriber_a), block, "Evaluated in person, safe to dose.")
    assert dosing_block_reasons(world.patient_a) == []
    screen = do_record_assessment(
        actor(world.prescriber_a), world.patient_a, "cssrs_recent", HIGH_SCREEN
    )
    flag = RiskFlag.objects.get(assessment=screen)
    crisis = CrisisRecord.objects.get(patient=world.patient_a)
    assert crisis_of(flag) == crisis
    assert DosingBlock.objects.filter(crisis=crisis, flag=flag, cleared_at=None).exists()
    assert dosing_block_reasons(world.patient_a)


def test_a_joined_flag_links_to_its_crisis_and_ends_in_fhir_when_it_closes(
    world: Any, as_user: Any, api_client: Any, token_for: Any
) -> None:
    """The flag page of a joined flag links to the crisis record it joined, and once the
    record is closed FHIR gives the flag its period end like the flag that opened it."""
    first, second = _portal_phq9_then_high_cssrs(world)
    crisis = CrisisRecord.objects.get(patient=world.patient_a)
    page = as_user(world.nurse_a).get(f"/safety/flags/{second.pk}/").content.decode()
    assert 'data-testid="crisis-link"' in page and "the crisis record it joined" in page
    page = as_user(world.nurse_a).get(f"/safety/flags/{first.pk}/").content.decode()
    assert "Open its crisis record" in page
    record_all(world.prescriber_a, crisis)
    do_close_crisis(actor(world.prescriber_a), crisis, "Evaluated; outpatient with plan.")
    crisis.refresh_from_db()
    api = api_client(token_for(world.prescriber_a))
    body = api.get(f"/fhir/Flag/flag-{second.pk}").json()
    assert body["status"] == "inactive"
    assert body["period"]["end"].startswith(crisis.closed_at.isoformat()[:16])
