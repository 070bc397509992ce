"""The schedule page offers “before every treatment session” and “during maintenance”."""

from __future__ import annotations

from typing import Any

from ketacare.measures.models import RuleKind, ScheduleRule

PAGE = "/measures/schedule/"


def test_the_rule_editor_offers_the_calendar_rules_with_clear_labels(
    world: Any, as_user: Any
) -> None:
    body = as_user(world.admin_a).get(PAGE).content.decode()
    assert (
        '<option value="before_session">Before every treatment session '
        "(due on the day of each booked session)</option>"
    ) in body
    assert (
        '<option value="maintenance">Every N days (7 = weekly) while the treatment plan is in '
        "a maintenance phase</option>"
    ) in body
    # The recommended schedule has PHQ-9 before every session.
    assert "before every treatment session" in body
    assert ScheduleRule.objects.filter(
        clinic=world.clinic_a, scale_code="phq9", kind=RuleKind.BEFORE_SESSION
    ).exists()


def test_a_maintenance_rule_without_days_is_weekly(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    data = {"scale_code": "gad7", "kind": RuleKind.MAINTENANCE, "grace_days": "2"}
    assert client.post(PAGE, data).status_code == 302
    rule = ScheduleRule.objects.get(scale_code="gad7", kind=RuleKind.MAINTENANCE)
    assert rule.interval_days == 7
    assert "weekly during maintenance" in client.get(PAGE).content.decode()
    fortnightly = {**data, "scale_code": "qids_sr16", "interval_days": "14"}
    assert client.post(PAGE, fortnightly).status_code == 302
    assert ScheduleRule.objects.get(scale_code="qids_sr16").interval_days == 14


def test_a_before_session_rule_ignores_days(world: Any, as_user: Any) -> None:
    client = as_user(world.prescriber_a)
    data = {
        "scale_code": "cssrs_recent",
        "kind": RuleKind.BEFORE_SESSION,
        "interval_days": "5",
        "grace_days": "0",
    }
    assert client.post(PAGE, data).status_code == 302
    rule = ScheduleRule.objects.get(scale_code="cssrs_recent", kind=RuleKind.BEFORE_SESSION)
    assert rule.interval_days is None and rule.grace_days == 0


def test_clinic_b_cannot_toggle_clinic_a_calendar_rules(world: Any, as_user: Any) -> None:
    as_user(world.admin_a).get(PAGE)  # seeds A's defaults
    rule = ScheduleRule.objects.get(clinic=world.clinic_a, kind=RuleKind.BEFORE_SESSION)
    response = as_user(world.clinician_b).post(f"/measures/schedule/{rule.pk}/toggle/")
    assert response.status_code == 404
    rule.refresh_from_db()
    assert rule.is_active
