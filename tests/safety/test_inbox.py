"""One inbox: "My notifications" lists the risk-flag notifications and the notices from the
chairs together, newest first; the menu badge counts both; "Mark all as read" marks both; the
page is audited; nobody sees another person's or another clinic's items."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.safety.escalation_models import StaffNotification
from ketacare.safety.inbox import LIMIT, inbox_for
from ketacare.treatments.models import StaffNotice
from tests.safety.helpers import on_call_all_week, raise_flag
from tests.treatments.session_helpers import escalated_alert

pytestmark = pytest.mark.django_db


def test_both_kinds_on_one_page_newest_first_with_their_links(world: Any, as_user: Any) -> None:
    on_call_all_week(world.clinic_a, world.prescriber_a)
    alert = escalated_alert(world)
    earlier = timezone.now() - timedelta(hours=1)  # the escalation ran at a frozen later time
    StaffNotice.objects.filter(alert=alert).update(created_at=earlier)
    flag = raise_flag(world.patient_a)
    client = as_user(world.prescriber_a)

    page = client.get("/safety/notifications/").content.decode()

    notice = StaffNotice.objects.get(user=world.prescriber_a, alert=alert)
    note = StaffNotification.objects.filter(user=world.prescriber_a, flag=flag).first()
    assert note is not None
    assert f'data-testid="inbox-flag-{note.pk}"' in page
    assert f'data-testid="inbox-chair-{notice.pk}"' in page
    assert page.index(f"inbox-flag-{note.pk}") < page.index(f"inbox-chair-{notice.pk}")
    assert f"/safety/flags/{flag.pk}/" in page
    assert f"/patients/{world.patient_a.pk}/sessions/{alert.session_id}/#alerts" in page
    assert notice.message in page and "Risk flag" in page and "Chair" in page
    assert "2 unread" in page


def test_the_menu_badge_counts_both_and_mark_all_read_clears_both(world: Any, as_user: Any) -> None:
    on_call_all_week(world.clinic_a, world.prescriber_a)
    escalated_alert(world)
    raise_flag(world.patient_a)
    client = as_user(world.prescriber_a)
    data = client.get("/safety/banner/").json()
    assert (data["unread"], data["chair_unread"], data["inbox_unread"]) == (1, 1, 2)
    page = client.get("/patients/").content.decode()
    assert 'data-unread title="Unread notifications for you: risk flags and chair notices">2<' in (
        page
    )

    response = client.post("/safety/notifications/")

    assert response.status_code == 302
    data = client.get("/safety/banner/").json()
    assert (data["unread"], data["chair_unread"], data["inbox_unread"]) == (0, 0, 0)
    entry = AuditEntry.objects.filter(action="safety.notifications.marked_read").get()
    assert entry.actor_id == world.prescriber_a.pk
    assert entry.detail == {"notifications": 1, "chair_notices": 1}
    assert "All read." in client.get("/safety/notifications/").content.decode()


def test_viewing_is_audited(world: Any, as_user: Any) -> None:
    on_call_all_week(world.clinic_a, world.nurse_a)
    raise_flag(world.patient_a)

    as_user(world.nurse_a).get("/safety/notifications/")

    entry = AuditEntry.objects.filter(action="safety.notifications.viewed").get()
    assert entry.actor_id == world.nurse_a.pk and entry.clinic_id == world.clinic_a.pk
    assert entry.detail == {"shown": 1, "unread": 1}


def test_nobody_elses_items_and_no_other_clinics(world: Any, as_user: Any) -> None:
    StaffNotice.objects.create(user=world.prescriber_a, clinic=world.clinic_a, message="hers")
    StaffNotice.objects.create(user=world.nurse_a, clinic=world.clinic_b, message="elsewhere")
    StaffNotification.objects.create(user=world.nurse_a, clinic=world.clinic_b, text="B flag")
    StaffNotice.objects.create(user=world.nurse_a, clinic=world.clinic_a, message="mine")

    page = as_user(world.nurse_a).get("/safety/notifications/").content.decode()

    assert "mine" in page
    assert "hers" not in page and "elsewhere" not in page and "B flag" not in page
    # Marking all read here leaves the other clinic's items unread.
    as_user(world.nurse_a).post("/safety/notifications/")
    assert StaffNotice.objects.filter(clinic=world.clinic_b, read_at__isnull=True).count() == 1
    assert StaffNotification.objects.filter(clinic=world.clinic_b, read_at__isnull=True).exists()
    assert StaffNotice.objects.get(user=world.prescriber_a).read_at is None


def test_a_long_inbox_is_cut_and_says_so(world: Any) -> None:
    now = timezone.now()
    StaffNotice.objects.bulk_create(
        StaffNotice(
            user=world.nurse_a,
            clinic=world.clinic_a,
            message=f"n{i}",
            created_at=now - timedelta(minutes=i),
        )
        for i in range(LIMIT + 1)
    )

    found = inbox_for(world.clinic_a, world.nurse_a)

    assert len(found.items) == LIMIT and found.truncated
    assert found.unread == LIMIT + 1
    assert found.items[0].text == "n0"


def test_signed_out_is_sent_to_sign_in(client: Any) -> None:
    response = client.get("/safety/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
