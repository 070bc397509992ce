"""The schedule pages: day and week views, the appointment page, booking from the chart,
permissions, clinic isolation, audit of reads, and a constant number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketacare.accounts.audit import AuditEntry
from ketacare.scheduling.models import Appointment, AppointmentStatus
from tests.conftest import make_patient
from tests.scheduling.sched_helpers import at, iv_plan, set_up_clinic

NOW = at(2026, 11, 17, 8, 30)  # Tuesday


@pytest.fixture
def sched(world: Any) -> Any:
    with time_machine.travel(NOW, tick=False):
        world.chairs = set_up_clinic(world.clinic_a)
        yield world


def add(w: Any, patient: Any, hour: int, chair: str = "room", **kw: Any) -> Appointment:
    return Appointment.objects.create(
        clinic=w.clinic_a,
        patient=patient,
        type=kw.pop("type", "follow_up"),
        starts_at=at(2026, 11, 17, hour),
        ends_at=at(2026, 11, 17, hour) + timedelta(minutes=kw.pop("minutes", 60)),
        resource=w.chairs[chair] if chair else None,
        **kw,
    )


def test_schedule_root_redirects_to_today(sched: Any, as_user: Any) -> None:
    response = as_user(sched.nurse_a).get("/schedule/")
    assert response.status_code == 302 and response["Location"] == "/schedule/day/2026-11-17/"
    jump = as_user(sched.nurse_a).get("/schedule/?d=2026-12-01")
    assert jump["Location"] == "/schedule/day/2026-12-01/"


def test_day_view_shows_blocks_by_chair_and_is_audited_once(sched: Any, as_user: Any) -> None:
    add(sched, sched.patient_a, 9, minutes=90)
    add(sched, make_patient(sched.clinic_a, "Mary", "Shelley"), 13, chair="")
    response = as_user(sched.nurse_a).get("/schedule/day/2026-11-17/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="appointment-block"') == 2
    assert "Lovelace, Ada" in html and "Shelley, Mary" in html
    assert "No chair or room" in html  # a column for appointments without one
    # 08:00 is row 1; 09:00 is row 5, 90 minutes spans 6 rows; Room A is the 4th chair (col 5).
    assert "dg-block c5 r5 s6" in html
    assert AuditEntry.objects.filter(action="scheduling.day.viewed").count() == 1
    assert 'value="check_in"' in html


def test_day_view_query_count_does_not_grow_with_appointments(sched: Any, as_user: Any) -> None:
    client = as_user(sched.nurse_a)
    add(sched, sched.patient_a, 9)
    client.get("/schedule/day/2026-11-17/")
    with CaptureQueriesContext(connection) as few:
        client.get("/schedule/day/2026-11-17/")
    for i in range(12):
        patient = make_patient(sched.clinic_a, f"P{i}", f"Family{i}")
        add(sched, patient, 8 + i % 9, chair=("iv1", "esk", "plain")[i % 3], minutes=45)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/schedule/day/2026-11-17/")
    assert response.content.decode().count('data-testid="appointment-block"') == 13
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_week_view_lists_each_day_with_chair(sched: Any, as_user: Any) -> None:
    add(sched, sched.patient_a, 9)
    response = as_user(sched.director_a).get("/schedule/week/2026-11-19/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Week of 16 November 2026" in html and "Room A" in html and "Lovelace, Ada" in html
    assert AuditEntry.objects.filter(action="scheduling.week.viewed").count() == 1


def test_bad_dates_are_404(sched: Any, as_user: Any) -> None:
    assert as_user(sched.nurse_a).get("/schedule/day/2026-13-40/").status_code == 404


def test_another_clinics_appointment_is_404_everywhere(sched: Any, as_user: Any) -> None:
    appointment = add(sched, sched.patient_a, 9)
    client = as_user(sched.clinician_b)
    base = f"/schedule/appointments/{appointment.pk}/"
    assert client.get(base).status_code == 404
    assert client.post(base + "cancel/", {"cancel-reason": "x"}).status_code == 404
    assert client.post(base + "status/", {"action": "check_in"}).status_code == 404
    assert client.post(base + "reschedule/", {}).status_code == 404
    day = client.get("/schedule/day/2026-11-17/").content.decode()
    assert "Lovelace" not in day
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_detail_page_shows_history_and_reminders_and_is_audited(sched: Any, as_user: Any) -> None:
    appointment = add(sched, sched.patient_a, 9)
    response = as_user(sched.nurse_a).get(f"/schedule/appointments/{appointment.pk}/")
    html = response.content.decode()
    assert response.status_code == 200 and "Reschedule" in html and "Booked" in html
    entry = AuditEntry.objects.get(action="scheduling.appointment.viewed")
    assert entry.patient_id == str(sched.patient_a.pk)


def test_check_in_from_the_day_view_returns_to_the_day(sched: Any, as_user: Any) -> None:
    appointment = add(sched, sched.patient_a, 9)
    with time_machine.travel(NOW, tick=False):
        response = as_user(sched.nurse_a).post(
            f"/schedule/appointments/{appointment.pk}/status/",
            {"action": "check_in", "back": "day"},
        )
    assert response["Location"] == "/schedule/day/2026-11-17/"
    appointment.refresh_from_db()
    assert appointment.status == "checked_in"


def test_therapists_and_directors_cannot_check_in(sched: Any, as_user: Any) -> None:
    appointment = add(sched, sched.patient_a, 9)
    for user in (sched.therapist_a, sched.director_a):
        response = as_user(user).post(
            f"/schedule/appointments/{appointment.pk}/status/", {"action": "check_in"}
        )
        assert response.status_code == 403
    response = as_user(sched.director_a).post(
        f"/schedule/appointments/{appointment.pk}/cancel/", {"cancel-reason": "x"}
    )
    assert response.status_code == 403


def test_cancel_without_a_reason_keeps_the_form_and_says_why(sched: Any, as_user: Any) -> None:
    appointment = add(sched, sched.patient_a, 9)
    url = f"/schedule/appointments/{appointment.pk}/cancel/"
    response = as_user(sched.intake_a).post(url, {"cancel-reason": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = as_user(sched.intake_a).post(url, {"cancel-reason": "Patient called"})
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.status_reason == "Patient called"


def test_reschedule_into_a_conflict_shows_it_on_the_field(sched: Any, as_user: Any) -> None:
    mine = add(sched, sched.patient_a, 9)
    add(sched, make_patient(sched.clinic_a, "Mary", "Shelley"), 11)
    response = as_user(sched.nurse_a).post(
        f"/schedule/appointments/{mine.pk}/reschedule/",
        {
            "move-date": "2026-11-17",
            "move-time": "11:30",
            "move-duration_min": "60",
            "move-resource": sched.chairs["room"].pk,
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Room A is already booked" in html and 'value="11:30"' in html


def test_booking_from_the_chart(sched: Any, as_user: Any) -> None:
    client = as_user(sched.intake_a)
    url = f"/patients/{sched.patient_a.pk}/appointments/new/"
    assert client.get(url).status_code == 200
    data = {
        "type": "evaluation",
        "date": "2026-11-18",
        "time": "09:00",
        "duration_min": "90",
        "resource": sched.chairs["room"].pk,
        "notes": "bring medication list",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.starts_at == at(2026, 11, 18, 9) and appointment.created_by == sched.intake_a
    again = client.post(url, data)
    html = again.content.decode()
    assert again.status_code == 400 and "already has evaluation" in html
    assert "bring medication list" in html  # nothing typed is lost
    chart = client.get(f"/patients/{sched.patient_a.pk}/").content.decode()
    assert 'id="appointments"' in chart and "Wed 18 Nov 2026" in chart


def test_booking_a_treatment_without_a_plan_names_the_plan_field(sched: Any, as_user: Any) -> None:
    response = as_user(sched.nurse_a).post(
        f"/patients/{sched.patient_a.pk}/appointments/new/",
        {"type": "treatment", "date": "2026-11-18", "time": "09:00", "duration_min": "60"},
    )
    assert response.status_code == 400
    assert 'data-field="plan"' in response.content.decode()


def test_booking_needs_the_permission_and_the_clinic(sched: Any, as_user: Any) -> None:
    url = f"/patients/{sched.patient_a.pk}/appointments/new/"
    assert as_user(sched.director_a).get(url).status_code == 403
    assert as_user(sched.clinician_b).get(url).status_code == 404


def test_series_page_proposes_checks_and_books(sched: Any, as_user: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        plan = iv_plan(sched.prescriber_a, sched.patient_a)
    client = as_user(sched.nurse_a)
    url = f"/patients/{sched.patient_a.pk}/appointments/series/{plan.pk}/"
    with time_machine.travel(NOW, tick=False):
        page = client.get(url)
        assert page.status_code == 200 and "Propose sessions" in page.content.decode()
        setup = {
            "setup-start_on": "2026-11-23",
            "setup-time_1": "10:00",
            "setup-duration_min": "175",
        }
        proposed = client.post(url, {**setup, "step": "propose"})
    html = proposed.content.decode()
    assert proposed.status_code == 200 and html.count('data-testid="series-row"') == 6
    rows = _rows_from(proposed)
    # The user moves session 2 onto the day after session 1 and checks again.
    rows["rows-1-date"] = "2026-11-24"
    checked = client.post(url, {**setup, **rows, "step": "check"})
    assert "this phase needs at least 48 h" in checked.content.decode()
    refused = client.post(url, {**setup, **rows, "step": "save"})
    assert refused.status_code == 400 and not Appointment.objects.exists()
    rows["rows-1-date"] = "2026-11-26"
    saved = client.post(url, {**setup, **rows, "step": "save"})
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    assert Appointment.objects.filter(plan=plan).count() == 6
    assert AuditEntry.objects.filter(action="scheduling.series.booked").count() == 1


def test_series_page_for_another_clinic_or_plan_is_404(sched: Any, as_user: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        plan = iv_plan(sched.prescriber_a, sched.patient_a)
    url = f"/patients/{sched.patient_a.pk}/appointments/series/{plan.pk}/"
    assert as_user(sched.clinician_b).get(url).status_code == 404
    other = make_patient(sched.clinic_a, "Mary", "Shelley")
    wrong = f"/patients/{other.pk}/appointments/series/{plan.pk}/"
    assert as_user(sched.nurse_a).get(wrong).status_code == 404


def _rows_from(response: Any) -> dict[str, str]:
    import re

    html = response.content.decode()
    data: dict[str, str] = {}
    for name, value in re.findall(r'name="(rows-[^"]+)"[^>]*?value="([^"]*)"', html):
        data[name] = value
    for name in re.findall(r'<select name="(rows-\d+-resource)"', html):
        block = html.split(f'<select name="{name}"', 1)[1].split("</select>", 1)[0]
        chosen = re.search(r'<option value="(\d+)" selected', block)
        data[name] = chosen.group(1) if chosen else ""
    for name, value in re.findall(
        r'<input type="(?:date|time|hidden)" name="(rows-[^"]+)" value="([^"]*)"', html
    ):
        data[name] = value
    for key in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
        match = re.search(rf'name="rows-{key}" value="(\d+)"', html)
        if match:
            data[f"rows-{key}"] = match.group(1)
    return data
