"""Defects found by a QA pass in a browser: a future integration note, zeros for unlogged habits
in the weekly tables, a "Score" legend on the habit charts, and a second, contradictory error on
the habits form."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from ketacare.accounts.models import Clinic
from ketacare.aftercare.habit_actions import do_log_habits
from ketacare.aftercare.models import HabitLog, IntegrationNote
from ketacare.safety.models import RiskFlag
from tests.aftercare.helpers import actor, note_form
from tests.portal.conftest import PORTAL_PASSWORD, make_portal_account

pytestmark = pytest.mark.django_db

# 23:30 on Wednesday 10 July 2030 in New York (the server's zone in these tests) is already
# 15:30 on Thursday 11 July in Auckland.
NOW = datetime(2030, 7, 11, 3, 30, tzinfo=UTC)
SERVER_TODAY = date(2030, 7, 10)
AUCKLAND_TODAY = date(2030, 7, 11)


@pytest.fixture(autouse=True)
def _server_in_new_york(settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def set_zone(clinic: Clinic, name: str) -> None:
    Clinic.objects.filter(pk=clinic.pk).update(time_zone=name)
    clinic.refresh_from_db()


def notes_url(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/aftercare/integration/"


def errors_of(body: str, field: str) -> list[str]:
    return re.findall(rf'data-field="{field}"[^>]*>(.*?)</', body, re.S)


# 1. An integration note of a session that has not happened yet


def test_note_held_in_the_future_is_refused_on_held_on_and_keeps_what_was_typed(
    world: Any, as_user: Any, frozen: Any
) -> None:
    set_zone(world.clinic_a, "America/New_York")
    client = as_user(world.therapist_a)
    data = note_form(
        held_on="2030-07-11",
        themes="Felt held by the music",
        risk="concern",
        risk_note="Passive thoughts last week",
    )
    response = client.post(notes_url(world) + "new/", data)
    body = response.content.decode()
    assert response.status_code == 400
    assert errors_of(body, "held_on") and "in the future" in errors_of(body, "held_on")[0]
    assert not IntegrationNote.objects.exists()
    assert not RiskFlag.objects.exists()  # refused before the risk check raises anything
    # Nothing typed is lost: the form comes back with every value.
    assert 'value="2030-07-11"' in body
    assert "Felt held by the music" in body and "Passive thoughts last week" in body
    assert re.search(r'value="concern"[^>]*checked', body)
    assert 'max="2030-07-10"' in body  # the date picker offers no later day


def test_today_is_the_clinics_today_not_the_servers(world: Any, as_user: Any, frozen: Any) -> None:
    set_zone(world.clinic_a, "Pacific/Auckland")
    client = as_user(world.therapist_a)
    # Auckland's today is the server's tomorrow: allowed.
    response = client.post(notes_url(world) + "new/", note_form(held_on="2030-07-11"))
    assert response.status_code == 302
    assert IntegrationNote.objects.get().held_on == AUCKLAND_TODAY
    # Auckland's tomorrow is refused.
    body = client.post(notes_url(world) + "new/", note_form(held_on="2030-07-12")).content
    assert errors_of(body.decode(), "held_on")
    assert IntegrationNote.objects.count() == 1


def test_a_draft_cannot_be_moved_into_the_future_and_the_past_is_left_alone(
    world: Any, as_user: Any, frozen: Any
) -> None:
    set_zone(world.clinic_a, "America/New_York")
    client = as_user(world.therapist_a)
    # No date field in the codebase bounds an event date in the past, so an old session is
    # recorded as given (a note typed up from paper records).
    client.post(notes_url(world) + "new/", note_form(held_on="2019-03-01"))
    note = IntegrationNote.objects.get()
    assert note.held_on == date(2019, 3, 1)
    body = client.post(
        f"{notes_url(world)}{note.pk}/", note_form(held_on="2030-08-01", themes="Edited")
    ).content.decode()
    assert errors_of(body, "held_on") and "Edited" in body
    note.refresh_from_db()
    assert note.held_on == date(2019, 3, 1) and note.themes.startswith("Felt held")


# 2. Weekly habit tables: a habit not logged in a week is "not logged", never 0


def _log(world: Any, day: date, **values: Any) -> None:
    do_log_habits(actor(world.nurse_a), world.patient_a, {"day": day, **values})


def _week_cells(body: str, monday: str) -> list[str]:
    table = body.split('data-testid="habit-weeks"', 1)[1].split("</table>", 1)[0]
    row = next(r for r in table.split("<tr>") if f"<td>{monday}" in r)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    return [re.sub(r"<[^>]+>", "", c).strip() for c in cells]


def test_staff_week_table_shows_not_logged_instead_of_zero(
    world: Any, as_user: Any, frozen: Any
) -> None:
    set_zone(world.clinic_a, "America/New_York")
    # Week of 24 June: two days with activity, one of them with therapy answered.
    _log(world, date(2030, 6, 24), active_minutes=30, activity_kind="walk", therapy=True)
    _log(world, date(2030, 6, 25), active_minutes=20, activity_kind="walk")
    # Week of 1 July: one day with sleep only. Week of 17 June: nothing at all.
    _log(world, date(2030, 7, 2), bed_time=time(23, 0), wake_time=time(7, 0))
    body = as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/aftercare/habits/")
    text = body.content.decode()
    # Columns: week, days logged, active min, avg sleep, wake spread, drinks, therapy, goals.
    empty = _week_cells(text, "2030-06-17")
    assert empty[1] == "0/7"
    assert empty[2] == "not logged" and empty[6] == "not logged"
    sleep_only = _week_cells(text, "2030-07-01")
    assert sleep_only[1] == "1/7"
    assert sleep_only[2] == "not logged" and sleep_only[6] == "not logged"
    # The figures are those of the logged days; a habit logged on fewer of them says so.
    active = _week_cells(text, "2030-06-24")
    assert active[1] == "2/7" and active[2] == "50"
    assert active[6] == "1 (1 day logged)"


def test_habit_charts_name_what_they_plot_and_skip_weeks_without_the_habit(
    world: Any, as_user: Any, frozen: Any
) -> None:
    set_zone(world.clinic_a, "America/New_York")
    _log(world, date(2030, 6, 24), active_minutes=30, activity_kind="walk", drinks=Decimal(2))
    _log(world, date(2030, 7, 2), bed_time=time(23, 0), wake_time=time(7, 0))
    text = (
        as_user(world.nurse_a)
        .get(f"/patients/{world.patient_a.pk}/aftercare/habits/")
        .content.decode()
    )
    charts = text.split('data-testid="habit-charts"', 1)[1]
    assert ">Score</text>" not in charts and "No scores to plot" not in charts
    for legend in (
        "Active minutes in the week",
        "Average hours of sleep a night",
        "Standard drinks in the week",
        "PHQ-9 total",
    ):
        assert f">{legend}</text>" in charts, legend
    assert "No PHQ-9 in these weeks" in charts
    active_chart = charts.split('id="habit-active-', 1)[1].split("</svg>", 1)[0]
    # The sleep-only week is not drawn as 0 active minutes; the logged week is.
    assert "Week of 2030-06-24: 30 min (1 of 7 days logged)" in active_chart
    assert "Week of 2030-07-01" not in active_chart


# 3. The habits form: one error, on the field that is wrong


def portal_client(world: Any) -> Client:
    account = make_portal_account(world.patient_a, "ada@patient.test")
    c = Client()
    response = c.post(
        "/portal/sign-in/",
        {"form": "password", "email": account.user.email, "password": PORTAL_PASSWORD},
    )
    assert response.status_code == 302
    return c


def test_portal_too_many_active_minutes_shows_only_the_range_error(world: Any, frozen: Any) -> None:
    set_zone(world.clinic_a, "America/New_York")
    client = portal_client(world)
    response = client.post(
        "/portal/habits/",
        {
            "day": SERVER_TODAY.isoformat(),
            "bed_time": "23:00",
            "wake_time": "07:00",
            "active_minutes": "2000",
            "activity_kind": "walk",  # prefilled from the last day logged
            "drinks": "",
            "therapy": "unknown",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "How many minutes of this activity?" not in body
    errors = re.findall(r'data-field="(\w+)"[^>]*>(.*?)</p>', body, re.S)
    assert errors == [("active_minutes", "Active minutes: At most 1440: a day has 1440 minutes.")]
    assert 'value="2000"' in body  # what was typed stays in the field
    assert not HabitLog.objects.exists()
    # Minutes genuinely missing for a kind of activity is still asked for.
    body = client.post(
        "/portal/habits/",
        {"day": SERVER_TODAY.isoformat(), "activity_kind": "walk", "therapy": "unknown"},
    ).content.decode()
    assert "How many minutes of this activity?" in body


def test_staff_form_reports_each_wrong_field_once(world: Any, as_user: Any, frozen: Any) -> None:
    set_zone(world.clinic_a, "America/New_York")
    url = f"/patients/{world.patient_a.pk}/aftercare/habits/"
    client = as_user(world.nurse_a)
    base = {"day": SERVER_TODAY.isoformat(), "therapy": "unknown", "note": ""}
    body = client.post(
        url, {**base, "active_minutes": "2000", "activity_kind": "walk"}
    ).content.decode()
    assert "How many minutes of this activity?" not in body
    assert len(errors_of(body, "active_minutes")) == 1
    # A missing wake time is reported alongside an unrelated error, not only after it is fixed.
    body = client.post(url, {**base, "bed_time": "23:00", "drinks": "-1"}).content.decode()
    assert errors_of(body, "drinks") and errors_of(body, "wake_time")
    # A wake time that is not a time gets its own error only, not "give both" as well.
    body = client.post(url, {**base, "bed_time": "23:00", "wake_time": "25:00"}).content.decode()
    assert len(errors_of(body, "wake_time")) == 1 and "Give both" not in body
    assert not HabitLog.objects.exists()


def test_portal_week_summary_says_not_logged_instead_of_zero(world: Any, frozen: Any) -> None:
    set_zone(world.clinic_a, "America/New_York")
    _log(world, date(2030, 7, 2), bed_time=time(23, 0), wake_time=time(7, 0))
    _log(world, date(2030, 6, 24), active_minutes=45, activity_kind="run", therapy=False)
    client = portal_client(world)
    body = client.get("/portal/habits/week/").content.decode()
    weeks = body.split('data-testid="patient-week"')[1:]
    assert len(weeks) == 4
    _this_week, last_week, two_ago, three_ago = weeks
    assert "Active: not logged" in last_week and "Therapy sessions: not logged" in last_week
    assert "Active: not logged" in three_ago and "Active: 0" not in body
    assert "Active: 45 minutes</li>" in two_ago and "Therapy sessions: 0</li>" in two_ago
    # A second day that week with sleep only: the figures say how many days they cover.
    _log(world, date(2030, 6, 25), bed_time=time(23, 0), wake_time=time(7, 0))
    body = client.get("/portal/habits/week/").content.decode()
    two_ago = body.split('data-testid="patient-week"')[3]
    assert "Days logged: 2 of 7" in two_ago
    assert "Active: 45 minutes (1 day logged)" in two_ago
    assert "Therapy sessions: 0 (1 day logged)" in two_ago


def test_the_note_form_names_the_dosing_sessions_route_in_words(world: Any, as_user: Any) -> None:
    """The sessions a note can be linked to read "IV racemic ketamine", not "iv_racemic"."""
    from tests.aftercare.helpers import dosed_session

    dosed_session(world, world.patient_a)
    page = (
        as_user(world.therapist_a)
        .get(f"/patients/{world.patient_a.pk}/aftercare/integration/new/")
        .content.decode()
    )
    assert "IV racemic ketamine" in page and "· iv_racemic ·" not in page
