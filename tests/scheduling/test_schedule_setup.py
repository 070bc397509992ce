"""Schedule set-up by the admin: chairs and rooms, hours, closures, staff hours, reminders."""

from __future__ import annotations

from datetime import time
from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.scheduling.calendar import reminder_leads
from ketacare.scheduling.models import ClinicHours, Closure, Resource, StaffHours

URL = "/schedule/setup/"


def test_only_the_admin_sets_up(world: Any, as_user: Any) -> None:
    assert as_user(world.admin_a).get(URL).status_code == 200
    for user in (world.nurse_a, world.prescriber_a, world.director_a):
        assert as_user(user).get(URL).status_code == 403
    assert as_user(world.nurse_a).post(URL + "resources/", {}).status_code == 403


def test_add_edit_and_deactivate_a_chair(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    response = client.post(
        URL + "resources/",
        {
            "resource-name": "Chair 1",
            "resource-kind": "chair",
            "resource-has_iv_pump": "on",
            "resource-has_monitor": "on",
            "resource-sort_order": "1",
        },
    )
    assert response.status_code == 302
    chair = Resource.objects.get(clinic=world.clinic_a)
    assert chair.has_iv_pump and chair.has_monitor and not chair.esketamine_certified
    clash = client.post(
        URL + "resources/",
        {"resource-name": "chair 1", "resource-kind": "chair", "resource-sort_order": "0"},
    )
    assert clash.status_code == 400 and "already a chair or room" in clash.content.decode()
    edit = client.post(
        URL + f"resources/{chair.pk}/",
        {"name": "Chair 1", "kind": "chair", "esketamine_certified": "on", "sort_order": "1"},
    )
    assert edit.status_code == 302
    chair.refresh_from_db()
    assert chair.esketamine_certified and not chair.has_iv_pump
    client.post(URL + f"resources/{chair.pk}/toggle/")
    chair.refresh_from_db()
    assert not chair.active
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"scheduling.resource.added", "scheduling.resource.changed"} <= actions
    assert "scheduling.resource.deactivated" in actions


def test_another_clinics_chair_is_404(world: Any, as_user: Any) -> None:
    chair = Resource.objects.create(clinic=world.clinic_a, name="A1")
    assert as_user(world.clinician_b).get(f"{URL}resources/{chair.pk}/").status_code in (403, 404)


def test_clinic_hours_closing_before_opening_names_the_day(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    data = {"hours-opens_0": "08:00", "hours-closes_0": "18:00"}
    assert client.post(URL + "hours/", data).status_code == 302
    assert ClinicHours.objects.get(clinic=world.clinic_a).closes == time(18)
    bad = client.post(URL + "hours/", {**data, "hours-opens_1": "17:00", "hours-closes_1": "09:00"})
    html = bad.content.decode()
    assert bad.status_code == 400 and "Tuesday: closing must be after opening." in html
    assert 'data-field="closes_1"' in html and 'value="17:00"' in html
    half = client.post(URL + "hours/", {"hours-opens_2": "09:00"})
    assert half.status_code == 400 and "Wednesday: when does it close?" in half.content.decode()
    assert ClinicHours.objects.filter(clinic=world.clinic_a).count() == 1


def test_closures_need_a_reason_and_an_order(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    bad = client.post(
        URL + "closures/",
        {"closure-starts_on": "2026-12-26", "closure-ends_on": "2026-12-24", "closure-reason": "x"},
    )
    assert bad.status_code == 400 and "on or after the first day" in bad.content.decode()
    ok = client.post(
        URL + "closures/", {"closure-starts_on": "2026-12-25", "closure-reason": "Christmas"}
    )
    assert ok.status_code == 302
    closure = Closure.objects.get()
    assert closure.ends_on == closure.starts_on
    client.post(URL + f"closures/{closure.pk}/remove/")
    assert not Closure.objects.exists()


def test_overlapping_staff_hours_are_refused(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    data = {
        "staff-user": world.prescriber_a.pk,
        "staff-weekday": "0",
        "staff-starts": "08:00",
        "staff-ends": "12:00",
    }
    assert client.post(URL + "staff-hours/", data).status_code == 302
    overlap = client.post(
        URL + "staff-hours/", {**data, "staff-starts": "11:00", "staff-ends": "15:00"}
    )
    assert overlap.status_code == 400 and "Overlaps Paula Prescriber" in overlap.content.decode()
    later = client.post(
        URL + "staff-hours/", {**data, "staff-starts": "12:00", "staff-ends": "16:00"}
    )
    assert later.status_code == 302
    backwards = client.post(
        URL + "staff-hours/",
        {**data, "staff-weekday": "1", "staff-starts": "12:00", "staff-ends": "08:00"},
    )
    assert backwards.status_code == 400
    assert StaffHours.objects.count() == 2
    outsider = client.post(URL + "staff-hours/", {**data, "staff-user": world.clinician_b.pk})
    assert outsider.status_code == 400


def test_reminder_leads_default_to_48_and_2(world: Any, as_user: Any) -> None:
    assert reminder_leads(world.clinic_a) == [48, 2]
    client = as_user(world.admin_a)
    assert "48, 2" in client.get(URL).content.decode()
    assert client.post(URL + "reminders/", {"leads-leads": "24, 72, 3"}).status_code == 302
    assert reminder_leads(world.clinic_a) == [72, 24, 3]
    bad = client.post(URL + "reminders/", {"leads-leads": "24, 1000"})
    assert bad.status_code == 400 and "1 to 336 hours" in bad.content.decode()
    words = client.post(URL + "reminders/", {"leads-leads": "soon"})
    assert words.status_code == 400
