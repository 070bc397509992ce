"""A chair alert escalated to the prescriber is on every page they open, not only on the chair
board, until someone acknowledges it; then it is gone. Nobody else's banner shows it, and a
clinic's alerts never show while signed in to another clinic."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketacare.accounts.middleware import SESSION_CLINIC_KEY
from ketacare.accounts.models import Membership, Role
from ketacare.treatments import actions
from ketacare.treatments.models import SessionAlert, StaffNotice
from tests.treatments.session_helpers import actor, escalated_alert

pytestmark = pytest.mark.django_db


def _escalated(world: Any) -> SessionAlert:
    return escalated_alert(world)  # type: ignore[no-any-return]


def _html(client: Client) -> str:
    response = client.get("/safety/banner/")
    assert response.status_code == 200
    return str(response.json()["html"])


def test_the_prescriber_sees_it_on_every_page_until_acknowledged(world: Any, as_user: Any) -> None:
    alert = _escalated(world)
    prescriber = as_user(world.prescriber_a)

    html = _html(prescriber)
    assert 'data-testid="chair-escalated"' in html
    assert "1 chair alert escalated to you" in html and alert.message in html
    session_url = f"/patients/{world.patient_a.pk}/sessions/{alert.session_id}/#alerts"
    assert session_url in html
    page = prescriber.get("/patients/").content.decode()  # any staff page carries it
    assert 'data-testid="chair-escalated"' in page

    assert 'data-testid="chair-escalated"' not in _html(as_user(world.nurse_a))  # not hers

    actions.do_acknowledge_alert(
        actor(world.prescriber_a), alert.session, alert.pk, "notify_prescriber", "Seen, repeat."
    )
    assert 'data-testid="chair-escalated"' not in _html(prescriber)


def test_another_clinics_escalated_alert_is_not_shown_here(world: Any) -> None:
    _escalated(world)
    Membership.objects.create(user=world.prescriber_a, clinic=world.clinic_b, role=Role.PRESCRIBER)
    client = Client()
    client.force_login(world.prescriber_a)
    session = client.session
    session[SESSION_CLINIC_KEY] = world.clinic_b.pk
    session.save()

    html = _html(client)

    assert 'data-testid="chair-escalated"' not in html
    assert world.patient_a.legal_family_name not in html
    assert "Alpha Clinic — 1 unread notice for you" in html  # the escalation's notice, counted


def test_unread_chair_notices_badge_the_chairs_menu_item_until_read(
    world: Any, as_user: Any
) -> None:
    _escalated(world)  # the escalation left one notice for the prescriber
    prescriber = as_user(world.prescriber_a)

    assert prescriber.get("/safety/banner/").json()["chair_unread"] == 1
    page = prescriber.get("/patients/").content.decode()
    badge = page[page.index("data-chair-unread") :]
    assert badge[badge.index(">") + 1 : badge.index("</span>")] == "1"
    assert as_user(world.nurse_a).get("/safety/banner/").json()["chair_unread"] == 0

    notice = StaffNotice.objects.get(user=world.prescriber_a)
    prescriber.post(f"/chairs/notices/{notice.pk}/read/")
    assert prescriber.get("/safety/banner/").json()["chair_unread"] == 0


def test_the_board_counts_my_unread_chair_notices_once(world: Any, as_user: Any) -> None:
    escalated_alert(world)
    prescriber = as_user(world.prescriber_a)

    page = prescriber.get("/chairs/").content.decode()

    assert 'data-testid="notices-link">My notices <span class="tag ts-alert-critical">1</span>' in (
        page
    )
    nurse_page = as_user(world.nurse_a).get("/chairs/").content.decode()
    assert 'data-testid="notices-link">My notices</a>' in nurse_page  # none for her
    fragment = prescriber.get("/chairs/live/").content.decode()
    assert fragment.strip() and "My notices" not in fragment  # the poll carries no count
