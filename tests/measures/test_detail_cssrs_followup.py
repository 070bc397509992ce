"""The result page of a risk answer (PHQ-9 item 9, QIDS-SR16 item 12) says a C-SSRS screen
followed only when the dosing gate would count it: complete, not entered in error, given
after the answer (measures.screens.screen_after; clinical.md §16a)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures.actions import do_record_assessment

SETUP = Actor(label="test-setup")


def item9_positive(world: Any) -> Any:
    answers = {**{f"phq9-{n}": 0 for n in range(1, 9)}, "phq9-9": 1}
    return do_record_assessment(
        SETUP,
        world.patient_a,
        "phq9",
        answers,
        context="pre_session",
        administered_at=timezone.now() - timedelta(minutes=10),
    )


def detail(client: Any, world: Any, assessment: Any) -> str:
    url = f"/patients/{world.patient_a.pk}/assessments/{assessment.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_incomplete_cssrs_does_not_count_as_the_screen_that_followed(
    world: Any, as_user: Any
) -> None:
    phq = item9_positive(world)
    # Q1 answered, then the screen was saved unfinished: no risk level, not a screen.
    do_record_assessment(
        SETUP,
        world.patient_a,
        "cssrs_recent",
        {"cssrs_recent-1": 1},
        allow_incomplete=True,
    )
    page = detail(as_user(world.nurse_a), world, phq)
    assert 'data-testid="cssrs-done"' not in page
    assert "a C-SSRS screen is required today" in page


def test_a_complete_cssrs_after_the_answer_is_shown_as_done(world: Any, as_user: Any) -> None:
    phq = item9_positive(world)
    no_risk = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}
    do_record_assessment(SETUP, world.patient_a, "cssrs_recent", no_risk)
    page = detail(as_user(world.nurse_a), world, phq)
    assert 'data-testid="cssrs-done"' in page and "risk: none" in page
    assert "a C-SSRS screen is required today" not in page
