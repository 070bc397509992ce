"""The crisis record pages: reachable from the chart, each step a form, refusals name the
field (400), only prescribers clear a dosing block, and clinic B sees nothing of clinic A."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.safety.crisis_models import CrisisRecord, CrisisStep, DosingBlock
from tests.safety.crisis_helpers import high_flag

pytestmark = pytest.mark.django_db


def _url(crisis: CrisisRecord, tail: str = "") -> str:
    return f"/patients/{crisis.patient_id}/crisis/crisis/{crisis.pk}/{tail}"


def test_chart_links_to_the_crisis_record_and_shows_the_block(world: Any, as_user: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    chart = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    overview_url = f"/patients/{world.patient_a.pk}/crisis/"
    assert overview_url in chart
    overview = as_user(world.nurse_a).get(overview_url).content.decode()
    assert _url(crisis) in overview and "Dosing blocked" in overview
    page = as_user(world.nurse_a).get(_url(crisis))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Stay with the patient" in body and "Do not leave the patient alone" in body
    assert AuditEntry.objects.filter(action="safety.crisis.viewed").exists()


def test_nurse_records_the_steps_through_the_page(world: Any, as_user: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    client = as_user(world.nurse_a)
    r = client.post(_url(crisis, "step/stay/"), {"stay-who": "Nina Nurse"})
    assert r.status_code == 302
    follow = (timezone.localtime() + timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(
        _url(crisis, "step/disposition/"),
        {"disposition-disposition": "outpatient", "disposition-follow_up_at": follow},
    )
    assert r.status_code == 302
    crisis.refresh_from_db()
    assert crisis.disposition == "outpatient"
    assert list(CrisisStep.objects.values_list("kind", flat=True)) == ["stay", "disposition"]


def test_bad_follow_up_re_renders_naming_the_field(world: Any, as_user: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    soon = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    r = as_user(world.prescriber_a).post(
        _url(crisis, "step/disposition/"),
        {"disposition-disposition": "outpatient", "disposition-follow_up_at": soon},
    )
    assert r.status_code == 400
    assert 'data-field="follow_up_at"' in r.content.decode()
    assert not CrisisStep.objects.exists()
    r = as_user(world.prescriber_a).post(
        _url(crisis, "step/stay/"), {"stay-occurred_at": "yesterday-ish", "stay-who": "x"}
    )
    assert r.status_code == 400 and "occurred_at" in r.content.decode()


def test_close_with_steps_missing_is_refused(world: Any, as_user: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    r = as_user(world.prescriber_a).post(_url(crisis, "close/"), {"summary": "done"})
    assert r.status_code == 400 and "Record who stayed with the patient first" in r.content.decode()
    crisis.refresh_from_db()
    assert crisis.status == "open"


@pytest.mark.parametrize("who", ["intake_a", "admin_a", "director_a"])
def test_non_clinicians_cannot_record_steps(world: Any, as_user: Any, who: str) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    r = as_user(getattr(world, who)).post(_url(crisis, "step/stay/"), {"stay-who": "x"})
    assert r.status_code == 403
    assert not CrisisStep.objects.exists()


def test_only_a_prescriber_clears_the_block_from_the_page(world: Any, as_user: Any) -> None:
    high_flag(world.patient_a)
    block = DosingBlock.objects.get()
    url = f"/patients/{world.patient_a.pk}/crisis/blocks/{block.pk}/clear/"
    assert as_user(world.nurse_a).post(url, {"reason": "fine"}).status_code == 403
    r = as_user(world.prescriber_a).post(url, {"reason": ""})
    assert r.status_code == 400 and 'data-field="reason"' in r.content.decode()
    r = as_user(world.prescriber_a).post(url, {"reason": "Evaluated; low risk."})
    assert r.status_code == 302
    block.refresh_from_db()
    assert block.cleared_by == world.prescriber_a


def test_clinic_b_cannot_see_or_change_clinic_a_crisis(world: Any, as_user: Any) -> None:
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    block = DosingBlock.objects.get()
    b = as_user(world.clinician_b)
    assert b.get(_url(crisis)).status_code == 404
    assert b.post(_url(crisis, "step/stay/"), {"stay-who": "x"}).status_code == 404
    url = f"/patients/{world.patient_a.pk}/crisis/blocks/{block.pk}/clear/"
    assert b.post(url, {"reason": "x"}).status_code == 404
    # Their own patient's URL with clinic A's record id is not found either.
    other = f"/patients/{world.patient_b.pk}/crisis/crisis/{crisis.pk}/"
    assert b.get(other).status_code == 404
    block.refresh_from_db()
    assert block.cleared_at is None and not CrisisStep.objects.exists()


def test_overview_lists_records_and_opens_one(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    url = f"/patients/{world.patient_a.pk}/crisis/"
    assert client.get(url).status_code == 200
    r = client.post(url + "crisis/open/", {"reason": ""})
    assert r.status_code == 400
    r = client.post(url + "crisis/open/", {"reason": "Disclosed a plan in session"})
    assert r.status_code == 302
    assert "Crisis record of" in client.get(url).content.decode()


def test_a_future_step_time_is_shown_once_under_its_field_in_words(
    world: Any, as_user: Any
) -> None:
    """The refusal sits under the time field without the code's name for it, and the summary
    at the top names the field by its label; the same words are not repeated."""
    crisis = CrisisRecord.objects.get(flag=high_flag(world.patient_a))
    later = (timezone.localtime() + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    r = as_user(world.nurse_a).post(
        _url(crisis, "step/stay/"), {"stay-who": "Sam Okafor, RN", "stay-occurred_at": later}
    )
    body = r.content.decode()
    assert r.status_code == 400 and not CrisisStep.objects.exists()
    assert "occurred_at:" not in body and "occurred_at cannot" not in body
    assert body.count("the time cannot be in the future.") == 2  # the summary and the field
    assert 'value="Sam Okafor, RN"' in body  # nothing typed is lost
