"""An incomplete assessment's page does not say "no score" next to a result it does report.

An unfinished C-SSRS that already reaches high keeps that level (instruments.md §5: more
answers can only raise it), and BPI-SF interference is scored from 4 of 7 answers
(instruments.md §11); the page says which result stands and why the rest is missing.
"""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import Actor
from ketacare.measures.actions import do_record_assessment

SETUP = Actor(label="test-setup")


def detail(client: Any, world: Any, assessment: Any) -> str:
    url = f"/patients/{world.patient_a.pk}/assessments/{assessment.pk}/"
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    return body.split('data-testid="assessment"', 1)[1].split("</dl>", 1)[0]


def test_incomplete_cssrs_at_high_risk_is_not_called_no_score(world: Any, as_user: Any) -> None:
    a = do_record_assessment(
        SETUP,
        world.patient_a,
        "cssrs_recent",
        {"cssrs_recent-1": 1, "cssrs_recent-2": 1, "cssrs_recent-4": 1},
        allow_incomplete=True,
    )
    page = detail(as_user(world.nurse_a), world, a)
    assert "risk: high" in page
    assert "no score" not in page
    assert "could only raise it" in page


def test_incomplete_bpi_with_an_interference_score_is_not_called_no_score(
    world: Any, as_user: Any
) -> None:
    answers = {f"bpi_sf-9{c}": 5 for c in "abcd"}
    a = do_record_assessment(SETUP, world.patient_a, "bpi_sf", answers, allow_incomplete=True)
    page = detail(as_user(world.nurse_a), world, a)
    assert "interference 5" in page
    assert "no score" not in page
    assert "Item 3" in page  # the unanswered severity items are still named


def test_incomplete_phq9_still_says_no_score(world: Any, as_user: Any) -> None:
    a = do_record_assessment(
        SETUP, world.patient_a, "phq9", {"phq9-1": 2, "phq9-2": 1}, allow_incomplete=True
    )
    page = detail(as_user(world.nurse_a), world, a)
    assert "Saved as incomplete: no score." in page
