"""Baseline and response lines are drawn only on scales a course of treatment is judged on.

Response is a fall of >=50% from baseline on a symptom scale where lower is better
(clinical.md §12; measures.forms.PRIMARY_SCALES). On MOAA/S a fall is deeper sedation (5 alert,
0 unresponsive; clinical.md §10), and CADSS is read per session against pre-dose
(instruments.md §8): a "Response" line on their charts would call sedation or a quiet session
a treatment response.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor
from ketacare.measures.actions import do_open_episode, do_record_assessment
from ketacare.measures.models import Assessment, EpisodeOfCare
from ketacare.measures.views_trajectories import build_panels

SETUP = Actor(label="test-setup")


def record(world: Any, code: str, answers: dict[str, int], days_ago: int) -> None:
    do_record_assessment(
        SETUP,
        world.patient_a,
        code,
        answers,
        administered_at=timezone.now() - timedelta(days=days_ago),
    )


def panels(world: Any) -> dict[str, Any]:
    assessments = list(Assessment.objects.filter(patient=world.patient_a).order_by("pk"))
    episodes = list(EpisodeOfCare.objects.filter(patient=world.patient_a))
    return {p.scale.code: p for p in build_panels(assessments, episodes)}


def test_moaas_and_cadss_charts_have_no_response_or_baseline_line(world: Any) -> None:
    do_open_episode(
        SETUP,
        world.patient_a,
        {
            "title": "IV ketamine",
            "primary_scale": "phq9",
            "started_on": timezone.localdate() - timedelta(days=10),
        },
    )
    record(world, "moaas", {"moaas-1": 5}, 3)
    record(world, "moaas", {"moaas-1": 2}, 2)
    record(world, "cadss6", {f"cadss6-{n}": 2 for n in (1, 2, 6, 7, 15, 22)}, 3)
    record(world, "cadss6", {f"cadss6-{n}": 0 for n in (1, 2, 6, 7, 15, 22)}, 2)
    found = panels(world)
    for code in ("moaas", "cadss6"):
        svg = str(found[code].svg)
        assert "Response" not in svg and "Baseline" not in svg, code
        assert 'class="point"' in svg  # still plotted


def test_moaas_chart_without_any_episode_has_no_response_line(world: Any) -> None:
    record(world, "moaas", {"moaas-1": 5}, 3)
    record(world, "moaas", {"moaas-1": 1}, 2)
    svg = str(panels(world)["moaas"].svg)
    assert "Response" not in svg and "Baseline" not in svg


def test_the_depression_scale_keeps_its_baseline_and_response_line(world: Any) -> None:
    phq = {f"phq9-{n}": 2 for n in range(1, 9)} | {"phq9-9": 0}
    record(world, "phq9", phq, 3)
    svg = str(panels(world)["phq9"].svg)
    assert "Baseline 16" in svg and "Response ≤8" in svg


def test_gad7_keeps_its_baseline_but_draws_no_response_line(world: Any) -> None:
    """GAD-7 has no response definition (clinical.md §12 defines response on depression
    scales), so its chart shows the baseline and no "Response" line, as its course shows the
    change and never names a response."""
    gad = {f"gad7-{n}": 2 for n in range(1, 8)}  # 14
    record(world, "gad7", gad, 3)
    record(world, "gad7", {f"gad7-{n}": 1 for n in range(1, 8)}, 1)  # 7
    svg = str(panels(world)["gad7"].svg)
    assert "Baseline 14" in svg and "Response" not in svg
