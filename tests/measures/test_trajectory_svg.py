"""The pure SVG builder: bands, baseline, response line, one titled point per score."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date, datetime

from ketacare.measures.svg import Point, RefLine, Shade, nice_step, time_ticks, trajectory_svg

NS = {"s": "http://www.w3.org/2000/svg"}
PHQ9_BANDS = [
    Shade(0, 4, "minimal", 0),
    Shade(5, 9, "mild", 1),
    Shade(10, 14, "moderate", 2),
    Shade(15, 19, "moderately severe", 3),
    Shade(20, 27, "severe", 4),
]


def chart(**overrides: object) -> ET.Element:
    points = [
        Point(datetime(2026, 1, 5, 9), 20, "2026-01-05 PHQ-9 20 (severe)"),
        Point(datetime(2026, 1, 12, 9), 14, "2026-01-12 PHQ-9 14 (moderate)"),
        Point(datetime(2026, 1, 26, 9), 8, "2026-01-26 PHQ-9 8 (mild)"),
    ]
    args: dict[str, object] = {
        "title": "PHQ-9 over time",
        "points": points,
        "y_min": 0,
        "y_max": 27,
        "bands": PHQ9_BANDS,
        "lines": [
            RefLine(20, "Baseline 20", "baseline", date(2026, 1, 5)),
            RefLine(10, "Response ≤10", "response", date(2026, 1, 5)),
        ],
    }
    args.update(overrides)
    markup = trajectory_svg(**args)  # type: ignore[arg-type]  # kwargs typed loosely on purpose
    return ET.fromstring(markup)  # noqa: S314  # our own generated markup


def y_of(svg: ET.Element, value: float) -> float:
    """The y coordinate the chart gives a value, read from the value-axis labels."""
    labels = {t.text: float(t.get("y", 0)) - 4 for t in svg.findall("s:text", NS)}
    return labels[str(int(value))]


def test_svg_is_well_formed_and_labelled_for_screen_readers() -> None:
    svg = chart()
    assert svg.get("role") == "img"
    assert svg.find("s:title", NS).text == "PHQ-9 over time"  # type: ignore[union-attr]
    assert svg.get("aria-labelledby") == "chart-title chart-desc"


def test_each_severity_band_is_shaded_and_named() -> None:
    svg = chart()
    bands = svg.findall("s:rect[@class='band']", NS)
    assert [b.find("s:title", NS).text for b in bands] == [  # type: ignore[union-attr]
        "minimal (0–4)",
        "mild (5–9)",
        "moderate (10–14)",
        "moderately severe (15–19)",
        "severe (20–27)",
    ]
    assert len({b.get("fill") for b in bands}) == 5
    labels = [t.text for t in svg.findall("s:text[@class='band-label']", NS)]
    assert labels == ["minimal", "mild", "moderate", "moderately severe", "severe"]
    # Bands cover whole scores: "mild" runs from 4.5 to 9.5, so it contains 5 and 9.
    mild = bands[1]
    top, height = float(mild.get("y", 0)), float(mild.get("height", 0))
    assert y_of(svg, 10) < top < y_of(svg, 5) < top + height
    assert abs(height - (y_of(svg, 0) - y_of(svg, 5))) < 0.2


def test_baseline_and_response_lines_are_drawn_at_their_values() -> None:
    svg = chart()
    baseline = svg.find("s:line[@class='ref ref-baseline']", NS)
    response = svg.find("s:line[@class='ref ref-response']", NS)
    assert baseline is not None and response is not None
    assert abs(float(baseline.get("y1", 0)) - y_of(svg, 20)) < 0.2
    assert abs(float(response.get("y1", 0)) - y_of(svg, 10)) < 0.2
    assert response.get("stroke-dasharray") != baseline.get("stroke-dasharray")
    texts = [t.text for t in svg.findall("s:text[@class='ref-label']", NS)]
    assert texts == ["Baseline 20", "Response ≤10"]


def test_every_point_has_its_hover_title_and_the_line_joins_them_in_time_order() -> None:
    shuffled = [
        Point(date(2026, 2, 1), 5, "third"),
        Point(date(2026, 1, 1), 15, "first"),
        Point(date(2026, 1, 15), 10, "second"),
    ]
    svg = chart(points=shuffled, lines=[])
    circles = svg.findall("s:circle[@class='point']", NS)
    assert [c.find("s:title", NS).text for c in circles] == ["first", "second", "third"]  # type: ignore[union-attr]
    xs = [float(c.get("cx", 0)) for c in circles]
    assert xs == sorted(xs)
    polyline = svg.find("s:polyline", NS)
    assert polyline is not None and len(polyline.get("points", "").split()) == 3


def test_session_dates_become_markers_on_the_time_axis() -> None:
    svg = chart(session_dates=[date(2026, 1, 6), date(2026, 1, 8)])
    sessions = svg.findall("s:g[@class='session']", NS)
    assert [s.find("s:title", NS).text for s in sessions] == [  # type: ignore[union-attr]
        "Treatment session 2026-01-06",
        "Treatment session 2026-01-08",
    ]
    assert "Treatment session" in [t.text for t in svg.findall("s:text", NS)]  # legend
    assert not chart().findall("s:g[@class='session']", NS)  # none passed, none drawn


def test_text_is_escaped() -> None:
    markup = trajectory_svg(
        title="<script>x</script>",
        points=[Point(date(2026, 1, 1), 3, 'a "quoted" <b>title</b> & more')],
        y_min=0,
        y_max=10,
    )
    assert "<script>" not in markup and "<b>" not in markup
    ET.fromstring(markup)  # noqa: S314  # our own markup; still well-formed


def test_an_empty_chart_says_so() -> None:
    svg = chart(points=[], lines=[])
    assert "No scores to plot" in [t.text for t in svg.findall("s:text", NS)]


def test_value_ticks_are_round_numbers() -> None:
    assert nice_step(27) == 5 and nice_step(60) == 10 and nice_step(5) == 1 and nice_step(92) == 20


def test_time_ticks_follow_the_span() -> None:
    days = time_ticks(date(2026, 1, 1).toordinal(), date(2026, 1, 10).toordinal())
    assert 3 <= len(days) <= 10
    months = time_ticks(date(2026, 1, 1).toordinal(), date(2026, 12, 31).toordinal())
    assert all(d.day == 1 for d in months) and len(months) <= 7
    assert re.match(r"\d{4}-\d{2}-01", months[0].isoformat())


def test_the_points_legend_and_the_empty_text_can_be_named() -> None:
    """Charts of things other than scores (habits) name their points and their empty state."""
    from ketacare.measures.svg import trajectory_svg

    markup = trajectory_svg(
        title="Drinks",
        points=[],
        y_min=0,
        y_max=10,
        point_legend="Drinks <a week>",
        empty_text="Nothing logged",
    )
    assert ">Drinks &lt;a week&gt;</text>" in markup and ">Nothing logged</text>" in markup
    assert "Score" not in markup and "No scores to plot" not in markup
