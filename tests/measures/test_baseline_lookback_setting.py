"""How many days before an episode's start a score without an episode still counts as its
baseline: 28 by default ([PRACTICE]), a clinic setting on the response-rules page (7-42),
applied to that clinic's courses only, audited, refused out of range."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.measures.actions import do_open_episode, do_record_assessment
from ketacare.measures.models import ClinicResponseRules
from ketacare.measures.response_settings import response_rules_for
from tests.measures.response_helpers import DEFAULT_FORM, PAGE, SETUP, phq9


def intake_35_days_before_the_episode(patient: Any) -> None:
    """An intake PHQ-9 of 20 taken 35 days before the episode opened, then 8 in the episode."""
    start = timezone.now() - timedelta(days=10)
    do_record_assessment(
        SETUP, patient, "phq9", phq9(20), administered_at=start - timedelta(days=35)
    )
    episode = do_open_episode(
        SETUP, patient, {"title": "IV", "primary_scale": "phq9", "started_on": start.date()}
    )
    do_record_assessment(SETUP, patient, "phq9", phq9(8), episode=episode, administered_at=start)


def episodes_page(client: Any, patient: Any) -> str:
    return client.get(f"/patients/{patient.pk}/assessments/episodes/").content.decode()


def test_by_default_a_score_35_days_before_the_start_is_not_the_baseline(
    world: Any, as_user: Any
) -> None:
    intake_35_days_before_the_episode(world.patient_a)
    body = episodes_page(as_user(world.prescriber_a), world.patient_a)
    assert "up to 28 days before the start date" in body
    assert 'data-status="response"' not in body  # the baseline is the 8 taken in the episode
    assert response_rules_for(world.clinic_a).baseline_lookback_days == 28


def test_a_clinic_lookback_of_42_days_makes_it_the_baseline_for_that_clinic_only(
    world: Any, as_user: Any
) -> None:
    intake_35_days_before_the_episode(world.patient_a)
    client = as_user(world.admin_a)
    data = {**DEFAULT_FORM, "baseline_lookback_days": "42", "reason": "intake runs 6 weeks ahead"}
    assert client.post(PAGE, data).status_code == 302
    body = episodes_page(as_user(world.prescriber_a), world.patient_a)
    assert "up to 42 days before the start date" in body
    assert 'data-status="response"' in body  # 20 → 8 is a 60 % fall
    assert ClinicResponseRules.objects.get().baseline_lookback_days == 42
    entry = AuditEntry.objects.get(action="measures.response_rules.changed")
    assert entry.detail["changes"] == {"baseline_lookback_days": [28, 42]}
    assert response_rules_for(world.clinic_b).baseline_lookback_days == 28
    page = client.get(PAGE).content.decode()
    assert 'data-key="baseline_lookback_days" data-value="42"' in page
    assert "changed; default 28" in page and "clinical.md §2a" in page


def test_a_lookback_outside_7_to_42_days_is_refused_naming_the_field(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.admin_a)
    for value in ("6", "43", "four"):
        response = client.post(
            PAGE, {**DEFAULT_FORM, "baseline_lookback_days": value, "reason": "x"}
        )
        body = response.content.decode()
        assert response.status_code == 400
        assert 'data-field="baseline_lookback_days"' in body and f'value="{value}"' in body
    assert not ClinicResponseRules.objects.exists()
    assert not AuditEntry.objects.filter(action="measures.response_rules.changed").exists()


def test_a_nurse_cannot_change_the_lookback(world: Any, as_user: Any) -> None:
    data = {**DEFAULT_FORM, "baseline_lookback_days": "42", "reason": "x"}
    assert as_user(world.nurse_a).post(PAGE, data).status_code == 403
    assert not ClinicResponseRules.objects.exists()
