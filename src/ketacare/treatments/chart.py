"""A server-rendered SVG chart of a session's vitals: SBP, DBP and HR on one panel, SpO₂ on a
second, against minutes from the first dose, with the session's limit lines.

Only numbers and fixed labels go into the markup (nothing typed by a user), so the string is
safe to mark as such. The SVG scales to the width of the page (viewBox), for a tablet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from ketacare.clinical.vitals import VitalLimits

W, LEFT, RIGHT = 720, 48, 16
TOP_H, GAP, LOW_H, BOTTOM = 220, 34, 90, 30
BP_RANGE = (40, 220)
SPO2_RANGE = (80, 100)
SERIES = (
    ("systolic_mmhg", "SBP", "#c62828", BP_RANGE, 0),
    ("diastolic_mmhg", "DBP", "#ef6c00", BP_RANGE, 0),
    ("heart_rate_bpm", "HR", "#1565c0", BP_RANGE, 0),
    ("spo2_pct", "SpO₂", "#2e7d32", SPO2_RANGE, 1),
)


def _panel_top(panel: int) -> int:
    return 10 if panel == 0 else 10 + TOP_H + GAP


def _panel_h(panel: int) -> int:
    return TOP_H if panel == 0 else LOW_H


def _y(value: float, rng: tuple[int, int], panel: int) -> float:
    low, high = rng
    clamped = min(max(value, low), high)
    return _panel_top(panel) + _panel_h(panel) * (1 - (clamped - low) / (high - low))


def vitals_chart(
    readings: Sequence[Any], start: datetime | None, limits: VitalLimits
) -> SafeString:
    """The chart, or an empty string when there is nothing to draw."""
    points = [r for r in readings if any(getattr(r, f) is not None for f, *_ in SERIES)]
    if not points:
        return mark_safe("")
    origin = start or points[0].taken_at
    minutes = [(r.taken_at - origin).total_seconds() / 60 for r in points]
    x_min = min(0.0, min(minutes))
    x_max = max(60.0, max(minutes) + 5)
    height = _panel_top(1) + LOW_H + BOTTOM
    plot_w = W - LEFT - RIGHT

    def x(m: float) -> float:
        return LEFT + plot_w * (m - x_min) / (x_max - x_min)

    out = [
        f'<svg class="ts-chart" viewBox="0 0 {W} {height}" role="img" '
        'aria-label="Vitals over the session: blood pressure, heart rate and SpO2 against '
        'minutes from the first dose" xmlns="http://www.w3.org/2000/svg" '
        'font-family="system-ui, sans-serif" font-size="13">'
    ]
    for panel, (low, high), step in ((0, BP_RANGE, 20), (1, SPO2_RANGE, 5)):
        top, h = _panel_top(panel), _panel_h(panel)
        out.append(
            f'<rect x="{LEFT}" y="{top}" width="{plot_w}" height="{h}" fill="#fafafa" '
            'stroke="#bbb"/>'
        )
        for v in range(low, high + 1, step):
            y = _y(v, (low, high), panel)
            out.append(
                f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{v}</text>'
            )
    tick = 10 if x_max - x_min <= 120 else 30
    m = int(x_min // tick * tick)
    while m <= x_max:
        if m >= x_min:
            out.append(
                f'<text x="{x(m):.1f}" y="{height - 10}" text-anchor="middle" '
                f'fill="#555">{m}</text>'
            )
        m += tick
    out.append(
        f'<text x="{W - RIGHT}" y="{height - 10}" text-anchor="end" fill="#555" '
        'dy="-14">min from first dose</text>'
    )
    # Labels left or right of the plot so that close limits (DBP 110, HR 120) do not overlap.
    limit_lines = (
        (limits.systolic_alert_at, "#c62828", 0, f"SBP {limits.systolic_alert_at}", "start"),
        (limits.diastolic_alert_at, "#ef6c00", 0, f"DBP {limits.diastolic_alert_at}", "end"),
        (limits.heart_rate_max, "#1565c0", 0, f"HR {limits.heart_rate_max}", "start"),
        (limits.spo2_min, "#2e7d32", 1, f"SpO₂ {limits.spo2_min}", "start"),
    )
    for value, colour, panel, label, anchor in limit_lines:
        rng = BP_RANGE if panel == 0 else SPO2_RANGE
        y = _y(value, rng, panel)
        text_x = LEFT + 6 if anchor == "start" else W - RIGHT - 6
        text_y = y - 5 if anchor == "start" else y + 15  # right-hand labels below the line
        out.append(
            f'<line x1="{LEFT}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}" '
            f'stroke-dasharray="6 4" stroke-width="1.5" data-limit="{label}"/>'
            f'<text x="{text_x}" y="{text_y:.1f}" text-anchor="{anchor}" fill="{colour}" '
            f'paint-order="stroke" stroke="#fafafa" stroke-width="3">limit {label}</text>'
        )
    if start is not None and x_min < 0:
        out.append(
            f'<line x1="{x(0):.1f}" x2="{x(0):.1f}" y1="10" y2="{_panel_top(1) + LOW_H}" '
            'stroke="#555" stroke-dasharray="2 3"/>'
        )
    for name, _label, colour, rng, panel in SERIES:
        pts = [
            (x(mins), _y(getattr(r, name), rng, panel))
            for r, mins in zip(points, minutes, strict=True)
            if getattr(r, name) is not None
        ]
        if not pts:
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
        out.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
            f'data-series="{name}"/>'
        )
        out.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/>' for px, py in pts)
    legend_x = W - RIGHT - 70 * len(SERIES)
    for _name, label, colour, _rng, _panel in SERIES:
        out.append(
            f'<rect x="{legend_x}" y="16" width="12" height="12" fill="{colour}"/>'
            f'<text x="{legend_x + 16}" y="27" fill="#222">{label}</text>'
        )
        legend_x += 70
    out.append("</svg>")
    return mark_safe("".join(out))  # noqa: S308  # numbers and fixed labels only
