"""The patient's own progress in plain words, from final (signed) assessments only.

"Your PHQ-9 went from 19 to 8, a 58 % improvement." The percent is the fall from the first
score to the latest one (clinical.md §12 measures change against baseline the same way).
Scores entered in error are never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ketacare.clinical import scales
from ketacare.measures.forms import short_name
from ketacare.measures.models import Assessment, AssessmentStatus
from ketacare.measures.svg import Frame, Point, Shade, trajectory_svg
from ketacare.measures.thresholds_settings import scoring_thresholds_for
from ketacare.measures.views_trajectories import HIGHER_IS_BETTER, band_shades
from ketacare.patients.models import Patient

# Scales whose totals patients see with a trend: the self-rated ones with a total.
SKIP = frozenset({"cssrs_recent"})


RISK_SENTENCE = (
    "Your {name} went from {first} to {latest}. Your last answers also told us about thoughts "
    "of death or of hurting yourself: your care team has been told and will contact you. If "
    "you might act on them, use the crisis lines on this page now."
)


def sentence(name: str, first: int, latest: int, higher_is_better: bool = False) -> str:
    """One plain-language sentence about the change from `first` to `latest`."""
    if first == latest:
        return f"Your {name} is {latest}, the same as your first score."
    if first == 0:
        return f"Your {name} went from 0 to {latest}."
    pct = round(abs(first - latest) * 100 / first)
    better = latest > first if higher_is_better else latest < first
    if better:
        return f"Your {name} went from {first} to {latest}, a {pct} % improvement."
    return (
        f"Your {name} went from {first} to {latest}, {pct} % higher than at the start. "
        "Your care team sees this too; if things feel harder, send them a message."
    )


@dataclass(frozen=True)
class ScaleProgress:
    code: str
    name: str
    sentence: str
    rows: list[tuple[date, int, str]]
    svg: str


def for_patient(patient: Patient) -> list[ScaleProgress]:
    final = (
        Assessment.objects.filter(
            patient=patient, status=AssessmentStatus.FINAL, total__isnull=False
        )
        .exclude(scale_code__in=SKIP)
        .order_by("administered_at", "pk")
    )
    by_scale: dict[str, list[Assessment]] = {}
    for a in final:
        if a.scale_code in scales.SCALES:
            by_scale.setdefault(a.scale_code, []).append(a)
    # A latest score whose answers raised a risk flag (PHQ-9 item 9, QIDS item 12) is not
    # called an improvement: the flag, not the total, is what the care team acts on.
    from ketacare.safety.models import RiskFlag

    latest_ids = [items[-1].pk for items in by_scale.values()]
    flagged = set(
        RiskFlag.objects.filter(assessment_id__in=latest_ids).values_list(
            "assessment_id", flat=True
        )
    )
    # The clinic's bands where they are configurable (MADRS, pain NRS), as the staff charts.
    thresholds = scoring_thresholds_for(patient.clinic_id)
    result = []
    for code, items in by_scale.items():
        scale = scales.get_scale(code)
        name = short_name(scale)
        first, latest = items[0].total, items[-1].total
        assert first is not None and latest is not None
        rows = [(a.administered_at.date(), int(a.total or 0), a.band) for a in items]
        shades: list[Shade] = band_shades(scale, thresholds) if scale.bands else []
        svg = ""
        if len(items) > 1 and scale.min_total is not None and scale.max_total is not None:
            svg = trajectory_svg(
                title=f"Your {name} scores",
                description=f"{len(items)} scores; first {first}, latest {latest}. "
                "Every score is in the table below.",
                points=[
                    Point(a.administered_at.date(), float(a.total or 0), f"{name} {a.total}")
                    for a in items
                ],
                y_min=scale.min_total,
                y_max=scale.max_total,
                bands=shades,
                chart_id=f"progress-{code}",
                frame=Frame(width=380, height=240, left=34, right=96, top=26, bottom=40),
            )
        result.append(
            ScaleProgress(
                code=code,
                name=name,
                sentence=RISK_SENTENCE.format(name=name, first=first, latest=latest)
                if items[-1].pk in flagged and len(items) > 1
                else sentence(name, first, latest, code in HIGHER_IS_BETTER)
                if len(items) > 1
                else f"Your first {name} score is {latest}.",
                rows=rows,
                svg=svg,
            )
        )
    return result
