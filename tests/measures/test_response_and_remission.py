"""Response and remission per episode of care, against its baseline, shown with the rule."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures.actions import (
    do_mark_entered_in_error,
    do_open_episode,
    do_record_assessment,
)
from ketacare.measures.course import course_of, load_scores
from ketacare.measures.models import Assessment, EpisodeOfCare

SETUP = Actor(label="test-setup")


def phq9(total: int) -> dict[str, int]:
    values = []
    for _ in range(8):
        values.append(min(3, total))
        total -= values[-1]
    return {f"phq9-{i + 1}": v for i, v in enumerate([*values, 0])}


def course_with(world: Any, totals: list[int], **episode: Any) -> tuple[EpisodeOfCare, list[Any]]:
    start = timezone.now() - timedelta(days=7 * len(totals) + 1)
    ep = do_open_episode(
        SETUP,
        world.patient_a,
        {"title": "IV ketamine for TRD", "primary_scale": "phq9", "started_on": start.date()}
        | episode,
    )
    made = []
    for week, total in enumerate(totals):
        made.append(
            do_record_assessment(
                SETUP,
                world.patient_a,
                "phq9",
                phq9(total),
                episode=ep,
                administered_at=start + timedelta(days=7 * week),
                context="intake_baseline" if week == 0 else "pre_session",
            )
        )
    return ep, made


def section(world: Any, as_user: Any) -> str:
    body = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/").content.decode()
    return body.split('id="assessments"', 1)[1].split("</section>", 1)[0]


def test_a_responder_is_shown_with_the_rule_that_made_it_a_response(
    world: Any, as_user: Any
) -> None:
    course_with(world, [20, 16, 12, 9])
    html = section(world, as_user)
    assert 'data-status="response"' in html and ">Response<" in html
    assert "baseline <strong>20</strong>" in html and "latest <strong>9</strong>" in html
    assert "(−55.0%)" in html
    assert "9 vs baseline 20 (-55.0%): a fall of at least 50%" in html
    assert "response ≥50% fall (clinical.md §7c, §12)" in html


def test_a_remitter_is_shown_as_remission_with_its_threshold(world: Any, as_user: Any) -> None:
    course_with(world, [20, 10, 4])
    html = section(world, as_user)
    assert 'data-status="remission"' in html and ">Remission<" in html
    assert "at or below remission 4" in html


def test_a_relapse_after_response_is_shown_as_relapse(world: Any, as_user: Any) -> None:
    course_with(world, [20, 9, 8, 15])
    html = section(world, as_user)
    assert 'data-status="relapse"' in html and ">Relapse<" in html
    assert "the fall from baseline is below 50%" in html


def test_early_and_partial_improvement_and_no_baseline(world: Any, as_user: Any) -> None:
    ep, _ = course_with(world, [20, 16])
    assert course_of(ep, load_scores(world.patient_a)).status == "early_improvement"
    ep2, _ = course_with(world, [20, 13])
    assert course_of(ep2, load_scores(world.patient_a)).status == "partial_response"
    empty = do_open_episode(SETUP, world.patient_b, {"title": "x", "primary_scale": "madrs"})
    none = course_of(empty, load_scores(world.patient_b))
    assert none.status == "undetermined" and none.reasons[0].startswith("No baseline yet")


def test_the_latest_marked_baseline_wins_over_earlier_scores(world: Any) -> None:
    ep, made = course_with(world, [25, 20, 10])
    # Mark week 1 as the baseline too: it is closer to treatment, so it is the baseline.
    Assessment.objects.filter(pk=made[1].pk).update(context="intake_baseline")
    course = course_of(ep, load_scores(world.patient_a))
    assert course.baseline is not None and course.baseline.total == 20
    assert [s.total for s in course.follow_ups] == [10]
    assert course.status == "response"


def test_an_intake_score_taken_before_the_episode_was_opened_is_its_baseline(world: Any) -> None:
    start = timezone.now() - timedelta(days=30)
    do_record_assessment(
        SETUP, world.patient_a, "phq9", phq9(18), administered_at=start - timedelta(days=10)
    )
    ep = do_open_episode(
        SETUP, world.patient_a, {"title": "x", "primary_scale": "phq9", "started_on": start.date()}
    )
    do_record_assessment(SETUP, world.patient_a, "phq9", phq9(8), episode=ep)
    course = course_of(ep, load_scores(world.patient_a))
    assert course.baseline is not None and course.baseline.total == 18
    assert course.status == "response"


def test_entered_in_error_scores_do_not_count_toward_response(world: Any, as_user: Any) -> None:
    ep, made = course_with(world, [20, 16, 4])
    do_mark_entered_in_error(SETUP, made[-1], "wrong patient")
    course = course_of(ep, load_scores(world.patient_a))
    assert course.latest is not None and course.latest.total == 16
    assert course.status == "early_improvement"
    assert 'data-status="early_improvement"' in section(world, as_user)


def test_a_zero_baseline_is_undetermined_with_its_reason(world: Any) -> None:
    ep, _ = course_with(world, [0, 3])
    course = course_of(ep, load_scores(world.patient_a))
    assert course.status == "undetermined" and "Baseline total is 0" in course.reasons[0]
