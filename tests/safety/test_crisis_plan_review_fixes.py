"""Review fixes of the crisis record and the safety plan: every render of either is an audited
read (a refused POST's too); the follow-up window is compared to the minute the refusal names;
a follow-up time on any disposition is bounded (a year-9999 time is a 400 naming the field,
not a server error); the safety plan's review date is at most 90 days ahead (clinical.md §16c).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.clinical.crisis_rules import (
    follow_up_check,
    other_follow_up_check,
    review_date_check,
)
from ketacare.measures.scheduling import clinic_today
from ketacare.safety.crisis_actions import do_record_step
from ketacare.safety.crisis_models import CrisisRecord, CrisisStep, SafetyPlanVersion
from ketacare.safety.plan_actions import do_save_plan
from tests.safety.crisis_helpers import CRISIS_PLAN, actor, high_flag

pytestmark = pytest.mark.django_db

NY = ZoneInfo("America/New_York")
# 10:00:37 in New York: "now" has seconds, as it has when "When" is left blank.
NOW = datetime(2026, 12, 1, 15, 0, 37, tzinfo=UTC)
FORM = "%Y-%m-%dT%H:%M"


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _url(crisis: CrisisRecord, tail: str = "") -> str:
    return f"/patients/{crisis.patient_id}/crisis/crisis/{crisis.pk}/{tail}"


def _plan_url(world: Any, tail: str = "") -> str:
    return f"/patients/{world.patient_a.pk}/crisis/plan/{tail}"


def _crisis(world: Any) -> CrisisRecord:
    return CrisisRecord.objects.get(flag=high_flag(world.patient_a, world.nurse_a))


def _seq() -> int:
    last = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def _since(seq: int, action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(seq__gt=seq, action=action).order_by("seq"))


def _disposition(client: Any, crisis: CrisisRecord, disposition: str, follow_up: str) -> Any:
    return client.post(
        _url(crisis, "step/disposition/"),
        {"disposition-disposition": disposition, "disposition-follow_up_at": follow_up},
    )


def _local_now() -> datetime:
    return timezone.now().astimezone(NY)


def _nothing_stored(crisis: CrisisRecord) -> None:
    crisis.refresh_from_db()
    assert not CrisisStep.objects.filter(record=crisis).exists()
    assert crisis.disposition == "" and crisis.follow_up_at is None


# --- 1. every render of safety content is an audited read -------------------------------------


def test_the_plan_edit_form_is_audited_as_a_read_of_the_plan(world: Any, as_user: Any) -> None:
    plan = do_save_plan(actor(world.prescriber_a), world.patient_a, CRISIS_PLAN)
    seq = _seq()
    r = as_user(world.nurse_a).get(_plan_url(world, "edit/"))
    assert r.status_code == 200 and CRISIS_PLAN["help_contacts"] in r.content.decode()
    (entry,) = _since(seq, "safety.plan.viewed")
    assert entry.patient_id == str(world.patient_a.pk)
    assert (entry.object_type, entry.object_id) == ("safety_plan", str(plan.pk))
    assert entry.detail == {"version": 1, "page": "edit"}
    assert entry.actor_id == world.nurse_a.pk


def test_the_empty_plan_edit_form_is_audited_on_the_patient(world: Any, as_user: Any) -> None:
    seq = _seq()
    r = as_user(world.nurse_a).get(_plan_url(world, "edit/"))
    assert r.status_code == 200
    (entry,) = _since(seq, "safety.plan.viewed")
    assert (entry.object_type, entry.patient_id) == ("patient", str(world.patient_a.pk))


def test_a_refused_plan_save_is_audited_as_a_read_and_saves_nothing(
    world: Any, as_user: Any
) -> None:
    do_save_plan(actor(world.prescriber_a), world.patient_a, CRISIS_PLAN)
    seq = _seq()
    data = {**CRISIS_PLAN, "based_on": "1", "review_due_on": "2099-01-01"}
    r = as_user(world.prescriber_a).post(_plan_url(world, "edit/"), data)
    assert r.status_code == 400
    assert 'data-field="review_due_on"' in r.content.decode()
    assert SafetyPlanVersion.objects.filter(patient=world.patient_a).count() == 1
    assert not _since(seq, "safety.plan.saved")
    (entry,) = _since(seq, "safety.plan.viewed")
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.detail == {"version": 1, "page": "edit", "refused": True}


def test_the_crisis_page_is_audited_once_per_view(world: Any, as_user: Any) -> None:
    crisis = _crisis(world)
    seq = _seq()
    assert as_user(world.nurse_a).get(_url(crisis)).status_code == 200
    (entry,) = _since(seq, "safety.crisis.viewed")
    assert (entry.object_type, entry.object_id) == ("crisis_record", str(crisis.pk))
    assert entry.patient_id == str(world.patient_a.pk) and entry.detail == {}


@pytest.mark.parametrize(
    ("tail", "data", "kind"),
    [
        ("step/stay/", {"stay-who": ""}, "stay"),  # refused by the action
        ("step/stay/", {"stay-who": "N", "stay-occurred_at": "yesterday-ish"}, "stay"),  # form
        ("close/", {"summary": "Patient went home with sister, all fine."}, "close"),
        ("addendum/", {"note": ""}, "addendum"),
    ],
)
def test_a_refused_post_that_shows_the_record_again_is_audited(
    world: Any, as_user: Any, tail: str, data: dict[str, str], kind: str
) -> None:
    crisis = _crisis(world)
    seq = _seq()
    r = as_user(world.nurse_a).post(_url(crisis, tail), data)
    assert r.status_code == 400
    assert "Said they have a plan tonight" in r.content.decode()  # the whole record again
    (entry,) = _since(seq, "safety.crisis.viewed")
    assert (entry.object_type, entry.object_id) == ("crisis_record", str(crisis.pk))
    assert entry.patient_id == str(world.patient_a.pk)
    assert entry.detail == {"refused": kind}
    crisis.refresh_from_db()
    assert crisis.status == "open"
    assert not CrisisStep.objects.filter(record=crisis).exists()
    assert not _since(seq, f"safety.crisis.{'closed' if kind == 'close' else kind}")


# --- 2. the outpatient window, to the minute it names -----------------------------------------


@pytest.mark.parametrize(
    ("after", "ok"),
    [
        (timedelta(hours=24), True),
        (timedelta(hours=23, minutes=59), False),
        (timedelta(hours=72), True),
        (timedelta(hours=72, minutes=1), False),
    ],
)
def test_outpatient_follow_up_is_compared_to_the_minute(
    world: Any, as_user: Any, frozen: None, after: timedelta, ok: bool
) -> None:
    crisis = _crisis(world)
    typed = (_local_now() + after).strftime(FORM)  # "When" left blank: now, 10:00:37
    r = _disposition(as_user(world.prescriber_a), crisis, "outpatient", typed)
    if ok:
        assert r.status_code == 302
        crisis.refresh_from_db()
        assert crisis.disposition == "outpatient"
        assert crisis.follow_up_at == datetime.strptime(typed, FORM).replace(tzinfo=NY)
    else:
        assert r.status_code == 400
        body = r.content.decode()
        assert 'data-field="follow_up_at"' in body
        assert "between 2026-12-02 10:00 and 2026-12-04 10:00" in body
        _nothing_stored(crisis)


def test_both_minutes_the_refusal_names_are_accepted(
    world: Any, as_user: Any, frozen: None
) -> None:
    crisis = _crisis(world)
    client = as_user(world.prescriber_a)
    r = _disposition(
        client, crisis, "outpatient", (_local_now() + timedelta(hours=2)).strftime(FORM)
    )
    assert r.status_code == 400
    named = re.search(r"between ([0-9-]+ [0-9:]+) and ([0-9-]+ [0-9:]+)", r.content.decode())
    assert named is not None
    for minute in named.groups():
        r = _disposition(client, crisis, "outpatient", minute.replace(" ", "T"))
        assert r.status_code == 302, minute
    assert _since(0, "safety.crisis.disposition")


def test_the_rule_names_whole_minutes_and_accepts_them() -> None:
    decided = datetime(2026, 12, 1, 10, 0, 37, tzinfo=NY)
    assert follow_up_check(decided, datetime(2026, 12, 2, 10, 0, tzinfo=NY)).ok
    assert follow_up_check(decided, datetime(2026, 12, 4, 10, 0, tzinfo=NY)).ok
    refused = follow_up_check(decided, datetime(2026, 12, 2, 9, 59, tzinfo=NY))
    assert "between 2026-12-02 10:00 and 2026-12-04 10:00" in refused.reasons[0]
    assert not follow_up_check(decided, datetime(2026, 12, 4, 10, 1, tzinfo=NY)).ok


# --- 3. every disposition's follow-up is bounded ----------------------------------------------


@pytest.mark.parametrize("disposition", ["outpatient", "emergency_transfer", "voluntary_admission"])
@pytest.mark.parametrize("typed", ["9999-12-31T23:59", "9999-12-31T12:00", "0001-01-01T00:00"])
def test_an_absurd_follow_up_is_a_400_naming_the_field(
    world: Any, as_user: Any, disposition: str, typed: str
) -> None:
    crisis = _crisis(world)
    client = as_user(world.prescriber_a)
    client.raise_request_exception = False
    seq = _seq()
    r = _disposition(client, crisis, disposition, typed)
    assert r.status_code == 400
    assert 'data-field="follow_up_at"' in r.content.decode()
    _nothing_stored(crisis)
    assert not _since(seq, "safety.crisis.disposition")
    assert [e.detail for e in _since(seq, "safety.crisis.viewed")] == [{"refused": "disposition"}]


@pytest.mark.parametrize("disposition", ["emergency_transfer", "voluntary_admission"])
@pytest.mark.parametrize(
    ("after", "ok"),
    [
        (timedelta(0), True),  # the disposition's own minute
        (timedelta(minutes=-1), False),
        (timedelta(days=-9000), False),  # 2000-something: before the disposition
        (timedelta(days=14), True),
        (timedelta(days=365), True),
        (timedelta(days=365, minutes=1), False),
    ],
)
def test_other_dispositions_follow_up_is_after_it_and_within_a_year(
    world: Any, as_user: Any, frozen: None, disposition: str, after: timedelta, ok: bool
) -> None:
    crisis = _crisis(world)
    typed = (_local_now() + after).strftime(FORM)
    r = _disposition(as_user(world.prescriber_a), crisis, disposition, typed)
    if ok:
        assert r.status_code == 302
        crisis.refresh_from_db()
        assert crisis.disposition == disposition
        assert crisis.follow_up_at == datetime.strptime(typed, FORM).replace(tzinfo=NY)
    else:
        assert r.status_code == 400
        body = r.content.decode()
        assert 'data-field="follow_up_at"' in body and "within 365 days" in body
        _nothing_stored(crisis)


def test_other_dispositions_still_need_no_follow_up(world: Any, as_user: Any) -> None:
    crisis = _crisis(world)
    r = _disposition(as_user(world.prescriber_a), crisis, "voluntary_admission", "")
    assert r.status_code == 302
    crisis.refresh_from_db()
    assert crisis.disposition == "voluntary_admission" and crisis.follow_up_at is None


@pytest.mark.parametrize("disposition", ["outpatient", "emergency_transfer"])
def test_the_action_refuses_a_year_9999_follow_up_naming_the_field(
    world: Any, disposition: str
) -> None:
    crisis = _crisis(world)
    data = {"disposition": disposition, "follow_up_at": datetime(9999, 12, 31, 23, 59, tzinfo=NY)}
    with pytest.raises(ActionError) as err:
        do_record_step(actor(world.prescriber_a), crisis, "disposition", data)
    assert err.value.field == "follow_up_at"
    _nothing_stored(crisis)


def test_the_rules_decide_on_a_year_9999_follow_up_without_overflowing() -> None:
    decided = datetime(2026, 12, 1, 10, 0, tzinfo=NY)
    far = datetime(9999, 12, 31, 23, 59, tzinfo=NY)  # no UTC value: 10000-01-01
    assert not follow_up_check(decided, far).ok
    assert not other_follow_up_check(decided, far).ok
    assert other_follow_up_check(decided, None).ok


# --- 4. the safety plan's review date: at most 90 days ahead ----------------------------------


@pytest.mark.parametrize(("days", "ok"), [(1, True), (90, True), (91, False), (0, False)])
def test_the_review_date_is_after_today_and_at_most_90_days_ahead(
    world: Any, days: int, ok: bool
) -> None:
    due = clinic_today(world.clinic_a) + timedelta(days=days)
    seq = _seq()
    data = {**CRISIS_PLAN, "review_due_on": due}
    if ok:
        plan = do_save_plan(actor(world.prescriber_a), world.patient_a, data)
        assert plan.review_due_on == due
        return
    with pytest.raises(ActionError) as err:
        do_save_plan(actor(world.prescriber_a), world.patient_a, data)
    assert err.value.field == "review_due_on"
    assert err.value.message.startswith("review_due_on: ")
    assert not SafetyPlanVersion.objects.exists()
    assert not _since(seq, "safety.plan.saved")
    if days > 0:
        assert "within 90 days" in err.value.message and "clinical.md §16c" in err.value.message


def test_a_review_date_years_ahead_is_refused_on_the_page(world: Any, as_user: Any) -> None:
    seq = _seq()
    data = {**CRISIS_PLAN, "based_on": "0", "review_due_on": "2099-01-01"}
    r = as_user(world.prescriber_a).post(_plan_url(world, "edit/"), data)
    assert r.status_code == 400
    body = r.content.decode()
    assert 'data-field="review_due_on"' in body
    assert "within 90 days" in body and "clinical.md §16c" in body
    assert CRISIS_PLAN["help_contacts"] in body  # what was typed is kept
    assert not SafetyPlanVersion.objects.exists()
    assert not _since(seq, "safety.plan.saved")


def test_the_default_review_date_is_still_accepted() -> None:
    today = date(2026, 12, 1)
    assert review_date_check(today, today + timedelta(days=30)).ok
    refused = review_date_check(today, date(2099, 1, 1))
    assert not refused.ok and "by 2027-03-01" in refused.reasons[0]
