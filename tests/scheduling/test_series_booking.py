"""Series from a plan: chairs assigned, conflicts per row, all-or-nothing booking."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from ketacare.scheduling import booking, planner
from ketacare.scheduling.booking import ConflictError, SeriesRow
from ketacare.scheduling.calendar import ClinicCalendar
from ketacare.scheduling.models import Appointment, Closure
from tests.conftest import make_patient
from tests.evaluations.evaluation_helpers import actor
from tests.scheduling.sched_helpers import NY, at, iv_plan, set_up_clinic

NOW = at(2026, 11, 16, 9)


@pytest.fixture
def ready(world: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        world.chairs = set_up_clinic(world.clinic_a)
        world.plan = iv_plan(world.prescriber_a, world.patient_a)
        yield world


def propose(w: Any, start: date = date(2026, 11, 16), minutes: int = 175) -> list[Any]:
    from datetime import time

    return planner.propose(
        ClinicCalendar.load(w.clinic_a), w.patient_a, w.plan, start, [time(10)], minutes
    )


def rows_of(proposed: list[Any]) -> list[SeriesRow]:
    return [SeriesRow(r.number, r.starts_at, r.ends_at, r.resource) for r in proposed]


def test_plan_defaults_come_from_the_protocol(ready: Any) -> None:
    defaults = planner.plan_defaults(ready.plan)
    assert (defaults.count, defaults.per_days) == (2, 7) or defaults.count in (2, 3)
    assert defaults.sessions_left == 6
    assert defaults.duration_min == 40 + 120 + 15
    assert defaults.needs.min_interval_hours == 48 and defaults.needs.needs_iv_setting


def test_a_six_session_series_is_proposed_on_one_iv_chair_without_conflicts(ready: Any) -> None:
    proposed = propose(ready)
    assert len(proposed) == 6
    assert {r.resource for r in proposed} == {ready.chairs["iv1"]}
    assert all(not r.conflicts for r in proposed)
    booked = booking.do_book_series(
        actor(ready.nurse_a), ready.clinic_a, ready.patient_a, ready.plan, rows_of(proposed)
    )
    assert [a.session_number for a in booked] == [1, 2, 3, 4, 5, 6]
    assert len({a.series for a in booked}) == 1
    assert Appointment.objects.filter(series=booked[0].series).count() == 6
    # The plan's phase is now fully booked.
    assert planner.plan_defaults(ready.plan).sessions_left == 0
    assert propose(ready) == []


def test_a_full_chair_gives_the_session_the_next_suitable_chair(ready: Any) -> None:
    other = make_patient(ready.clinic_a, "Mary", "Shelley")
    Appointment.objects.create(
        clinic=ready.clinic_a,
        patient=other,
        type="follow_up",
        starts_at=at(2026, 11, 19, 9),
        ends_at=at(2026, 11, 19, 15),
        resource=ready.chairs["iv1"],
    )
    proposed = propose(ready)
    assert proposed[1].resource == ready.chairs["esk"]  # Thursday: chair 1 taken
    assert proposed[2].resource == ready.chairs["iv1"]  # back to the preferred chair


def test_when_every_suitable_chair_is_full_the_row_says_so(ready: Any) -> None:
    other = make_patient(ready.clinic_a, "Mary", "Shelley")
    for key in ("iv1", "esk"):
        Appointment.objects.create(
            clinic=ready.clinic_a,
            patient=other if key == "iv1" else make_patient(ready.clinic_a, "Emily", "Bronte"),
            type="follow_up",
            starts_at=at(2026, 11, 19, 9),
            ends_at=at(2026, 11, 19, 15),
            resource=ready.chairs[key],
        )
    proposed = propose(ready)
    assert proposed[1].resource is None
    assert "every suitable chair is booked then" in proposed[1].notes
    assert [c.code for c in proposed[1].conflicts] == ["no_resource"]
    with pytest.raises(ConflictError) as caught:
        booking.do_book_series(
            actor(ready.nurse_a), ready.clinic_a, ready.patient_a, ready.plan, rows_of(proposed)
        )
    assert set(caught.value.rows) == {1}
    assert not Appointment.objects.filter(patient=ready.patient_a).exists()


def test_edited_rows_are_rechecked_against_each_other(ready: Any) -> None:
    proposed = rows_of(propose(ready))
    # Move session 2 to the day after session 1: too close (48 h rule), same chair is free.
    proposed[1] = SeriesRow(2, at(2026, 11, 17, 10), at(2026, 11, 17, 12, 55), proposed[1].resource)
    results = planner.recheck(
        ClinicCalendar.load(ready.clinic_a), ready.patient_a, ready.plan, proposed
    )
    assert [c.code for c in results[1]] == ["interval", "interval"] or [
        c.code for c in results[1]
    ] == ["interval"]
    assert "session 1" in results[1][0].message
    with pytest.raises(ConflictError):
        booking.do_book_series(
            actor(ready.nurse_a), ready.clinic_a, ready.patient_a, ready.plan, proposed
        )
    assert not Appointment.objects.exists()


def test_one_bad_row_books_nothing(ready: Any) -> None:
    rows = rows_of(propose(ready))
    rows[5] = SeriesRow(6, rows[5].starts_at, rows[5].ends_at, ready.chairs["plain"])
    with pytest.raises(ConflictError) as caught:
        booking.do_book_series(
            actor(ready.nurse_a), ready.clinic_a, ready.patient_a, ready.plan, rows
        )
    assert list(caught.value.rows) == [5]
    assert caught.value.rows[5][0].field == "resource"
    assert not Appointment.objects.exists()


def test_closures_move_sessions_over_thanksgiving(ready: Any) -> None:
    Closure.objects.create(
        clinic=ready.clinic_a,
        starts_on=date(2026, 11, 26),
        ends_on=date(2026, 11, 27),
        reason="Thanksgiving",
    )
    proposed = propose(ready, start=date(2026, 11, 23))
    days = [r.starts_at.astimezone(NY).date() for r in proposed]
    assert date(2026, 11, 26) not in days and date(2026, 11, 27) not in days
    assert any("Thanksgiving" in n for r in proposed for n in r.notes)
    assert all(not r.conflicts for r in proposed)


def test_a_series_across_the_november_dst_change_books_ten_o_clock_local(ready: Any) -> None:
    with time_machine.travel(at(2026, 10, 20, 9), tick=False):
        proposed = propose(ready, start=date(2026, 10, 26))
    assert all(r.starts_at.astimezone(NY).hour == 10 for r in proposed)
    assert {r.starts_at.utcoffset() for r in proposed} == {__import__("datetime").timedelta(0)}
    assert all(not r.conflicts for r in proposed)


def test_the_interval_is_kept_from_an_earlier_booked_session(ready: Any) -> None:
    booking.do_book(
        actor(ready.nurse_a),
        ready.clinic_a,
        ready.patient_a,
        booking.Booking(
            type="treatment",
            starts_at=at(2026, 11, 16, 10),
            ends_at=at(2026, 11, 16, 12, 55),
            resource=ready.chairs["iv1"],
            plan=ready.plan,
        ),
    )
    proposed = propose(ready, start=date(2026, 11, 17))
    assert len(proposed) == 5 and proposed[0].number == 2
    assert proposed[0].starts_at >= at(2026, 11, 18, 10)
