"""The chair board loads only the readings its tiles show (`tile_readings`), and its pages
make the same number of queries however many sessions are on the board."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.treatments.models import (
    ReadingPhase,
    SessionAlert,
    TreatmentSession,
    VitalReading,
)
from ketacare.treatments.state import current_readings, picture
from ketacare.treatments.tile_readings import tile_readings
from ketacare.treatments.trends import TOLERANCE, trends
from tests.conftest import make_patient
from tests.evaluations.evaluation_helpers import consent
from tests.scheduling.sched_helpers import iv_plan
from tests.treatments.session_helpers import actor, appointment, dosed, phq9_today, ready_session

pytestmark = pytest.mark.django_db


def _reading(session: TreatmentSession, at: Any, **values: Any) -> VitalReading:
    return VitalReading.objects.create(
        session=session, phase=values.pop("phase", ReadingPhase.DURING), taken_at=at, **values
    )


def _checked_in(world: Any, given: str, family: str, chair: str) -> TreatmentSession:
    from ketacare.treatments import actions

    patient = make_patient(world.clinic_a, given, family)
    plan = iv_plan(world.prescriber_a, patient)
    consent(world.prescriber_a, patient, "iv_racemic")
    phq9_today(patient)
    appt = appointment(patient, plan, chair)
    return actions.do_check_in(actor(world.nurse_a), world.clinic_a, patient, appt.pk)


def test_tile_readings_give_the_same_latest_and_trends_as_every_standing_reading(
    world: Any,
) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    other = _checked_in(world, "Bea", "Second", "Chair 2")
    empty = _checked_in(world, "Cy", "Third", "Chair 3")
    start = timezone.now()

    def at(minutes: int) -> Any:
        return start + timedelta(minutes=minutes)

    _reading(session, at(1), phase=ReadingPhase.PRE_DOSE, systolic_mmhg=150, diastolic_mmhg=95)
    _reading(session, at(2), moaas=3, cadss6=2)
    _reading(session, at(3), moaas=4)  # the last MOAA/S values are far back
    _reading(session, at(4), systolic_mmhg=170, diastolic_mmhg=100, spo2_pct=97)
    wrong = _reading(session, at(5), systolic_mmhg=210, diastolic_mmhg=130)
    _reading(session, at(6), systolic_mmhg=160, diastolic_mmhg=90, corrects=wrong)
    for minute in range(7, 40):
        _reading(session, at(minute), heart_rate_bpm=60 + minute, resp_rate_per_min=14)
    # Two readings at the same time: the order falls back to the primary key, as everywhere.
    _reading(session, at(40), heart_rate_bpm=95, spo2_pct=93)
    _reading(session, at(40), heart_rate_bpm=99)
    _reading(other, at(1), systolic_mmhg=130, diastolic_mmhg=80)

    got = tile_readings([session.pk, other.pk, empty.pk])
    assert set(got) == {session.pk, other.pk}  # no readings, no entry
    for s in (session, other):
        everything = current_readings(s)
        assert trends(got[s.pk]) == trends(everything)
        assert picture(got[s.pk]).latest == picture(everything).latest
        assert [r.taken_at for r in got[s.pk]] == sorted(r.taken_at for r in got[s.pk])
    shown = trends(got[session.pk])
    assert (shown["systolic_mmhg"].value, shown["systolic_mmhg"].previous) == (160, 170)
    assert (shown["moaas"].value, shown["moaas"].previous) == (4, 3)
    assert (shown["heart_rate_bpm"].value, shown["heart_rate_bpm"].previous) == (99, 95)
    assert wrong.pk not in {r.pk for r in got[session.pk]}  # corrected: not standing
    # Bounded by the measures, not by the session's length (44 readings here).
    assert len(got[session.pk]) <= 1 + 2 * len(TOLERANCE)
    assert tile_readings([]) == {}


def test_the_board_pages_make_the_same_number_of_queries_for_more_sessions(
    world: Any, as_user: Any
) -> None:
    from ketacare.treatments import actions

    first = dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))
    actions.do_record_vitals(actor(world.nurse_a), first, {"heart_rate_bpm": 80})
    client = as_user(world.nurse_a)

    def count(path: str) -> int:
        client.get(path)  # the session's first request sets its clinic and clock
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(path)
        assert page.status_code == 200
        return len(ctx.captured_queries)

    before = {path: count(path) for path in ("/chairs/", "/chairs/live/")}
    second = _checked_in(world, "Bea", "Second", "Chair 2")
    _reading(second, timezone.now(), phase=ReadingPhase.PRE_DOSE, systolic_mmhg=140)
    _checked_in(world, "Cy", "Third", "Chair 3")  # not checked yet: the clinic's limits
    three = {path: count(path) for path in before}
    for path, queries in before.items():
        # At most one more: the clinic's current limits, read once for unchecked sessions.
        assert three[path] <= queries + 1, path
    fourth = _checked_in(world, "Di", "Fourth", "Chair 4")
    _reading(fourth, timezone.now(), phase=ReadingPhase.PRE_DOSE, spo2_pct=95)
    SessionAlert.objects.create(session=fourth, code="t", level="warning", message="Check")
    assert {path: count(path) for path in before} == three
    html = client.get("/chairs/live/").content.decode()
    assert html.count('data-testid="tile-') == 4
