"""The clinic admin sets the clinic's time zone on the settings page; it is validated,
audited, saved with the rest of the form or not at all, and used by the next page."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry

pytestmark = pytest.mark.django_db


def test_admin_sets_the_time_zone_and_it_is_audited(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    page = client.get("/accounts/settings/").content.decode()
    assert '<option value="America/New_York" selected>' in page
    response = client.post("/accounts/settings/", {"time_zone": "America/Chicago"})
    assert response.status_code == 302
    world.clinic_a.refresh_from_db()
    assert world.clinic_a.time_zone == "America/Chicago"
    entry = AuditEntry.objects.get(action="accounts.clinic.time_zone_changed")
    assert entry.detail == {"from": "America/New_York", "to": "America/Chicago"}
    assert entry.clinic_id == world.clinic_a.pk
    world.clinic_b.refresh_from_db()
    assert world.clinic_b.time_zone == "America/New_York"  # only the admin's own clinic


def test_an_unknown_zone_is_refused_by_name_and_nothing_is_saved(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    response = client.post(
        "/accounts/settings/", {"time_zone": "Mars/Olympus", "mfa_required": "on"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="time_zone-error"' in html and "Choose the clinic" in html
    world.clinic_a.refresh_from_db()
    assert world.clinic_a.time_zone == "America/New_York"
    assert not world.clinic_a.mfa_required  # one form, one transaction
    assert not AuditEntry.objects.filter(action__startswith="accounts.clinic.").exists()


def test_only_those_with_the_permission_may_change_it(world: Any, as_user: Any) -> None:
    response = as_user(world.nurse_a).post("/accounts/settings/", {"time_zone": "Asia/Tokyo"})
    assert response.status_code == 403
    world.clinic_a.refresh_from_db()
    assert world.clinic_a.time_zone == "America/New_York"
