"""Per-clinic response and remission rules: the library defaults until a clinic changes them
(with a reason, audited), applied to every course of that clinic's patients and no other's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.clinical.response import ResponseRules
from ketacare.measures.actions import do_open_episode, do_record_assessment
from ketacare.measures.models import ClinicResponseRules
from ketacare.measures.response_settings import do_set_response_rules, response_rules_for
from tests.measures.response_helpers import DEFAULT_FORM, PAGE, SETUP, phq9


def course_from_20_to_5(patient: Any) -> None:
    """Baseline 20, latest 5: a response by the defaults, remission if PHQ-9 ≤ 5 is."""
    start = timezone.now() - timedelta(days=30)
    episode = do_open_episode(
        SETUP, patient, {"title": "IV", "primary_scale": "phq9", "started_on": start.date()}
    )
    for days, total in ((0, 20), (14, 5)):
        do_record_assessment(
            SETUP, patient, "phq9", phq9(total), episode=episode,
            administered_at=start + timedelta(days=days),
        )  # fmt: skip


def settings_shown(body: str) -> dict[str, str]:
    found = {}
    for chunk in body.split('data-testid="response-setting"')[1:]:
        key = chunk.split('data-key="', 1)[1].split('"', 1)[0]
        found[key] = chunk.split('data-value="', 1)[1].split('"', 1)[0]
    return found


def test_the_page_shows_the_library_defaults_with_their_sources(world: Any, as_user: Any) -> None:
    response = as_user(world.admin_a).get(PAGE)
    body = response.content.decode()
    assert response.status_code == 200
    assert settings_shown(body) == {
        "remission.phq9": "4",
        "remission.madrs": "10",
        "remission.qids_sr16": "5",
        "partial_response_pct": "30",
        "relapse_consecutive": "1",
        "baseline_lookback_days": "28",
    }
    assert "SUSTAIN-3" in body and "ESCAPE-TRD" in body and "Never changed" in body
    assert response_rules_for(world.clinic_a) == ResponseRules()


def test_a_prescriber_changes_remission_with_a_reason_and_courses_follow(
    world: Any, as_user: Any
) -> None:
    course_from_20_to_5(world.patient_a)
    client = as_user(world.prescriber_a)
    chart = client.get(f"/patients/{world.patient_a.pk}/assessments/episodes/").content.decode()
    assert 'data-status="response"' in chart
    data = {**DEFAULT_FORM, "remission__phq9": "5", "reason": "Programme: PHQ-9 ≤ 5"}
    assert client.post(PAGE, data).status_code == 302
    row = ClinicResponseRules.objects.get(clinic=world.clinic_a)
    assert row.remission_at_or_below == {"phq9": 5}  # only what differs from the library
    assert row.partial_response_pct is None and row.updated_by == world.prescriber_a
    entry = AuditEntry.objects.get(action="measures.response_rules.changed")
    assert entry.clinic_id == world.clinic_a.pk
    assert entry.detail["changes"] == {"remission.phq9": [4, 5]}
    assert entry.detail["reason"] == "Programme: PHQ-9 ≤ 5"
    # Every page that shows the course now uses the clinic's definition, and says so.
    episodes = client.get(f"/patients/{world.patient_a.pk}/assessments/episodes/")
    assert 'data-status="remission"' in episodes.content.decode()
    assert "this clinic&#x27;s setting of" in episodes.content.decode()
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-status="remission"' in chart
    trajectories = client.get(
        f"/patients/{world.patient_a.pk}/assessments/trajectories/"
    ).content.decode()
    assert "Remission ≤5" in trajectories
    page = client.get(PAGE).content.decode()
    assert settings_shown(page)["remission.phq9"] == "5" and "changed; default 4" in page
    assert page.count('data-testid="response-change"') == 1


def test_bad_input_is_refused_naming_the_field_and_nothing_is_saved(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.admin_a)
    no_reason = {**DEFAULT_FORM, "remission__madrs": "12"}
    response = client.post(PAGE, no_reason)
    assert response.status_code == 400 and 'data-field="reason"' in response.content.decode()
    out_of_range = {**DEFAULT_FORM, "remission__phq9": "28", "reason": "typo"}
    response = client.post(PAGE, out_of_range)
    assert response.status_code == 400
    assert 'data-field="remission__phq9"' in response.content.decode()
    too_high = {**DEFAULT_FORM, "partial_response_pct": "60", "reason": "typo"}
    response = client.post(PAGE, too_high)
    assert 'data-field="partial_response_pct"' in response.content.decode()
    assert not ClinicResponseRules.objects.exists()
    assert not AuditEntry.objects.filter(action="measures.response_rules.changed").exists()


def test_only_admins_and_prescribers_open_the_page(world: Any, as_user: Any) -> None:
    for user in (world.nurse_a, world.therapist_a, world.intake_a):
        assert as_user(user).get(PAGE).status_code == 403
        assert as_user(user).post(PAGE, {**DEFAULT_FORM, "reason": "x"}).status_code == 403
    assert not ClinicResponseRules.objects.exists()


def test_clinic_b_neither_sees_nor_changes_clinic_a_rules(world: Any, as_user: Any) -> None:
    a_client = as_user(world.prescriber_a)
    a_client.post(PAGE, {**DEFAULT_FORM, "remission__madrs": "12", "reason": "A-only programme"})
    b_client = as_user(world.clinician_b)
    body = b_client.get(PAGE).content.decode()
    assert settings_shown(body)["remission.madrs"] == "10"  # B sees its own defaults
    assert "A-only programme" not in body  # nor A's history
    b_client.post(PAGE, {**DEFAULT_FORM, "remission__phq9": "3", "reason": "strict"})
    assert response_rules_for(world.clinic_a).remission_at_or_below["phq9"] == 4
    assert response_rules_for(world.clinic_a).remission_at_or_below["madrs"] == 12
    assert response_rules_for(world.clinic_b).remission_at_or_below["madrs"] == 10
    assert response_rules_for(world.clinic_b).remission_at_or_below["phq9"] == 3
    # B's stricter PHQ-9 rule does not change how A's patient is classified.
    course_from_20_to_5(world.patient_a)
    a_client.post(PAGE, {**DEFAULT_FORM, "remission__phq9": "5", "reason": "programme"})
    episodes = a_client.get(f"/patients/{world.patient_a.pk}/assessments/episodes/")
    assert 'data-status="remission"' in episodes.content.decode()
    # And B cannot open A's patient to see the course at all.
    other = b_client.get(f"/patients/{world.patient_a.pk}/assessments/episodes/")
    assert other.status_code == 404


def test_setting_a_default_again_stores_no_override(world: Any) -> None:
    who = Actor(user_id=world.admin_a.pk, label="admin")
    do_set_response_rules(who, world.clinic_a, {"partial_response_pct": 25}, "EU-PEARL reading")
    assert response_rules_for(world.clinic_a).partial_response_pct == 25
    do_set_response_rules(who, world.clinic_a, {"partial_response_pct": 30}, "back to S33")
    row = ClinicResponseRules.objects.get(clinic=world.clinic_a)
    assert row.partial_response_pct is None and row.remission_at_or_below == {}
    assert response_rules_for(world.clinic_a) == ResponseRules()


def test_the_action_refuses_unknown_settings_and_non_numbers(world: Any) -> None:
    who = Actor(user_id=world.admin_a.pk, label="admin")
    with pytest.raises(ActionError) as unknown:
        do_set_response_rules(who, world.clinic_a, {"response_pct": 40}, "no")
    assert unknown.value.field == "response_pct"
    with pytest.raises(ActionError) as text:
        do_set_response_rules(who, world.clinic_a, {"remission.phq9": "5"}, "no")  # type: ignore[dict-item]  # a wrong type on purpose
    assert text.value.field == "remission.phq9"
    with pytest.raises(ActionError) as reason:
        do_set_response_rules(who, world.clinic_a, {"remission.phq9": 5}, "  ")
    assert reason.value.field == "reason"
    assert not ClinicResponseRules.objects.exists()
