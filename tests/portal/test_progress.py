"""Progress in plain language, from final assessments only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.measures.actions import do_mark_entered_in_error, do_record_assessment
from ketacare.portal.progress import sentence
from tests.conftest import SYSTEM


def phq9_total(total: int) -> dict[str, int]:
    answers = {f"phq9-{i}": 0 for i in range(1, 10)}
    for i in range(1, 9):
        step = min(3, total)
        answers[f"phq9-{i}"] = step
        total -= step
    return answers


def record(patient: Any, total: int, days_ago: int) -> Any:
    a = do_record_assessment(SYSTEM, patient, "phq9", phq9_total(total))
    type(a).objects.filter(pk=a.pk).update(
        administered_at=timezone.now() - timedelta(days=days_ago)
    )
    return a


def test_sentence_wording() -> None:
    assert sentence("PHQ-9", 19, 8) == "Your PHQ-9 went from 19 to 8, a 58 % improvement."
    assert "50 % higher than at the start" in sentence("PHQ-9", 8, 12)
    assert sentence("PHQ-9", 5, 5) == "Your PHQ-9 is 5, the same as your first score."
    assert sentence("MOAA/S", 2, 4, higher_is_better=True).endswith("a 100 % improvement.")


def test_progress_page_shows_own_final_scores_with_a_chart(portal: Any, world: Any) -> None:
    record(world.patient_a, 19, 30)
    record(world.patient_a, 12, 15)
    wrong = record(world.patient_a, 27, 5)
    do_mark_entered_in_error(SYSTEM, wrong, "typed into the wrong chart")
    record(world.patient_a, 8, 1)
    record(portal.a2.patient, 3, 2)  # someone else's
    body = portal.client(portal.a).get("/portal/progress/").content.decode()
    assert "went from 19 to 8, a 58 % improvement" in body
    assert "<svg" in body
    assert ">27<" not in body  # the score entered in error is not shown
    assert body.count("<tr><td>") == 3


def test_no_scores_yet(portal: Any) -> None:
    body = portal.client(portal.a).get("/portal/progress/").content.decode()
    assert "after your first questionnaire" in body


def test_a_latest_score_that_raised_a_risk_flag_is_not_called_an_improvement(
    portal: Any, world: Any
) -> None:
    """Minutes after an item-9 answer, "a 36 % improvement" is the wrong message: the
    sentence says the care team has been told and points to the crisis lines instead."""
    record(world.patient_a, 22, 30)
    answers = phq9_total(14)
    answers["phq9-9"] = 3  # thoughts of being better off dead, nearly every day
    answers["phq9-8"] = max(0, answers["phq9-8"] - 3)
    do_record_assessment(SYSTEM, world.patient_a, "phq9", answers)
    body = portal.client(portal.a).get("/portal/progress/").content.decode()
    assert "improvement" not in body
    assert "your care team has been told" in body and "crisis lines on this page" in body


def test_the_patients_chart_shades_the_clinics_bands(portal: Any, world: Any) -> None:
    """A clinic's MADRS bands (instruments.md §6, a clinic setting) shade the patient's own
    progress chart as they shade the staff trajectories."""
    from ketacare.accounts.audit import Actor
    from ketacare.measures.thresholds_settings import do_set_scoring_thresholds

    madrs = {f"madrs-{i}": 3 for i in range(1, 11)} | {"madrs-10": 5}  # 32
    for days_ago in (20, 2):
        a = do_record_assessment(SYSTEM, world.patient_a, "madrs", madrs)
        type(a).objects.filter(pk=a.pk).update(
            administered_at=timezone.now() - timedelta(days=days_ago)
        )
    body = portal.client(portal.a).get("/portal/progress/").content.decode()
    assert "severe (35–60)" in body
    do_set_scoring_thresholds(
        Actor(user_id=world.admin_a.pk, label="admin", clinic_id=world.clinic_a.pk),
        world.clinic_a,
        {"madrs_severe_from": 31},
        reason="Müller 2003 bands",
    )
    body = portal.client(portal.a).get("/portal/progress/").content.decode()
    assert "severe (31–60)" in body and "severe (35–60)" not in body
