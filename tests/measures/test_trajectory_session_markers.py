"""Treatment sessions on the trajectories' time axis: the patient's treatment appointments
that were checked in or completed, on their clinic-local dates."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta
from typing import Any

from ketacare.accounts.audit import Actor
from ketacare.measures.actions import do_open_episode, do_record_assessment
from ketacare.measures.course import session_dates_for
from ketacare.scheduling.models import AppointmentStatus, AppointmentType
from tests.measures.calendar_helpers import at, session

SETUP = Actor(label="test-setup")
NS = {"s": "http://www.w3.org/2000/svg"}
START = date(2026, 2, 2)


def phq9(total: int) -> dict[str, int]:
    values = []
    for _ in range(8):
        values.append(min(3, total))
        total -= values[-1]
    return {f"phq9-{i + 1}": v for i, v in enumerate([*values, 0])}


def scores(world: Any) -> None:
    episode = do_open_episode(
        SETUP, world.patient_a, {"title": "IV", "primary_scale": "phq9", "started_on": START}
    )
    for week, total in enumerate([21, 14, 9]):
        do_record_assessment(
            SETUP,
            world.patient_a,
            "phq9",
            phq9(total),
            episode=episode,
            administered_at=at(START + timedelta(days=7 * week), 8),
        )


def test_only_sessions_that_took_place_are_session_dates(world: Any) -> None:
    session(world.patient_a, START, status=AppointmentStatus.COMPLETED)
    session(world.patient_a, START + timedelta(days=2), status=AppointmentStatus.CHECKED_IN)
    session(world.patient_a, START + timedelta(days=4), status=AppointmentStatus.CANCELLED)
    session(world.patient_a, START + timedelta(days=5), status=AppointmentStatus.NO_SHOW)
    session(world.patient_a, START + timedelta(days=9), status=AppointmentStatus.BOOKED)
    session(
        world.patient_a,
        START + timedelta(days=6),
        kind=AppointmentType.INTEGRATION,
        status=AppointmentStatus.COMPLETED,
    )
    late = START + timedelta(days=7)
    session(world.patient_a, late, hour=23, status=AppointmentStatus.COMPLETED)  # UTC: next day
    session(world.patient_b, START + timedelta(days=1), status=AppointmentStatus.COMPLETED)
    assert session_dates_for(world.patient_a) == [START, START + timedelta(days=2), late]


def test_the_trajectory_marks_each_session_on_the_time_axis(world: Any, as_user: Any) -> None:
    scores(world)
    held = [START + timedelta(days=d) for d in (1, 3, 5, 8)]
    for day in held:
        session(world.patient_a, day, status=AppointmentStatus.COMPLETED)
    session(world.patient_a, START + timedelta(days=10), status=AppointmentStatus.CANCELLED)
    response = as_user(world.nurse_a).get(
        f"/patients/{world.patient_a.pk}/assessments/trajectories/"
    )
    assert response.status_code == 200
    body = response.content.decode()
    svg = body.split('data-testid="panel-phq9"', 1)[1].split("<svg", 1)[1].split("</svg>", 1)[0]
    root = ET.fromstring("<svg" + svg + "</svg>")  # noqa: S314  # our own server-rendered markup
    titles = [g.find("s:title", NS) for g in root.findall("s:g[@class='session']", NS)]
    assert [t.text for t in titles if t is not None] == [
        f"Treatment session {day:%Y-%m-%d}" for day in held
    ]
    assert "Treatment session" in body  # and in the legend


def test_no_sessions_no_markers(world: Any, as_user: Any) -> None:
    scores(world)
    body = (
        as_user(world.nurse_a)
        .get(f"/patients/{world.patient_a.pk}/assessments/trajectories/")
        .content.decode()
    )
    assert '<g class="session">' not in body
