"""The demo clinic shows the full range of courses a clinic sees."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ketacare.clinical.response import classify_course
from ketacare.demo.loader import load_demo
from ketacare.measures.models import Assessment, EpisodeOfCare
from ketacare.safety.models import RiskFlag


def test_demo_has_responders_remitters_non_responders_a_relapse_and_item9_flags(db: Any) -> None:
    load_demo()
    statuses: Counter[str] = Counter()
    for episode in EpisodeOfCare.objects.all():
        scores = list(
            Assessment.objects.filter(episode=episode, scale_code="phq9")
            .order_by("administered_at")
            .values_list("administered_at", "total")
        )
        baseline, *rest = scores
        course = classify_course("phq9", baseline[1], [(w.date(), t) for w, t in rest])
        statuses[str(course.status)] += 1
    assert statuses["response"] >= 3 and statuses["remission"] >= 3
    assert statuses["relapse"] >= 1
    assert statuses["no_improvement"] + statuses["worsening"] >= 3
    assert RiskFlag.objects.filter(source="phq9_item9").count() >= 2
    months = {e.started_on.month for e in EpisodeOfCare.objects.all()}
    assert len(months) >= 6  # histories of 3–12 months
