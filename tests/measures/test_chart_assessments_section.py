"""The chart's Assessments section: latest score per scale, trend, course, links; and cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.clinical.scales import get_scale
from ketacare.measures.actions import do_open_episode, do_record_assessment
from ketacare.measures.models import Assessment

SETUP = Actor(label="test-setup")


def phq9(total: int) -> dict[str, int]:
    values = []
    for _ in range(8):
        values.append(min(3, total))
        total -= values[-1]
    return {f"phq9-{i + 1}": v for i, v in enumerate([*values, 0])}


def section(client: Any, world: Any) -> str:
    body = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    return body.split('data-testid="assessments-section"', 1)[1].split("</section>", 1)[0]


def test_empty_section_offers_to_administer_and_to_open_an_episode(
    world: Any, as_user: Any
) -> None:
    html = section(as_user(world.prescriber_a), world)
    assert "No rating scales recorded for this patient." in html
    assert "Administer a scale" in html and "View trajectories" in html
    assert "Open an episode" in html


def test_section_shows_latest_score_per_scale_with_band_and_trend(world: Any, as_user: Any) -> None:
    earlier = timezone.now() - timedelta(days=7)
    do_record_assessment(SETUP, world.patient_a, "phq9", phq9(18), administered_at=earlier)
    do_record_assessment(SETUP, world.patient_a, "phq9", phq9(11))
    gad = {f"gad7-{n}": 1 for n in range(1, 8)}
    do_record_assessment(SETUP, world.patient_a, "gad7", gad, source="self_report")
    html = section(as_user(world.nurse_a), world)
    phq_row = html.split('data-scale="phq9"', 1)[1].split("</tr>", 1)[0]
    assert "11 · moderate" in phq_row and "↓ 7 from 18" in phq_row and "down 7 since" in phq_row
    gad_row = html.split('data-scale="gad7"', 1)[1].split("</tr>", 1)[0]
    assert "7 · mild" in gad_row and "no earlier score" in gad_row
    assert "self-report" in html  # recent list says who answered
    assert f"/patients/{world.patient_a.pk}/assessments/trajectories/" in html


def test_intake_sees_only_self_report_scales_in_the_quick_picker(world: Any, as_user: Any) -> None:
    html = section(as_user(world.intake_a), world)
    assert '<option value="phq9">' in html and '<option value="madrs">' not in html
    director = section(as_user(world.director_a), world)
    assert "Administer a scale" not in director and "View trajectories" in director


def test_section_lists_the_latest_few_and_renders_in_bounded_queries_with_1000_assessments(
    world: Any, as_user: Any, django_assert_max_num_queries: Any
) -> None:
    episode = do_open_episode(SETUP, world.patient_a, {"title": "IV", "primary_scale": "phq9"})
    scale = get_scale("phq9")
    start = timezone.now() - timedelta(days=1000)
    rows = []
    for i in range(1000):
        answers = phq9(20 - (i % 15))
        result = scale.score(answers)
        rows.append(
            Assessment(
                patient=world.patient_a,
                episode=episode,
                scale_code="phq9" if i % 4 else "gad7",
                scale_version="1",
                answers=answers if i % 4 else {},
                total=result.total,
                band=result.band or "",
                explanation=list(result.explanation),
                context="intake_baseline" if i == 0 else "pre_session",
                administered_at=start + timedelta(days=i),
            )
        )
    Assessment.objects.bulk_create(rows)
    client = as_user(world.nurse_a)
    client.get(f"/patients/{world.patient_a.pk}/")
    # The whole chart grows as other apps add sections; what is bounded here is every query
    # on the measures tables: this section's (episodes with the response rules, scores,
    # recent, latest per scale; the due section: items, links, completeness) and the other
    # sections' that read scores (the aftercare booster rule: episode, rules, scores; the risk
    # timeline: risk screens) — none of them may grow with 1,000 assessments.
    with django_assert_max_num_queries(60) as captured:
        html = section(client, world)
    ours = [q["sql"] for q in captured.captured_queries if 'FROM "measures_' in q["sql"]]
    assert len(ours) <= 12, "\n".join(q[:60] for q in ours)
    assert html.count('class="row-item') == 8  # the latest few; trajectories shows them all
    assert 'data-scale="phq9"' in html and 'data-scale="gad7"' in html
    assert 'data-testid="course"' in html


def test_the_section_adds_a_fixed_number_of_queries_to_the_chart(
    world: Any, as_user: Any, django_assert_num_queries: Any
) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/"
    episode = do_open_episode(SETUP, world.patient_a, {"title": "IV", "primary_scale": "phq9"})
    do_record_assessment(SETUP, world.patient_a, "phq9", phq9(12), episode=episode)
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for week in range(30):
        when = timezone.now() - timedelta(days=7 * (week + 1))
        do_record_assessment(SETUP, world.patient_a, "phq9", phq9(week % 20), administered_at=when)
        do_record_assessment(
            SETUP,
            world.patient_a,
            "gad7",
            {f"gad7-{n}": 1 for n in range(1, 8)},
            administered_at=when,
        )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)
