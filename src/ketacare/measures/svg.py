"""Score trajectories as inline SVG, drawn on the server: no JavaScript chart library.

Pure Python (standard library only) so it can be tested without Django. One call draws one
scale: time on x, score on y, the scale's severity bands shaded and labelled, reference lines
(baseline, 50%-of-baseline response, remission) as segments, treatment-session markers on the
time axis, and one point per score whose `<title>` is its hover text. The caller escapes
nothing: every text that goes in is escaped here. A data table belongs next to the chart
(the SVG is a picture; the table is what screen readers and printing rely on).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

# Light fills from "least" to "most" severe. Text on every fill is the ink colour (#1b2733),
# contrast above 12:1, and bands are also named in words, so colour is never the only cue.
TONES = ("#e3f4e8", "#eef6dc", "#fff4d1", "#ffe5cc", "#fcdcd8")
INK = "#1b2733"
MUTED = "#5b6b7b"
GRID = "#dde3ea"
POINT = "#0f6e6e"
LINE_STYLES = {
    # kind: (stroke colour, dash pattern, stroke width)
    "baseline": (INK, "6 4", 1.5),
    "response": ("#0b5a5a", "2 3", 2.0),
    "remission": ("#1e7a3c", "9 3 2 3", 1.5),
}


@dataclass(frozen=True)
class Point:
    """One score. `when` is a local date or naive local datetime; `title` is the hover text."""

    when: date | datetime
    value: float
    title: str


@dataclass(frozen=True)
class Shade:
    """A severity band over the inclusive integer scores low..high; tone 0 (least) to 4."""

    low: float
    high: float
    label: str
    tone: int = 0


@dataclass(frozen=True)
class RefLine:
    """A horizontal reference line, optionally only between `start` and `end`."""

    value: float
    label: str
    kind: str = "baseline"  # one of LINE_STYLES
    start: date | datetime | None = None
    end: date | datetime | None = None
    legend: str = ""  # the legend's words for this kind of line; default from LEGENDS


LEGENDS = {"baseline": "Baseline", "response": "Response line", "remission": "Remission"}


@dataclass(frozen=True)
class Frame:
    width: int = 720
    height: int = 300
    left: int = 44
    right: int = 128
    top: int = 30
    bottom: int = 46

    @property
    def plot_right(self) -> int:
        return self.width - self.right

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom


def _days(when: date | datetime) -> float:
    """A moment as a day number; a plain date sits at midday so it lines up with its day."""
    if isinstance(when, datetime):
        seconds = when.hour * 3600 + when.minute * 60 + when.second
        return when.toordinal() + seconds / 86400
    return when.toordinal() + 0.5


def _fmt(number: float) -> str:
    return f"{number:.1f}".rstrip("0").rstrip(".")


def nice_step(span: float, max_ticks: int = 8) -> float:
    """A round tick step (1, 2, 5 x 10^n) giving at most `max_ticks` intervals over `span`."""
    if span <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(span / max_ticks))
    for factor in (1, 2, 5, 10):
        step = factor * magnitude
        if span / step <= max_ticks:
            return max(step, 1)
    return 10 * magnitude


# Time-axis steps in days, from daily to yearly; the first giving at most 6 intervals wins.
TIME_STEPS = (1, 2, 7, 14, 28, 61, 91, 182, 365, 730)


def time_ticks(lo: float, hi: float) -> list[date]:
    span = hi - lo
    step = next((s for s in TIME_STEPS if span / s <= 6), TIME_STEPS[-1])
    if step >= 28:  # month-aligned: the first of a month reads better than an arbitrary day
        months = max(1, round(step / 30.4))
        first = date.fromordinal(math.ceil(lo))
        day = date(first.year, first.month, 1)
        if day.toordinal() < lo:
            day = _add_months(day, 1)
        ticks = []
        while day.toordinal() <= hi:
            ticks.append(day)
            day = _add_months(day, months)
        return ticks
    start = math.ceil(lo)
    if step == 7:  # Mondays
        start += (7 - date.fromordinal(start).weekday()) % 7
    return [date.fromordinal(n) for n in range(start, math.floor(hi) + 1, step)]


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def _tick_label(day: date, span_days: float) -> str:
    if span_days > 240:
        return f"{day:%b %Y}"
    return f"{day:%b} {day.day}"


def trajectory_svg(
    *,
    title: str,
    points: Sequence[Point],
    y_min: float,
    y_max: float,
    bands: Sequence[Shade] = (),
    lines: Sequence[RefLine] = (),
    session_dates: Sequence[date | datetime] = (),
    description: str = "",
    chart_id: str = "chart",
    frame: Frame | None = None,
    point_legend: str = "Score",
    empty_text: str = "No scores to plot",
) -> str:
    """The chart as an `<svg>` element (a string of markup, every text escaped).
    `point_legend` names the points in the legend; `empty_text` shows when there are none."""
    f = frame or Frame()
    ordered = sorted(points, key=lambda p: _days(p.when))
    moments = [_days(p.when) for p in ordered] + [_days(d) for d in session_dates]
    for line in lines:
        moments += [_days(w) for w in (line.start, line.end) if w is not None]
    if moments:
        lo, hi = min(moments), max(moments)
    else:
        today = date.today().toordinal()
        lo, hi = today - 7.0, today + 7.0
    pad = max(1.0, (hi - lo) * 0.04)
    lo, hi = lo - pad, hi + pad
    if y_max <= y_min:
        y_max = y_min + 1

    def x(day: float) -> float:
        return f.left + (day - lo) / (hi - lo) * (f.plot_right - f.left)

    def y(value: float) -> float:
        clipped = min(max(value, y_min), y_max)
        return f.plot_bottom - (clipped - y_min) / (y_max - y_min) * (f.plot_bottom - f.top)

    out: list[str] = []
    add = out.append
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trajectory" viewBox="0 0 {f.width} '
        f'{f.height}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'font-family="system-ui, sans-serif" font-size="12">'
    )
    add(f'<title id="{chart_id}-title">{escape(title)}</title>')
    summary = description or f"{len(ordered)} score(s) over time; values in the table below."
    add(f'<desc id="{chart_id}-desc">{escape(summary)}</desc>')

    # Severity bands: integer scores low..high cover low-0.5 .. high+0.5.
    for band in bands:
        top, bottom = y(band.high + 0.5), y(band.low - 0.5)
        fill = TONES[max(0, min(band.tone, len(TONES) - 1))]
        name = f"{band.label} ({_fmt(band.low)}–{_fmt(band.high)})"
        add(
            f'<rect class="band" x="{f.left}" y="{top:.1f}" width="{f.plot_right - f.left}" '
            f'height="{bottom - top:.1f}" fill="{fill}"><title>{escape(name)}</title></rect>'
        )
        if bottom - top >= 13:
            add(
                f'<text class="band-label" x="{f.left + 6}" y="{top + 12:.1f}" fill="{INK}" '
                f'font-size="11" stroke="{fill}" stroke-width="3" paint-order="stroke">'
                f"{escape(band.label)}</text>"
            )

    # Value grid and axis.
    step = nice_step(y_max - y_min)
    tick = math.ceil(y_min / step) * step
    while tick <= y_max + 1e-9:
        ty = y(tick)
        add(
            f'<line x1="{f.left}" x2="{f.plot_right}" y1="{ty:.1f}" y2="{ty:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        add(
            f'<text x="{f.left - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{_fmt(tick)}</text>"
        )
        tick += step

    # Time axis.
    add(
        f'<line x1="{f.left}" x2="{f.plot_right}" y1="{f.plot_bottom}" y2="{f.plot_bottom}" '
        f'stroke="{MUTED}" stroke-width="1"/>'
    )
    for day in time_ticks(lo, hi):
        tx = x(day.toordinal())
        add(
            f'<line x1="{tx:.1f}" x2="{tx:.1f}" y1="{f.plot_bottom}" y2="{f.plot_bottom + 4}" '
            f'stroke="{MUTED}"/>'
        )
        add(
            f'<text x="{tx:.1f}" y="{f.plot_bottom + 30}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(_tick_label(day, hi - lo))}</text>"
        )

    # Treatment sessions: a thin line up the plot and a marker on the axis.
    for when in sorted(session_dates, key=_days):
        sx = x(_days(when))
        label = f"Treatment session {when:%Y-%m-%d}"
        add(
            f'<g class="session"><title>{escape(label)}</title>'
            f'<line x1="{sx:.1f}" x2="{sx:.1f}" y1="{f.top}" y2="{f.plot_bottom}" '
            f'stroke="{MUTED}" stroke-width="1" stroke-dasharray="1 3"/>'
            f'<path d="M{sx - 5:.1f},{f.plot_bottom + 16} L{sx:.1f},{f.plot_bottom + 7} '
            f'L{sx + 5:.1f},{f.plot_bottom + 16} Z" fill="{MUTED}"/></g>'
        )

    # Reference lines, labelled in the right margin (nudged apart so labels never overlap).
    placed: list[float] = []
    for line in sorted(lines, key=lambda ln: -ln.value):
        colour, dash, width = LINE_STYLES.get(line.kind, LINE_STYLES["baseline"])
        x1 = x(_days(line.start)) if line.start is not None else f.left
        x2 = x(_days(line.end)) if line.end is not None else f.plot_right
        ly = y(line.value)
        add(
            f'<line class="ref ref-{escape(line.kind)}" x1="{x1:.1f}" x2="{x2:.1f}" '
            f'y1="{ly:.1f}" y2="{ly:.1f}" stroke="{colour}" stroke-width="{width}" '
            f'stroke-dasharray="{dash}"><title>{escape(line.label)}</title></line>'
        )
        label_y = ly + 4
        for other in placed:
            if abs(label_y - other) < 13:
                label_y = other + 13
        placed.append(label_y)
        add(
            f'<text class="ref-label" x="{f.plot_right + 6}" y="{label_y:.1f}" fill="{colour}" '
            f'font-size="11">{escape(line.label)}</text>'
        )

    # The scores: a connecting line, then the points (drawn last, so they stay on top).
    if len(ordered) > 1:
        path = " ".join(f"{x(_days(p.when)):.1f},{y(p.value):.1f}" for p in ordered)
        add(f'<polyline points="{path}" fill="none" stroke="{POINT}" stroke-width="2"/>')
    for p in ordered:
        add(
            f'<circle class="point" cx="{x(_days(p.when)):.1f}" cy="{y(p.value):.1f}" r="4.5" '
            f'fill="{POINT}" stroke="#fff" stroke-width="1.5"><title>{escape(p.title)}</title>'
            "</circle>"
        )
    if not ordered:
        add(
            f'<text x="{(f.left + f.plot_right) / 2:.1f}" y="{(f.top + f.plot_bottom) / 2:.1f}" '
            f'text-anchor="middle" fill="{MUTED}">{escape(empty_text)}</text>'
        )

    # Legend along the top.
    legend: list[tuple[str, str]] = [("point", point_legend)]
    legend += [
        (line.kind, line.legend or LEGENDS.get(line.kind, line.kind))
        for line in _distinct_kinds(lines)
    ]
    if session_dates:
        legend.append(("session", "Treatment session"))
    lx = float(f.left)
    for kind, text in legend:
        add(_legend_mark(kind, lx, 14))
        add(f'<text x="{lx + 22:.1f}" y="18" fill="{INK}" font-size="11">{escape(text)}</text>')
        lx += 30 + 6.2 * len(text)
    add("</svg>")
    return "".join(out)


def _distinct_kinds(lines: Sequence[RefLine]) -> list[RefLine]:
    seen: set[str] = set()
    found = []
    for line in lines:
        if line.kind not in seen:
            seen.add(line.kind)
            found.append(line)
    return found


def _legend_mark(kind: str, lx: float, ly: float) -> str:
    if kind == "point":
        return f'<circle cx="{lx + 8:.1f}" cy="{ly}" r="4.5" fill="{POINT}"/>'
    if kind == "session":
        return (
            f'<path d="M{lx + 3:.1f},{ly + 5} L{lx + 8:.1f},{ly - 4} L{lx + 13:.1f},{ly + 5} Z" '
            f'fill="{MUTED}"/>'
        )
    colour, dash, width = LINE_STYLES.get(kind, LINE_STYLES["baseline"])
    return (
        f'<line x1="{lx:.1f}" x2="{lx + 18:.1f}" y1="{ly}" y2="{ly}" stroke="{colour}" '
        f'stroke-width="{width}" stroke-dasharray="{dash}"/>'
    )
