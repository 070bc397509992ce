"""Habits read back: day logs as clinical.habits.DayLog, weekly summaries with each goal's
result, and the charts (habits against goals beside the primary scale's trajectory)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from ketacare.aftercare.models import HabitGoal, HabitLog
from ketacare.clinical.habits import (
    DayLog,
    GoalKind,
    GoalResult,
    WeekSummary,
    evaluate_goal,
    fmt_drinks,
    week_summary,
)
from ketacare.measures import svg
from ketacare.measures.course import load_scores
from ketacare.measures.scheduling import clinic_today
from ketacare.patients.models import Patient


def day_logs(patient: Patient, start: date, end: date) -> list[DayLog]:
    rows = HabitLog.objects.filter(patient=patient, day__gte=start, day__lte=end).order_by("day")
    return [
        DayLog(r.day, r.bed_time, r.wake_time, r.active_minutes, r.drinks, r.therapy) for r in rows
    ]


@dataclass(frozen=True)
class WeekRow:
    """One week for the tables. `active_days` and `therapy_days` count the days on which that
    habit was logged: WeekSummary adds unlogged days in as 0, so a week with none of them
    must show "not logged" (None below), never 0."""

    summary: WeekSummary
    complete: bool
    results: list[tuple[HabitGoal, GoalResult]]
    active_days: int = 0
    therapy_days: int = 0

    @property
    def start(self) -> date:
        return self.summary.start

    @property
    def active_minutes(self) -> int | None:
        """The week's total over the days with active minutes logged; None if there are none."""
        return self.summary.active_minutes if self.active_days else None

    @property
    def therapy_sessions(self) -> int | None:
        """Sessions over the days with therapy answered (yes or no); None if there are none."""
        return self.summary.therapy_sessions if self.therapy_days else None


def week_rows(patient: Patient, today: date, weeks: int = 12) -> list[WeekRow]:
    """The last `weeks` Monday-to-Sunday weeks up to this one, newest first."""
    this_monday = today - timedelta(days=today.weekday())
    first = this_monday - timedelta(weeks=weeks - 1)
    logs = day_logs(patient, first, today)
    goals = list(HabitGoal.objects.filter(patient=patient).order_by("kind", "starts_on"))
    rows = []
    for n in range(weeks):
        start = this_monday - timedelta(weeks=n)
        end = start + timedelta(days=6)
        summary = week_summary(start, logs)
        days = [log for log in logs if start <= log.day <= end]
        complete = end < today
        results = [
            (g, evaluate_goal(g.kind, g.target, summary, complete=complete))
            for g in goals
            if g.starts_on <= end and (g.ends_on is None or g.ends_on >= start)
        ]
        rows.append(
            WeekRow(
                summary,
                complete,
                results,
                active_days=sum(1 for log in days if log.active_minutes is not None),
                therapy_days=sum(1 for log in days if log.therapy is not None),
            )
        )
    return rows


def _goal_lines(
    goals: list[HabitGoal], kind: GoalKind, scale: float, label: str, until: date
) -> list[svg.RefLine]:
    return [
        svg.RefLine(
            value=g.target / scale,
            label=f"{label} {g.target / scale:g}",
            kind="response",
            start=g.starts_on,
            end=g.ends_on or until,
            legend="Goal",
        )
        for g in goals
        if g.kind == kind
    ]


# The habit charts plot minutes, hours and drinks, not scores: each names its points.
NOTHING_LOGGED = "Nothing logged in these weeks"


def habit_charts(patient: Patient, weeks: int = 12) -> list[tuple[str, str]]:
    """(title, svg) pairs: weekly active minutes, drinks, average sleep, and the primary
    scale, all over the same weeks so they can be read one above the other."""
    today = clinic_today(patient.clinic)
    rows = [r for r in reversed(week_rows(patient, today, weeks)) if r.summary.logged_days]
    goals = list(HabitGoal.objects.filter(patient=patient))
    this_monday = today - timedelta(days=today.weekday())
    earliest = this_monday - timedelta(weeks=weeks - 1)
    phq9 = [
        s for s in load_scores(patient, ["phq9"]) if timezone.localtime(s.at).date() >= earliest
    ]
    # The shared time axis: from the first week with habits or a PHQ-9 (within `weeks`).
    starts = [r.start for r in rows] + [timezone.localtime(s.at).date() for s in phq9]
    window = (min(starts, default=earliest), today)
    frame = svg.Frame(height=190)

    def span(label: str) -> svg.RefLine:  # the zero line over the shared axis in every chart
        return svg.RefLine(0, label, "baseline", start=window[0], end=window[1], legend="Zero")

    def mid(r: WeekRow) -> date:
        return r.start + timedelta(days=3)

    charts = []
    active = [
        svg.Point(
            mid(r),
            minutes,
            f"Week of {r.start}: {minutes} min ({r.active_days} of 7 days logged)",
        )
        for r in rows
        if (minutes := r.active_minutes) is not None
    ]
    top = max(
        [p.value for p in active]
        + [g.target for g in goals if g.kind == GoalKind.ACTIVE_MINUTES_WEEK_MIN]
        + [60]
    )
    charts.append(
        (
            "Active minutes a week",
            svg.trajectory_svg(
                title="Active minutes a week",
                points=active,
                y_min=0,
                y_max=top * 1.1,
                lines=[
                    span(""),
                    *_goal_lines(goals, GoalKind.ACTIVE_MINUTES_WEEK_MIN, 1, "Goal ≥", today),
                ],
                chart_id=f"habit-active-{patient.pk}",
                frame=frame,
                point_legend="Active minutes in the week",
                empty_text=NOTHING_LOGGED,
            ),
        )
    )
    sleep = [
        svg.Point(
            mid(r),
            r.summary.avg_sleep_minutes / 60,
            f"Week of {r.start}: {r.summary.avg_sleep_minutes / 60:.1f} h a night",
        )
        for r in rows
        if r.summary.avg_sleep_minutes is not None
    ]
    charts.append(
        (
            "Average sleep (hours a night)",
            svg.trajectory_svg(
                title="Average sleep (hours a night)",
                points=sleep,
                y_min=0,
                y_max=12,
                lines=[
                    span(""),
                    *_goal_lines(goals, GoalKind.SLEEP_AVG_MIN, 60, "Goal ≥", today),
                ],
                chart_id=f"habit-sleep-{patient.pk}",
                frame=frame,
                point_legend="Average hours of sleep a night",
                empty_text=NOTHING_LOGGED,
            ),
        )
    )
    drinks = [
        svg.Point(
            mid(r),
            float(r.summary.drinks),
            f"Week of {r.start}: {fmt_drinks(r.summary.drinks)} drinks "
            f"({r.summary.drink_days_logged} of 7 days logged)",
        )
        for r in rows
        if r.summary.drinks is not None
    ]
    dtop = max(
        [p.value for p in drinks]
        + [g.target for g in goals if g.kind == GoalKind.DRINKS_WEEK_MAX]
        + [7]
    )
    charts.append(
        (
            "Standard drinks a week",
            svg.trajectory_svg(
                title="Standard drinks a week",
                points=drinks,
                y_min=0,
                y_max=dtop * 1.1,
                lines=[
                    span(""),
                    *_goal_lines(goals, GoalKind.DRINKS_WEEK_MAX, 1, "Limit ≤", today),
                ],
                chart_id=f"habit-drinks-{patient.pk}",
                frame=frame,
                point_legend="Standard drinks in the week",
                empty_text=NOTHING_LOGGED,
            ),
        )
    )
    scores = phq9
    charts.append(
        (
            "PHQ-9",
            svg.trajectory_svg(
                title="PHQ-9 over the same weeks",
                points=[svg.Point(s.on, s.total, f"{s.on}: PHQ-9 {s.total}") for s in scores],
                y_min=0,
                y_max=27,
                lines=[span("")],
                chart_id=f"habit-phq9-{patient.pk}",
                frame=frame,
                point_legend="PHQ-9 total",
                empty_text="No PHQ-9 in these weeks",
            ),
        )
    )
    return charts
