"""The course of treatment per episode of care: which score is the baseline, and what
`clinical.response.classify_course` says about the scores after it.

The classification itself (thresholds, relapse, reasons) is pure and lives in
`clinical/response.py`; this module only picks the scores from the database.

Which scores belong to an episode [PRACTICE; this platform's rule, measures/README.md]: those
recorded against it, plus scores recorded with no episode that fall between the clinic's
`ResponseRules.baseline_lookback_days` (default 28, a clinic setting on the response-rules
page) before its start and its end — the intake PHQ-9 taken before anyone
opened the episode is still its baseline. The baseline is the latest score marked "intake
baseline" (the one closest to the first treatment); when none is marked, the first score.
Follow-ups are the scores after the baseline. Entered-in-error and incomplete (no total)
assessments never count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction

from django.utils import timezone

from ketacare.clinical.response import CourseResult, CourseStatus, ResponseRules, classify_course
from ketacare.clinical.scales import SCALES
from ketacare.measures.models import Assessment, AssessmentStatus, Context, EpisodeOfCare
from ketacare.measures.scheduling import clinic_zone
from ketacare.patients.models import Patient
from ketacare.scheduling.models import Appointment, AppointmentStatus, AppointmentType

# The library default only (clinical.response.ResponseRules cites it; [PRACTICE], so each
# clinic may set its own): callers classify with the clinic's `ResponseRules`.
BASELINE_LOOKBACK_DAYS = ResponseRules().baseline_lookback_days

STATUS_LABELS = {
    CourseStatus.UNDETERMINED: "Not yet determined",
    CourseStatus.WORSENING: "Worse than baseline",
    CourseStatus.NO_IMPROVEMENT: "No improvement yet",
    CourseStatus.EARLY_IMPROVEMENT: "Early improvement",
    CourseStatus.PARTIAL_RESPONSE: "Partial response",
    CourseStatus.RESPONSE: "Response",
    CourseStatus.REMISSION: "Remission",
    CourseStatus.RELAPSE: "Relapse",
    CourseStatus.NOT_CLASSIFIED: "Change shown (no response definition on this scale)",
}

# A treatment appointment in one of these statuses is a session that took place.
SESSION_HELD_STATUSES = (AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)

# CSS tone of each status on the chart (app.css: .course-<tone>).
STATUS_TONES = {
    CourseStatus.UNDETERMINED: "none",
    CourseStatus.WORSENING: "warn",
    CourseStatus.NO_IMPROVEMENT: "warn",
    CourseStatus.EARLY_IMPROVEMENT: "info",
    CourseStatus.PARTIAL_RESPONSE: "info",
    CourseStatus.RESPONSE: "good",
    CourseStatus.REMISSION: "good",
    CourseStatus.RELAPSE: "bad",
    CourseStatus.NOT_CLASSIFIED: "none",
}


@dataclass(frozen=True)
class Score:
    """One final, complete total, as the course needs it (no answers, no explanation)."""

    pk: int
    scale_code: str
    total: int
    at: datetime
    context: str
    episode_id: int | None

    @property
    def on(self) -> date:
        return timezone.localdate(self.at)


def session_dates_for(patient: Patient) -> list[date]:
    """The clinic-local dates of the patient's treatment sessions, oldest first, for the time
    axis of the trajectories. A session is a treatment appointment checked in or completed;
    when sessions are recorded in their own model, only `_session_starts` changes."""
    zone = clinic_zone(patient.clinic)
    return sorted({timezone.localtime(at, zone).date() for at in _session_starts(patient)})


def _session_starts(patient: Patient) -> Iterable[datetime]:
    return Appointment.objects.filter(
        patient=patient, type=AppointmentType.TREATMENT, status__in=SESSION_HELD_STATUSES
    ).values_list("starts_at", flat=True)


def load_scores(patient: Patient, scale_codes: Iterable[str] | None = None) -> list[Score]:
    """Every final total of the patient (optionally of some scales), oldest first. One query."""
    rows = Assessment.objects.filter(
        patient=patient, status=AssessmentStatus.FINAL, total__isnull=False
    )
    if scale_codes is not None:
        rows = rows.filter(scale_code__in=list(scale_codes))
    values = rows.order_by("administered_at", "pk").values_list(
        "pk", "scale_code", "total", "administered_at", "context", "episode_id"
    )
    return [
        Score(pk, code, total, at, context, episode_id)
        for pk, code, total, at, context, episode_id in values
        if total is not None
    ]


def episode_scores(
    episode: EpisodeOfCare,
    scores: Iterable[Score],
    scale_code: str,
    lookback_days: int = BASELINE_LOOKBACK_DAYS,
) -> list[Score]:
    """The scores of `scale_code` that count for `episode` (see the module docstring)."""
    earliest = episode.started_on - timedelta(days=lookback_days)
    latest = episode.ended_on
    return [
        s
        for s in scores
        if s.scale_code == scale_code
        and (
            s.episode_id == episode.pk
            or (s.episode_id is None and earliest <= s.on and (latest is None or s.on <= latest))
        )
    ]


def pick_baseline(scores: Sequence[Score]) -> Score | None:
    """The latest score marked intake baseline, else the first one (scores oldest first)."""
    marked = [s for s in scores if s.context == Context.INTAKE_BASELINE]
    if marked:
        return marked[-1]
    return scores[0] if scores else None


def response_at_or_below(baseline_total: int, rules: ResponseRules) -> int:
    """The highest total that is a response: a fall of at least `response_pct` from baseline."""
    return math.floor(Fraction(baseline_total) * (1 - Fraction(rules.response_pct) / 100))


@dataclass(frozen=True)
class Course:
    """One episode's course on one scale, with the baseline and follow-ups it was judged on."""

    episode: EpisodeOfCare
    scale_code: str
    baseline: Score | None
    follow_ups: tuple[Score, ...]
    result: CourseResult | None
    rules: ResponseRules
    note: str = ""

    @property
    def status(self) -> CourseStatus:
        return self.result.status if self.result else CourseStatus.UNDETERMINED

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def tone(self) -> str:
        return STATUS_TONES[self.status]

    @property
    def percent_change(self) -> float | None:
        return self.result.percent_change if self.result else None

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.result.reasons if self.result else (self.note,)

    @property
    def scale_name(self) -> str:
        scale = SCALES.get(self.scale_code)
        return scale.name.split(" (")[0] if scale else self.scale_code

    @property
    def response_line(self) -> float | None:
        """The score at exactly the response fall, for drawing (None without a baseline)."""
        if self.baseline is None:
            return None
        return self.baseline.total * (1 - self.rules.response_pct / 100)

    @property
    def response_max(self) -> int | None:
        if self.baseline is None:
            return None
        return response_at_or_below(self.baseline.total, self.rules)

    @property
    def remission_max(self) -> int | None:
        return self.rules.remission_at_or_below.get(self.scale_code)

    @property
    def latest(self) -> Score | None:
        return self.follow_ups[-1] if self.follow_ups else None


def course_of(
    episode: EpisodeOfCare,
    scores: Iterable[Score],
    rules: ResponseRules | None = None,
    scale_code: str | None = None,
) -> Course:
    """Classify `episode` on its primary scale (or `scale_code`) from already-loaded scores."""
    rules = rules or ResponseRules()
    code = scale_code or episode.primary_scale
    mine = episode_scores(episode, scores, code, rules.baseline_lookback_days)
    baseline = pick_baseline(mine)
    scale = SCALES.get(code)
    if scale is None or scale.min_total is None:
        note = f"{code} has no total score, so response cannot be measured on it."
        return Course(episode, code, baseline, (), None, rules, note)
    if baseline is None:
        note = f"No baseline yet: no complete {scale.name.split(' (')[0]} in this episode."
        return Course(episode, code, None, (), None, rules, note)
    follow = tuple(s for s in mine if s.at > baseline.at)
    result = classify_course(code, baseline.total, [(s.on, s.total) for s in follow], rules)
    return Course(episode, code, baseline, follow, result, rules)


def courses_for(
    episodes: Iterable[EpisodeOfCare], scores: Sequence[Score], rules: ResponseRules | None = None
) -> list[Course]:
    return [course_of(episode, scores, rules) for episode in episodes]
