"""The trajectories page: every scale over time as a server-drawn SVG, with its table.

All of the patient's assessments are read in one query; entered-in-error and incomplete ones
are listed in the tables but never plotted or counted toward response.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.response import RESPONSE_SCALES, ResponseRules
from ketacare.clinical.scales import SCALES, Scale
from ketacare.clinical.thresholds import DEFAULTS, ScoringThresholds, bands_for
from ketacare.measures.course import (
    Course,
    Score,
    course_of,
    pick_baseline,
    response_at_or_below,
    session_dates_for,
)
from ketacare.measures.forms import PRIMARY_SCALES, short_name
from ketacare.measures.models import Assessment, AssessmentStatus, EpisodeOfCare
from ketacare.measures.response_settings import response_rules_for
from ketacare.measures.svg import Point, RefLine, Shade, trajectory_svg
from ketacare.measures.thresholds_settings import scoring_thresholds_for
from ketacare.patients.access import access_patient

# MOAA/S runs the other way: 5 is alert, 0 is unresponsive, so its worst band is the lowest.
HIGHER_IS_BETTER = frozenset({"moaas"})


def band_shades(scale: Scale, thresholds: ScoringThresholds = DEFAULTS) -> list[Shade]:
    """The scale's severity bands as shades: the clinic's where its bands are configurable
    (MADRS, pain NRS; clinical.thresholds), else the library's."""
    bands = bands_for(scale.code, thresholds) or scale.bands
    count = len(bands)
    shades = []
    for index, band in enumerate(bands):
        tone = round(index * 4 / (count - 1)) if count > 1 else 0
        if scale.code in HIGHER_IS_BETTER:
            tone = 4 - tone
        shades.append(Shade(band.low, band.high, band.label, tone))
    return shades


def as_score(a: Assessment) -> Score | None:
    if a.status != AssessmentStatus.FINAL or a.total is None:
        return None
    return Score(a.pk, a.scale_code, a.total, a.administered_at, a.context, a.episode_id)


@dataclass
class Panel:
    """One scale on the page: its chart (if it has a total), its courses and its table."""

    scale: Scale
    rows: list[Assessment]
    svg: SafeString | None = None
    courses: list[Course] = field(default_factory=list)
    plotted: int = 0
    response_pct: float = 50
    remission: int | None = None
    # Whether the chart carries baseline and response lines (scales a course is judged on).
    course_lines: bool = False

    @property
    def short_name(self) -> str:
        return short_name(self.scale)


def _local(moment: datetime) -> datetime:
    """A stored (aware) time as the naive local time the chart's axis is drawn in."""
    return timezone.localtime(moment).replace(tzinfo=None)


def _point_title(a: Assessment, short: str) -> str:
    when = timezone.localtime(a.administered_at)
    band = f" ({a.band})" if a.band else ""
    by = "self-report" if a.source == "self_report" else a.by_label
    return f"{when:%Y-%m-%d %H:%M} · {short} {a.total}{band} · {a.get_context_display()} · {by}"


def _reference_lines(
    scale: Scale, scores: list[Score], episodes: Sequence[EpisodeOfCare], rules: ResponseRules
) -> list[RefLine]:
    """Baseline and response line per episode (over its span), and the remission threshold.

    Baseline and response lines only on scales a course is judged on (`PRIMARY_SCALES`:
    symptom totals where lower is better; response = a fall from baseline, clinical.md §12).
    On MOAA/S a fall is deeper sedation (clinical.md §10), and CADSS, AUDIT-C and the
    screeners are not followed against a treatment baseline: a "Response" line there would
    name a worse or meaningless score a response. The response line itself only on the scales
    clinical.md §12 defines response on (`RESPONSE_SCALES`: PHQ-9, MADRS, QIDS-SR16).
    """
    lines: list[RefLine] = []
    if scale.code not in PRIMARY_SCALES:
        return lines
    response_legend = f"Response ({rules.response_pct:g}% fall)"
    courses = [course_of(e, scores, rules, scale.code) for e in episodes]
    spans = []
    for course in courses:
        if course.baseline is None:
            continue
        end = course.episode.ended_on or (_local(course.latest.at) if course.latest else None)
        spans.append((course.baseline, _local(course.baseline.at), end, course.episode.title))
    if not spans and scores:
        # No episode to measure against: the first score (or the marked baseline) stands in.
        first = pick_baseline(scores)
        if first is not None:
            spans.append((first, _local(first.at), None, ""))
    for baseline, start, end, title in spans:
        suffix = f" · {title[:14]}" if len(spans) > 1 else ""
        total = baseline.total
        lines.append(RefLine(total, f"Baseline {total}{suffix}", "baseline", start, end))
        if scale.code not in RESPONSE_SCALES:
            continue  # no response definition on this scale (clinical.md §12): baseline only
        lines.append(
            RefLine(
                total * (1 - rules.response_pct / 100),
                f"Response ≤{response_at_or_below(total, rules)}",
                "response",
                start,
                end,
                legend=response_legend,
            )
        )
    remission = rules.remission_at_or_below.get(scale.code)
    if remission is not None:
        # Drawn between remission and not (≤4 means the line sits at 4.5), like the bands.
        lines.append(RefLine(remission + 0.5, f"Remission ≤{remission}", "remission"))
    return lines


def build_panels(
    assessments: Sequence[Assessment],
    episodes: Sequence[EpisodeOfCare],
    session_dates: Sequence[date] = (),
    rules: ResponseRules | None = None,
    thresholds: ScoringThresholds = DEFAULTS,
) -> list[Panel]:
    """One panel per scale the patient has, in the library's order (the primary scale first)."""
    rules = rules or ResponseRules()
    by_scale: dict[str, list[Assessment]] = {}
    for a in assessments:
        by_scale.setdefault(a.scale_code, []).append(a)
    primary = [e.primary_scale for e in episodes]
    order = sorted(
        (code for code in by_scale if code in SCALES),
        key=lambda code: (code not in primary, list(SCALES).index(code)),
    )
    panels = []
    for code in order:
        scale = SCALES[code]
        rows = by_scale[code]
        panel = Panel(
            scale,
            list(reversed(rows)),
            response_pct=rules.response_pct,
            remission=rules.remission_at_or_below.get(code),
            course_lines=code in PRIMARY_SCALES,
        )
        scores = [s for s in (as_score(a) for a in rows) if s is not None]
        panel.courses = [
            course_of(e, scores, rules, code) for e in episodes if e.primary_scale == code
        ]
        if scale.min_total is not None and scale.max_total is not None and scores:
            short = short_name(scale)
            points = [
                Point(
                    _local(a.administered_at),
                    a.total,
                    _point_title(a, short),
                )
                for a in rows
                if a.status == AssessmentStatus.FINAL and a.total is not None
            ]
            panel.plotted = len(points)
            svg = trajectory_svg(
                title=f"{scale.name} over time",
                description=(
                    f"{len(points)} {short} score(s) from {points[0].when:%Y-%m-%d} to "
                    f"{points[-1].when:%Y-%m-%d}; latest {points[-1].value:g}. "
                    "Every value is in the table below the chart."
                ),
                points=points,
                y_min=scale.min_total,
                y_max=scale.max_total,
                bands=band_shades(scale, thresholds),
                lines=_reference_lines(scale, scores, episodes, rules),
                session_dates=session_dates,
                chart_id=f"chart-{code}",
            )
            # Every text in the SVG was escaped by svg.trajectory_svg.
            panel.svg = mark_safe(svg)  # noqa: S308
        panels.append(panel)
    return panels


@staff_view(Perm.PATIENT_VIEW)
@require_GET
def trajectories(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id)
    assessments = list(
        Assessment.objects.filter(patient=patient)
        .select_related("administered_by", "episode")
        .defer("answers", "explanation", "fhir_response")
        .order_by("administered_at", "pk")
    )
    episodes = list(EpisodeOfCare.objects.filter(patient=patient).select_related("diagnosis"))
    panels = build_panels(
        assessments,
        episodes,
        session_dates_for(patient),
        response_rules_for(patient.clinic_id),
        scoring_thresholds_for(patient.clinic_id),
    )
    audit(
        request,
        "measures.trajectories.viewed",
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"assessments": len(assessments)},
    )
    return render(
        request,
        "measures/trajectories.html",
        {
            "patient": patient,
            "panels": panels,
            "episodes": episodes,
            "can_record": has_perm(request.membership, Perm.ASSESSMENT_RECORD),
            "can_manage_episodes": has_perm(request.membership, Perm.EPISODE_MANAGE),
        },
    )
