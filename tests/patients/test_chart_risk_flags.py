"""An open risk flag is visible at the top of the chart the moment it is raised."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import Actor
from ketacare.measures.actions import do_record_assessment


def test_item9_flag_shows_at_the_top_of_the_chart_and_in_the_safety_section(
    world: Any, as_user: Any
) -> None:
    answers = {f"phq9-{i}": 0 for i in range(1, 9)} | {"phq9-9": 1}
    do_record_assessment(Actor(label="t"), world.patient_a, "phq9", answers)
    body = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="risk-alert"' in body
    assert "1 open risk flag" in body and "C-SSRS required before the next dose" in body
    assert "PHQ-9 item 9 above 0" in body  # the safety section names the source


def test_no_alert_without_open_flags(world: Any, as_user: Any) -> None:
    body = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert 'data-testid="risk-alert"' not in body and "No risk flags on file." in body
