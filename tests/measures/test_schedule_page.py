"""The clinic's schedule page: admins and prescribers add, disable and re-enable rules."""

from __future__ import annotations

from datetime import date
from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.measures.models import DueAssessment, RuleKind, ScheduleRule
from ketacare.measures.scheduling import DEFAULT_RULES, generate_due_items

PAGE = "/measures/schedule/"


def test_opening_the_page_seeds_the_recommended_schedule(world: Any, as_user: Any) -> None:
    response = as_user(world.admin_a).get(PAGE)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="rule"') == len(DEFAULT_RULES)
    assert "PCL-5" in body and "only F43.1" in body and "every 7 days" in body
    assert not ScheduleRule.objects.filter(clinic=world.clinic_b).exists()


def test_prescriber_adds_an_interval_rule(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    data = {
        "scale_code": "qids_sr16",
        "kind": RuleKind.INTERVAL,
        "interval_days": "14",
        "grace_days": "3",
        "diagnosis_prefixes": "f33, F32.A",
    }
    assert client.post(PAGE, data).status_code == 302
    rule = ScheduleRule.objects.get(scale_code="qids_sr16")
    assert (rule.interval_days, rule.grace_days, rule.diagnosis_prefixes) == (14, 3, "F33, F32.A")
    assert AuditEntry.objects.filter(action="measures.schedule.rule_added").exists()


def test_bad_rules_are_refused_naming_the_field(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    no_days = {"scale_code": "phq9", "kind": RuleKind.INTERVAL, "grace_days": "2"}
    response = client.post(PAGE, no_days)
    assert response.status_code == 400 and 'data-field="interval_days"' in response.content.decode()
    bad_prefix = {**no_days, "interval_days": "7", "diagnosis_prefixes": "PTSD"}
    response = client.post(PAGE, bad_prefix)
    body = response.content.decode()
    assert response.status_code == 400 and 'data-field="diagnosis_prefixes"' in body
    assert (
        not ScheduleRule.objects.filter(scale_code="phq9", kind=RuleKind.INTERVAL)
        .exclude(interval_days=7, diagnosis_prefixes="")
        .exists()
    )


def test_disabling_a_rule_cancels_its_open_items(
    world: Any, as_user: Any, open_episode: Any
) -> None:
    open_episode(started_on=date(2026, 5, 4))
    generate_due_items(world.clinic_a, date(2026, 5, 4))
    rule = ScheduleRule.objects.get(clinic=world.clinic_a, scale_code="gad7", kind="baseline")
    client = as_user(world.admin_a)
    assert client.post(f"{PAGE}{rule.pk}/toggle/").status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    assert DueAssessment.objects.get(scale_code="gad7").status == "cancelled"
    assert DueAssessment.objects.get(scale_code="phq9").status == "open"
    client.post(f"{PAGE}{rule.pk}/toggle/")
    rule.refresh_from_db()
    assert rule.is_active


def test_other_roles_and_other_clinics_cannot_change_the_schedule(world: Any, as_user: Any) -> None:
    for user in (world.nurse_a, world.therapist_a, world.intake_a, world.director_a):
        assert as_user(user).get(PAGE).status_code == 403
    as_user(world.admin_a).get(PAGE)
    rule = ScheduleRule.objects.filter(clinic=world.clinic_a).first()
    assert rule is not None
    assert as_user(world.clinician_b).post(f"{PAGE}{rule.pk}/toggle/").status_code == 404
    rule.refresh_from_db()
    assert rule.is_active
