"""The chair board (elapsed, next vitals due, trend arrows, ready), the session's SVG vitals
chart, and the MOAA/S / CADSS-6 timepoints with their part in discharge readiness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.clinical.sedation import Status, cadss6_total, timepoints
from ketacare.clinical.vitals import DEFAULT_LIMITS
from ketacare.treatments import actions
from ketacare.treatments.chart import vitals_chart
from ketacare.treatments.models import SessionAlert, TreatmentSession, VitalReading
from ketacare.treatments.state import readiness
from ketacare.treatments.trends import DOWN, STEADY, UP, arrow, trends
from ketacare.treatments.views_board import board_rows
from tests.conftest import make_patient
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

T0 = datetime(2026, 3, 4, 15, tzinfo=UTC)


def _dosed(world: Any) -> TreatmentSession:
    return dosed(world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a))


# --- trends (pure) --------------------------------------------------------------------------


def test_arrow_uses_a_tolerance() -> None:
    assert arrow(130, 120, 5) == UP
    assert arrow(114, 120, 5) == DOWN
    assert arrow(124, 120, 5) == STEADY
    assert arrow(120, None, 5) == ""


def test_trends_compare_with_the_previous_value_of_the_same_measure() -> None:
    rows = [
        VitalReading(taken_at=T0, systolic_mmhg=120, diastolic_mmhg=80, heart_rate_bpm=70),
        VitalReading(taken_at=T0, heart_rate_bpm=90),  # no BP in this one
        VitalReading(taken_at=T0, systolic_mmhg=150, diastolic_mmhg=82, spo2_pct=97),
    ]
    t = trends(rows)
    assert (t["systolic_mmhg"].value, t["systolic_mmhg"].arrow) == (150, UP)
    assert t["diastolic_mmhg"].arrow == STEADY
    assert (t["heart_rate_bpm"].value, t["heart_rate_bpm"].arrow) == (90, UP)
    assert t["spo2_pct"].arrow == ""  # only one value
    assert "resp_rate_per_min" not in t


# --- sedation timepoints (pure) -------------------------------------------------------------


def test_timepoints_due_done_and_overdue() -> None:
    before = timepoints(
        pre_dose_done=True, scored_at_min=[], minutes_now=None, min_observation_min=120
    )
    assert [t.status for t in before] == [Status.DONE, Status.UPCOMING, Status.UPCOMING]
    at_35 = timepoints(
        pre_dose_done=True, scored_at_min=[], minutes_now=35, min_observation_min=120
    )
    assert at_35[1].status == Status.DUE
    late = timepoints(
        pre_dose_done=True, scored_at_min=[20], minutes_now=70, min_observation_min=120
    )
    assert late[1].status == Status.OVERDUE
    done = timepoints(
        pre_dose_done=True, scored_at_min=[41, 95], minutes_now=100, min_observation_min=120
    )
    assert [t.status for t in done] == [Status.DONE, Status.DONE, Status.DONE]
    end_due = timepoints(
        pre_dose_done=False, scored_at_min=[41], minutes_now=92, min_observation_min=120
    )
    assert end_due[0].status == Status.DUE and end_due[2].status == Status.DUE


def test_cadss6_total_sums_the_six_items_and_names_a_bad_one() -> None:
    assert cadss6_total({1: 1, 2: 0, 6: 2, 7: 0, 15: 4, 22: 1}) == 8
    with pytest.raises(ValueError, match="cadss_15"):
        cadss6_total({1: 1, 2: 0, 6: 2, 7: 0, 15: 5, 22: 1})
    with pytest.raises(ValueError, match="cadss_22"):
        cadss6_total({1: 1, 2: 0, 6: 2, 7: 0, 15: 1})


# --- chart (pure) ---------------------------------------------------------------------------


def test_chart_draws_series_and_limit_lines() -> None:
    rows = [
        VitalReading(taken_at=T0 - timedelta(minutes=5), systolic_mmhg=120, diastolic_mmhg=80,
                     heart_rate_bpm=70, spo2_pct=98),
        VitalReading(taken_at=T0 + timedelta(minutes=40), systolic_mmhg=165, diastolic_mmhg=95,
                     heart_rate_bpm=88, spo2_pct=95),
    ]  # fmt: skip
    svg = str(vitals_chart(rows, T0, DEFAULT_LIMITS))
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    for series in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_bpm", "spo2_pct"):
        assert f'data-series="{series}"' in svg
    assert 'data-limit="SBP 180"' in svg and 'data-limit="SpO₂ 92"' in svg
    assert "min from first dose" in svg
    assert str(vitals_chart([], T0, DEFAULT_LIMITS)) == ""


# --- with the database ----------------------------------------------------------------------


@pytest.mark.django_db
def test_board_shows_elapsed_due_trends_and_ready(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    actions.do_record_vitals(
        actor(world.nurse_a), session, {"systolic_mmhg": 140, "diastolic_mmhg": 80}
    )
    html = as_user(world.nurse_a).get("/chairs/live/").content.decode()
    assert f'data-testid="latest-{session.pk}"' in html
    assert "BP 140<b" in html and UP in html  # 122 → 140
    assert "min since dose" in html and "next vitals" in html
    assert f'data-testid="ready-{session.pk}"' not in html


@pytest.mark.django_db
def test_board_makes_a_fixed_number_of_queries(world: Any, as_user: Any) -> None:
    from ketacare.treatments.limits import clinic_monitoring

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            board_rows(world.clinic_a, timezone.now())
        return len(ctx.captured_queries)

    s1 = _dosed(world)
    actions.do_record_vitals(actor(world.nurse_a), s1, {"heart_rate_bpm": 80})
    one = count()
    other = make_patient(world.clinic_a, "Bea", "Second")
    from tests.evaluations.evaluation_helpers import consent
    from tests.scheduling.sched_helpers import iv_plan
    from tests.treatments.session_helpers import appointment, phq9_today

    plan = iv_plan(world.prescriber_a, other)
    consent(world.prescriber_a, other, "iv_racemic")
    phq9_today(other)
    appt = appointment(other, plan, "Chair 2")
    s2 = actions.do_check_in(actor(world.nurse_a), world.clinic_a, other, appt.pk)
    assert s2.limits_used == {}  # not yet checked: the clinic's current limits, read once
    two = count()
    assert two <= one + 1  # the clinic's limits, read once for every unchecked session
    third = make_patient(world.clinic_a, "Cy", "Third")
    plan3 = iv_plan(world.prescriber_a, third)
    consent(world.prescriber_a, third, "iv_racemic")
    phq9_today(third)
    appt3 = appointment(third, plan3, "Chair 3")
    actions.do_check_in(actor(world.nurse_a), world.clinic_a, third, appt3.pk)
    assert count() == two  # no query per session
    assert clinic_monitoring(world.clinic_a).escalation_min == 5


@pytest.mark.django_db
def test_session_page_shows_chart_and_timepoints(world: Any, as_user: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    actions.do_record_vitals(
        actor(world.nurse_a),
        session,
        {"systolic_mmhg": 130, "diastolic_mmhg": 82, "heart_rate_bpm": 76, "spo2_pct": 97},
    )
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/"
    html = as_user(world.nurse_a).get(url).content.decode()
    assert 'data-testid="vitals-chart"' in html and "<svg" in html
    assert 'data-testid="timepoint-pre_dose"' in html
    assert 'data-testid="timepoint-peak"' in html
    # Clinic B cannot see it.
    assert as_user(world.clinician_b).get(url).status_code == 404


@pytest.mark.django_db
def test_moaas_two_raises_an_alert(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    actions.do_record_vitals(actor(world.nurse_a), session, {"moaas": 2, "cadss6": 6})
    alert = SessionAlert.objects.get(session=session)
    assert alert.code == "deep_sedation" and alert.field == "moaas"


@pytest.mark.django_db
def test_discharge_needs_scores_from_the_pre_discharge_timepoint(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    full = {"systolic_mmhg": 124, "diastolic_mmhg": 78, "heart_rate_bpm": 72, "spo2_pct": 98}
    actions.do_record_vitals(actor(world.nurse_a), session, full | {"moaas": 5, "cadss6": 0})
    # Move everything back two hours: the scores were taken at the start of observation.
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=125),
        dosing_started_at=timezone.now() - timedelta(minutes=170),
    )
    VitalReading.objects.filter(session=session, phase="during").update(
        taken_at=timezone.now() - timedelta(minutes=120)
    )
    session.refresh_from_db()
    decision = readiness(session, timezone.now(), escort=True)
    assert any("not scored before discharge" in m for m in decision.missing)
    actions.do_record_vitals(actor(world.nurse_a), session, full | {"moaas": 5, "cadss6": 0})
    decision = readiness(session, timezone.now(), escort=True)
    assert not any("not scored before discharge" in m for m in decision.missing)


@pytest.mark.django_db
def test_cadss6_items_are_summed_and_a_bad_item_is_named(world: Any, as_user: Any) -> None:
    session = _dosed(world)
    url = f"/patients/{world.patient_a.pk}/sessions/{session.pk}/vitals/"
    items = {"cadss_1": 1, "cadss_2": 0, "cadss_6": 2, "cadss_7": 0, "cadss_15": 3, "cadss_22": 1}
    client = as_user(world.nurse_a)
    bad = client.post(url, items | {"cadss_15": 7, "moaas": 5})
    assert bad.status_code == 400 and 'data-field="cadss_15"' in bad.content.decode()
    partial = client.post(url, {"cadss_1": 2, "moaas": 5})
    assert partial.status_code == 400 and 'data-field="cadss_2"' in partial.content.decode()
    mismatch = client.post(url, items | {"cadss6": 3})
    assert mismatch.status_code == 400 and "add up to 7" in mismatch.content.decode()
    assert not VitalReading.objects.filter(session=session, phase="during").exists()
    assert client.post(url, items | {"moaas": 4}).status_code == 302
    reading = VitalReading.objects.get(session=session, phase="during")
    assert (reading.cadss6, reading.moaas) == (7, 4)
