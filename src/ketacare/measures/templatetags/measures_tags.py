"""The chart's Assessments section, as an inclusion tag, and small display filters.

    {% load measures_tags %}{% assessments_section patient %}

The section costs four queries whatever the history's length: episodes, the latest two
assessments per scale (one window query), the few most recent assessments, and the totals
the episodes' courses are computed from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template
from django.db.models import F, Window
from django.db.models.functions import RowNumber

from ketacare.accounts.permissions import Perm, has_perm
from ketacare.clinical.scales import SCALES
from ketacare.measures.course import Course, courses_for, load_scores
from ketacare.measures.forms import short_name
from ketacare.measures.models import Assessment, AssessmentStatus, EpisodeOfCare, EpisodeStatus
from ketacare.measures.response_settings import response_rules_preloaded
from ketacare.patients.models import Patient

register = template.Library()

RECENT = 8  # assessments listed on the chart; the trajectories page lists them all
# Suicide-item answers above 0, tagged beside the score: PHQ-9 item 9 (instruments.md §1) and
# QIDS-SR16 item 12, which gets the same follow-up (instruments.md §7, platform policy).
SAFETY_TAGS = {"item9_positive": "item 9 positive", "item12_positive": "item 12 positive"}
HEAVY_FIELDS = ("answers", "explanation", "fhir_response")


@register.filter
def result_text(a: Assessment) -> str:
    """What an assessment came to, in a few words: "12 · moderate", "risk: high", ..."""
    if a.total is not None:
        return f"{a.total} · {a.band}" if a.band else str(a.total)
    if a.risk_level:
        return f"risk: {a.risk_level}"
    if a.mean_scores:
        return ", ".join(f"{name} {value:g}" for name, value in a.mean_scores.items())
    return "incomplete — no score"


@register.filter
def scale_short(code: str) -> str:
    scale = SCALES.get(code)
    return short_name(scale) if scale else code


@register.filter
def percent(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f}%".replace("-", "−")


@dataclass(frozen=True)
class Latest:
    """The latest assessment of one scale and how it moved since the one before."""

    latest: Assessment
    previous: Assessment | None

    @property
    def short_name(self) -> str:
        return scale_short(self.latest.scale_code)

    @property
    def safety_tags(self) -> list[str]:
        return [SAFETY_TAGS[f] for f in self.latest.flags or () if f in SAFETY_TAGS]

    @property
    def change(self) -> int | None:
        if self.previous is None or self.latest.total is None or self.previous.total is None:
            return None
        return self.latest.total - self.previous.total

    @property
    def trend(self) -> str:
        change = self.change
        if change is None or self.previous is None:
            return ""
        if change == 0:
            return "unchanged"
        arrow = "↓" if change < 0 else "↑"
        return f"{arrow} {abs(change)} from {self.previous.total}"

    @property
    def trend_words(self) -> str:
        change = self.change
        if change is None:
            return "no earlier score to compare"
        if change == 0:
            return "unchanged since the previous score"
        direction = "down" if change < 0 else "up"
        return f"{direction} {abs(change)} since the previous score"


def latest_per_scale(patient: Patient) -> list[Latest]:
    """The two most recent final assessments of every scale, in one window query."""
    ranked = (
        Assessment.objects.filter(patient=patient, status=AssessmentStatus.FINAL)
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("scale_code")],
                order_by=[F("administered_at").desc(), F("pk").desc()],
            )
        )
        .filter(rank__lte=2)
        .select_related("administered_by")
        .defer(*HEAVY_FIELDS)
    )
    pairs: dict[str, list[Assessment]] = {}
    for a in ranked:
        pairs.setdefault(a.scale_code, []).append(a)
    order = list(SCALES)
    found = []
    for _code, rows in sorted(
        pairs.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
    ):
        rows.sort(key=lambda a: (a.administered_at, a.pk), reverse=True)
        found.append(Latest(rows[0], rows[1] if len(rows) > 1 else None))
    return found


def section_context(patient: Patient, membership: Any) -> dict[str, Any]:
    # The clinic's response rules come along in the same query (the section's query budget).
    episodes = list(
        EpisodeOfCare.objects.filter(patient=patient).select_related(
            "diagnosis", "patient__clinic__response_rules"
        )
    )
    shown = [e for e in episodes if e.status == EpisodeStatus.ACTIVE] or episodes[:1]
    courses: list[Course] = []
    if shown:
        scores = load_scores(patient, {e.primary_scale for e in shown})
        rules = response_rules_preloaded(shown[0].patient.clinic)
        courses = courses_for(shown, scores, rules)
    recent = list(
        Assessment.objects.filter(patient=patient)
        .select_related("administered_by")
        .defer(*HEAVY_FIELDS)[:RECENT]
    )
    return {
        "patient": patient,
        "courses": courses,
        "closed_count": sum(1 for e in episodes if e.status == EpisodeStatus.CLOSED),
        "latest": latest_per_scale(patient) if recent else [],
        "recent": recent,
        "scales": [(code, short_name(s), s.clinician_rated) for code, s in SCALES.items()],
        "can_record": has_perm(membership, Perm.ASSESSMENT_RECORD),
        "can_rate": has_perm(membership, Perm.ASSESSMENT_RATE_CLINICIAN),
        "can_manage_episodes": has_perm(membership, Perm.EPISODE_MANAGE),
    }


@register.inclusion_tag("measures/_section.html", takes_context=True)
def assessments_section(context: template.Context, patient: Patient) -> dict[str, Any]:
    request = context.get("request")
    return section_context(patient, getattr(request, "membership", None))
