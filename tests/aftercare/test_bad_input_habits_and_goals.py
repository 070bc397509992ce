"""Bad input on the habits page: a goal's start and target, a logged day, a note's date.

Each refusal is shown under its field in words, every problem at once, what was typed is kept,
and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.aftercare.models import HabitGoal, HabitLog, IntegrationNote
from tests.aftercare.helpers import note_form

pytestmark = pytest.mark.django_db


def _base(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/aftercare/"


def _errors(response: Any, field: str, form: str = "goal_form") -> list[str]:
    return list(response.context[form].errors.get(field, []))


def test_goal_starting_in_1900_or_3026_is_refused_under_the_start(world, as_user):
    client = as_user(world.prescriber_a)
    for day, words in (
        ("1900-01-01", "before the patient was born"),
        ("3026-01-01", "more than two years ahead"),
    ):
        response = client.post(
            _base(world) + "habits/goals/",
            {"kind": "sleep_avg_min", "target": "420", "starts_on": day, "note": "keep"},
        )
        assert response.status_code == 400
        (message,) = _errors(response, "starts_on")
        assert words in message and "check the year" in message
        assert 'value="keep"' in response.content.decode()
    assert not HabitGoal.objects.exists()


def test_goal_target_a_week_or_night_cannot_hold_is_refused(world, as_user):
    client = as_user(world.prescriber_a)
    for kind, target, limit in (
        ("drinks_week_max", "10000", "at most 420"),
        ("sleep_avg_min", "5000", "at most 1440"),
        ("wake_within", "900", "at most 720"),
    ):
        response = client.post(
            _base(world) + "habits/goals/",
            {"kind": kind, "target": target, "starts_on": "2026-01-05"},
        )
        assert response.status_code == 400
        (message,) = _errors(response, "target")
        assert limit in message and target in message
    assert not HabitGoal.objects.exists()


def test_goal_with_a_bad_target_and_a_bad_start_shows_both_at_once(world, as_user):
    response = as_user(world.prescriber_a).post(
        _base(world) + "habits/goals/",
        {"kind": "drinks_week_max", "target": "10000", "starts_on": "3026-01-01"},
    )
    assert response.status_code == 400
    assert _errors(response, "target") and _errors(response, "starts_on")
    assert not HabitGoal.objects.exists()


def test_a_goal_within_the_limits_is_still_set(world, as_user):
    response = as_user(world.prescriber_a).post(
        _base(world) + "habits/goals/",
        {"kind": "active_min_week", "target": "10080", "starts_on": "2026-01-05"},
    )
    assert response.status_code == 302
    assert HabitGoal.objects.get().target == 10080


def test_ending_a_goal_twice_says_so_without_internal_names(world, as_user):
    client = as_user(world.prescriber_a)
    client.post(
        _base(world) + "habits/goals/",
        {"kind": "active_min_week", "target": "150", "starts_on": "2026-01-05"},
    )
    goal = HabitGoal.objects.get()
    client.post(_base(world) + f"habits/goals/{goal.pk}/end/")
    response = client.post(_base(world) + f"habits/goals/{goal.pk}/end/", follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert "Not ended: This goal has already ended." in said
    assert not any("ends_on" in m for m in said)


def test_habit_day_before_the_patient_was_born_is_refused(world, as_user):
    response = as_user(world.nurse_a).post(
        _base(world) + "habits/", {"day": "1900-01-01", "active_minutes": "30"}
    )
    assert response.status_code == 400
    (message,) = _errors(response, "day", "log_form")
    assert "before the patient was born" in message and "check the year" in message
    assert 'value="30"' in response.content.decode()
    assert not HabitLog.objects.exists()


def test_integration_note_held_before_the_patient_was_born_is_refused(world, as_user):
    response = as_user(world.therapist_a).post(
        _base(world) + "integration/new/",
        note_form(held_on="1900-01-01", themes="Kept words", risk="concern", risk_note="Said so"),
    )
    assert response.status_code in (200, 400)
    (message,) = response.context["form"].errors["held_on"]
    assert "before the patient was born" in message and "check the year" in message
    assert "Kept words" in response.content.decode()
    assert not IntegrationNote.objects.exists()
    # No flag was raised for a disclosure on a date that cannot be right.
    from ketacare.safety.models import RiskFlag

    assert not RiskFlag.objects.filter(patient=world.patient_a).exists()
