"""The trajectories page: one server-drawn chart per scale, each with its full data table."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.actions import (
    do_mark_entered_in_error,
    do_open_episode,
    do_record_assessment,
)
from ketacare.measures.views_trajectories import build_panels, session_dates_for

SETUP = Actor(label="test-setup")
NS = {"s": "http://www.w3.org/2000/svg"}


def phq9(total: int) -> dict[str, int]:
    values = []
    for _ in range(8):
        values.append(min(3, total))
        total -= values[-1]
    return {f"phq9-{i + 1}": v for i, v in enumerate([*values, 0])}


def history(world: Any) -> list[Any]:
    start = timezone.now() - timedelta(days=40)
    ep = do_open_episode(
        SETUP,
        world.patient_a,
        {"title": "IV ketamine", "primary_scale": "phq9", "started_on": start.date()},
    )
    made = []
    for week, total in enumerate([20, 15, 11, 9, 6]):
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
    no_risk = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}
    do_record_assessment(SETUP, world.patient_a, "cssrs_recent", no_risk, episode=ep)
    return made


def page(world: Any, as_user: Any) -> str:
    response = as_user(world.therapist_a).get(
        f"/patients/{world.patient_a.pk}/assessments/trajectories/"
    )
    assert response.status_code == 200
    return response.content.decode()


def svg_of(body: str, code: str) -> ET.Element:
    panel = body.split(f'data-testid="panel-{code}"', 1)[1]
    markup = "<svg" + panel.split("<svg", 1)[1].split("</svg>", 1)[0] + "</svg>"
    return ET.fromstring(markup)  # noqa: S314  # our own server-rendered markup


def test_each_scale_gets_a_chart_with_bands_baseline_response_line_and_titled_points(
    world: Any, as_user: Any
) -> None:
    history(world)
    body = page(world, as_user)
    svg = svg_of(body, "phq9")
    assert len(svg.findall("s:rect[@class='band']", NS)) == 5
    points = svg.findall("s:circle[@class='point']", NS)
    assert len(points) == 5
    titles = [p.find("s:title", NS).text or "" for p in points]  # type: ignore[union-attr]
    assert "PHQ-9 20 (severe) · Intake baseline" in titles[0]
    assert "PHQ-9 6 (mild) · Pre-session" in titles[-1]
    labels = [t.text for t in svg.findall("s:text[@class='ref-label']", NS)]
    assert labels == ["Baseline 20", "Response ≤10", "Remission ≤4"]
    assert AuditEntry.objects.filter(action="measures.trajectories.viewed").exists()


def test_a_scale_without_a_total_is_listed_not_plotted(world: Any, as_user: Any) -> None:
    history(world)
    body = page(world, as_user)
    cssrs = body.split('data-testid="panel-cssrs_recent"', 1)[1].split("</section>", 1)[0]
    assert "<svg" not in cssrs and "has no total score" in cssrs and "risk: none" in cssrs


def test_every_value_is_in_the_table_and_errors_are_struck_out_and_not_plotted(
    world: Any, as_user: Any
) -> None:
    made = history(world)
    do_mark_entered_in_error(SETUP, made[2], "Typed into the wrong chart")
    body = page(world, as_user)
    table = body.split('data-testid="panel-phq9"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr") == 6  # header + five rows
    for value in ("20 · severe", "15 · moderately severe", "9 · mild", "6 · mild"):
        assert value in table
    assert '<tr class="struck">' in table and "<del>11 · moderate</del>" in table
    assert "Entered in error: Typed into the wrong chart" in table
    assert len(svg_of(body, "phq9").findall("s:circle[@class='point']", NS)) == 4


def test_primary_scale_panel_shows_the_episode_course(world: Any, as_user: Any) -> None:
    history(world)
    panel = page(world, as_user).split('data-testid="panel-phq9"', 1)[1].split("<figure", 1)[0]
    assert 'data-status="response"' in panel and "a fall of at least 50%" in panel


def test_session_markers_come_from_the_session_dates(world: Any) -> None:
    history(world)
    assert session_dates_for(world.patient_a) == []  # no treatment sessions recorded yet
    from ketacare.measures.models import Assessment, EpisodeOfCare

    assessments = list(Assessment.objects.filter(patient=world.patient_a))
    episodes = list(EpisodeOfCare.objects.filter(patient=world.patient_a))
    day = timezone.localdate() - timedelta(days=20)
    panels = build_panels(assessments, episodes, session_dates=[day])
    phq = next(p for p in panels if p.scale.code == "phq9")
    assert f"Treatment session {day:%Y-%m-%d}" in str(phq.svg)


def test_an_empty_history_says_so(world: Any, as_user: Any) -> None:
    assert "No rating scales recorded for this patient." in page(world, as_user)
