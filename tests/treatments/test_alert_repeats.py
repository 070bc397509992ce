"""A value repeating an open alert does not raise another: the open alert counts it, shows the
newest value and keeps its first reading and its clock; acknowledged, the next value raises a
new alert; a worsening (a more severe level of the same code) raises a new alert on its own
clock; readings within limits cost no extra query."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.measures.scheduling import clinic_zone
from ketacare.treatments import actions
from ketacare.treatments.corrections import do_correct_reading
from ketacare.treatments.escalation import escalate_unacknowledged
from ketacare.treatments.models import SessionAlert, StaffNotice, TreatmentSession, VitalReading
from tests.treatments.session_helpers import NORMAL, actor, dosed, ready_session

pytestmark = pytest.mark.django_db


def monitored(world: Any) -> TreatmentSession:
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


def record(world: Any, session: TreatmentSession, at: Any, **values: Any) -> VitalReading:
    with time_machine.travel(at, tick=False):
        return actions.do_record_vitals(actor(world.nurse_a), session, values)


def open_alerts(session: TreatmentSession) -> Any:
    return SessionAlert.objects.filter(session=session, acknowledged_at__isnull=True)


def test_five_low_spo2_readings_make_one_open_alert_repeated_four_times(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    readings = [
        record(world, session, start + timedelta(minutes=i), spo2_pct=value)
        for i, value in enumerate((91, 90, 91, 90, 89))
    ]
    alert = open_alerts(session).get()
    assert alert.code == "spo2_low"
    assert alert.level == "warning"
    assert alert.repeat_count == 4
    assert alert.reading == readings[0]  # the first reading and its clock stay
    assert alert.raised_at == start
    assert alert.last_reading == readings[-1]
    assert alert.last_value_at == readings[-1].taken_at
    since = timezone.localtime(start, clinic_zone(world.clinic_a)).strftime("%H:%M")
    assert alert.message.startswith("SpO2 89 % is below 92 %")
    assert alert.message.endswith(f"(repeated 4 times since {since}; first 91 %)")
    # Each reading's audit entry says whether it raised or repeated.
    entries = AuditEntry.objects.filter(action="treatments.session.vitals_recorded")
    assert [e.detail["alerts"] for e in entries.order_by("pk")] == [["spo2_low"]] + [[]] * 4
    assert entries.order_by("pk").last().detail["alerts_repeated"] == [alert.pk]


def test_the_board_and_the_session_page_show_the_repeats(world: Any, as_user: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    for i in range(3):
        record(world, session, start + timedelta(minutes=i), spo2_pct=90)
    client = as_user(world.nurse_a)
    board = client.get("/chairs/live/").content.decode()
    assert board.count('data-testid="board-alert"') == 1
    assert "×3" in board
    page = client.get(f"/patients/{session.patient_id}/sessions/{session.pk}/").content.decode()
    assert page.count('data-testid="alert-spo2_low"') == 1
    assert "(repeated 2 times since" in page
    assert "3 readings, the last at" in page


def test_once_acknowledged_the_next_low_reading_raises_a_new_alert(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    record(world, session, start, spo2_pct=90)
    record(world, session, start + timedelta(minutes=1), spo2_pct=90)
    first = open_alerts(session).get()
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        actions.do_acknowledge_alert(actor(world.nurse_a), session, first.pk, "repeat_5min")
    later = record(world, session, start + timedelta(minutes=3), spo2_pct=91)
    second = open_alerts(session).get()
    assert second.pk != first.pk
    assert (second.reading, second.repeat_count) == (later, 0)
    assert second.raised_at == start + timedelta(minutes=3)
    assert "repeated" not in second.message
    first.refresh_from_db()
    assert first.repeat_count == 1  # untouched by the reading after its acknowledgement


def test_a_worsening_raises_a_new_alert_on_its_own_clock(world: Any) -> None:
    """SpO2 91 → 84 % crosses from warning to critical: a new alert. Back to 90 %: the open
    warning repeats; 85 % again: the open critical repeats."""
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    record(world, session, start, spo2_pct=91)
    record(world, session, start + timedelta(minutes=1), spo2_pct=84)
    warning = open_alerts(session).get(level="warning")
    critical = open_alerts(session).get(level="critical")
    assert (warning.repeat_count, critical.repeat_count) == (0, 0)
    assert critical.raised_at == start + timedelta(minutes=1)
    record(world, session, start + timedelta(minutes=2), spo2_pct=90)
    record(world, session, start + timedelta(minutes=3), spo2_pct=85)
    warning.refresh_from_db()
    critical.refresh_from_db()
    assert open_alerts(session).count() == 2
    assert (warning.repeat_count, critical.repeat_count) == (1, 1)
    assert critical.message.startswith("SpO2 85 %")
    assert critical.message.endswith("first 84 %)")


def test_a_lower_level_repeats_the_open_critical_alert(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    record(world, session, start, spo2_pct=85)
    record(world, session, start + timedelta(minutes=1), spo2_pct=90)
    alert = open_alerts(session).get()
    assert (alert.level, alert.repeat_count) == ("critical", 1)
    assert alert.message.startswith("SpO2 90 %")


def test_a_blood_pressure_turning_critical_raises_its_own_alert(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    record(world, session, start, systolic_mmhg=185, diastolic_mmhg=100)
    record(world, session, start + timedelta(minutes=1), systolic_mmhg=186, diastolic_mmhg=101)
    record(world, session, start + timedelta(minutes=2), systolic_mmhg=205, diastolic_mmhg=100)
    high = open_alerts(session).get(code="bp_high")
    assert high.repeat_count == 1
    assert high.message.endswith("; first 185/100)")
    assert open_alerts(session).get(code="bp_critical").repeat_count == 0


def test_escalation_runs_once_on_the_first_alerts_clock(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    for i in range(6):
        record(world, session, start + timedelta(minutes=i), heart_rate_bpm=131 + i)
    alert = open_alerts(session).get()
    assert alert.repeat_count == 5
    # The escalation minutes (5 by default) count from the first reading: due at 5 minutes,
    # though the newest repeat is only 30 seconds old then.
    assert escalate_unacknowledged(start + timedelta(minutes=4, seconds=59)) == 0
    assert escalate_unacknowledged(start + timedelta(minutes=5, seconds=30)) == 1
    notice = StaffNotice.objects.get()
    assert "Heart rate 136/min" in notice.message
    assert "repeated 5 times" in notice.message
    # Readings repeating it after the escalation call nobody again.
    record(world, session, start + timedelta(minutes=6), heart_rate_bpm=140)
    assert escalate_unacknowledged(start + timedelta(minutes=20)) == 0
    assert StaffNotice.objects.count() == 1
    alert.refresh_from_db()
    assert alert.repeat_count == 6
    assert alert.escalated_at == start + timedelta(minutes=5, seconds=30)


def test_a_reading_within_limits_adds_no_query(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    record(world, session, start, **NORMAL)
    with CaptureQueriesContext(connection) as before:
        record(world, session, start + timedelta(minutes=1), **NORMAL)
    record(world, session, start + timedelta(minutes=2), spo2_pct=90)  # an open alert now
    with CaptureQueriesContext(connection) as after:
        record(world, session, start + timedelta(minutes=3), **NORMAL)
    assert not [q for q in after.captured_queries if "treatments_sessionalert" in q["sql"]]
    assert len(after.captured_queries) == len(before.captured_queries)


def test_a_repeat_costs_one_lookup_and_one_update(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    record(world, session, start, spo2_pct=90)
    with CaptureQueriesContext(connection) as first_repeat:
        record(world, session, start + timedelta(minutes=1), spo2_pct=90)
    alert_queries = [
        q["sql"] for q in first_repeat.captured_queries if "treatments_sessionalert" in q["sql"]
    ]
    assert len(alert_queries) == 2
    assert alert_queries[0].lstrip().upper().startswith("SELECT")
    assert alert_queries[1].lstrip().upper().startswith("UPDATE")


def test_correcting_the_first_reading_of_a_repeated_alert_keeps_it_open(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    first = record(world, session, start, spo2_pct=90)
    record(world, session, start + timedelta(minutes=1), spo2_pct=90)
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        do_correct_reading(actor(world.nurse_a), session, first.pk, {"spo2_pct": 89}, "typo")
    # The later reading still stands for it; the corrected value raises no second alert.
    alert = open_alerts(session).get()
    assert (alert.reading, alert.repeat_count) == (first, 1)


def test_correcting_an_unrepeated_reading_still_supersedes_its_alert(world: Any) -> None:
    session = monitored(world)
    start = session.dosing_started_at + timedelta(minutes=2)
    reading = record(world, session, start, spo2_pct=90)
    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        do_correct_reading(actor(world.nurse_a), session, reading.pk, {"spo2_pct": 97}, "probe")
    assert not open_alerts(session).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real concurrent writers")
def test_two_low_readings_stored_at_once_make_one_open_alert(world: Any) -> None:
    session = monitored(world)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def enter(user: Any) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                actions.do_record_vitals(actor(user), session, {"spo2_pct": 90})
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enter, args=(u,)) for u in (world.nurse_a, world.nurse_a)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    alert = open_alerts(session).get()
    assert alert.repeat_count == 5
