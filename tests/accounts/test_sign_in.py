"""Signing in and out: audit, lockout after repeated failures, idle log-off, clinic choice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Role
from tests.conftest import PASSWORD, make_staff


def _login(client: Client, email: str, password: str, ip: str = "10.0.0.7") -> Any:
    return client.post(
        "/accounts/login/", {"username": email, "password": password}, REMOTE_ADDR=ip
    )


def test_sign_in_lands_on_the_patient_list_and_is_audited(world: Any, client: Client) -> None:
    response = _login(client, "nurse@a.test", PASSWORD)
    assert response.status_code == 302
    page = client.get("/patients/")
    assert page.status_code == 200
    assert "Alpha Clinic" in page.content.decode()
    entry = AuditEntry.objects.get(action="accounts.login.succeeded")
    assert entry.actor_id == world.nurse_a.pk and entry.client_ip == "10.0.0.7"


def test_failed_sign_in_is_audited_without_the_password(world: Any, client: Client) -> None:
    response = _login(client, "nurse@a.test", "wrong-password-123")
    assert response.status_code == 200
    assert "Email or password is not right" in response.content.decode()
    entry = AuditEntry.objects.get(action="accounts.login.failed")
    assert entry.outcome == "failure" and entry.actor_label == "nurse@a.test"
    assert "wrong-password-123" not in entry.canonical()


def test_account_locks_after_repeated_failures(world: Any, client: Client, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        _login(client, "nurse@a.test", "not-the-password")
    locked = _login(client, "nurse@a.test", PASSWORD)
    assert locked.status_code == 429
    assert "temporarily locked" in locked.content.decode()
    # The same account from another address is unaffected (no denial of service by guessing).
    assert _login(Client(), "nurse@a.test", PASSWORD, ip="10.0.0.8").status_code == 302


def test_idle_session_is_signed_out_and_told_why(world: Any, client: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _login(client, "nurse@a.test", PASSWORD)
        assert client.get("/patients/").status_code == 200
        clock.shift(timedelta(minutes=14))
        assert client.get("/patients/").status_code == 200  # activity resets the clock
        clock.shift(timedelta(minutes=16))
        response = client.get(f"/patients/{world.patient_a.pk}/")
    assert response.status_code == 302
    assert (
        response["Location"] == f"/accounts/login/?timeout=1&next=/patients/{world.patient_a.pk}/"
    )
    assert AuditEntry.objects.filter(action="accounts.session.timed_out").exists()
    assert (
        "signed out after a period of inactivity"
        in client.get(response["Location"]).content.decode()
    )
    assert client.get("/patients/").status_code == 302


def test_a_background_poll_after_the_idle_time_gets_nothing_and_leaves_the_message(
    world: Any, client: Client
) -> None:
    """A page's passive poll (the risk-flag banner) that arrives after the idle time gets no
    data; the page's own reload then signs the user out with the message and the audit entry,
    whichever comes first."""
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _login(client, "nurse@a.test", PASSWORD)
        assert client.get("/patients/").status_code == 200
        clock.shift(timedelta(minutes=16))
        poll = client.get("/safety/banner/", HTTP_X_KETACARE_PASSIVE="1")
        assert poll.status_code == 401 and poll.content == b""
        assert not AuditEntry.objects.filter(action="accounts.session.timed_out").exists()
        response = client.get("/patients/")
    assert response["Location"] == "/accounts/login/?timeout=1&next=/patients/"
    assert AuditEntry.objects.filter(action="accounts.session.timed_out").count() == 1


def test_keepalive_from_a_page_in_use_keeps_the_session(world: Any, client: Client) -> None:
    with time_machine.travel(timezone.now(), tick=False) as clock:
        _login(client, "nurse@a.test", PASSWORD)
        for _ in range(4):
            clock.shift(timedelta(minutes=10))
            assert client.post("/accounts/keepalive/").json() == {"ok": True}
        assert client.get("/patients/").status_code == 200


def test_sign_out_requires_post_and_is_audited(world: Any, client: Client) -> None:
    _login(client, "nurse@a.test", PASSWORD)
    assert client.get("/accounts/logout/").status_code == 405
    client.post("/accounts/logout/")
    assert AuditEntry.objects.filter(action="accounts.logout").exists()
    assert client.get("/patients/").status_code == 302


def test_person_in_two_clinics_chooses_one_and_sees_it_on_every_page(
    world: Any, client: Client
) -> None:
    make_staff(world.clinic_b, Role.NURSE, "nurse@a.test")
    _login(client, "nurse@a.test", PASSWORD)
    first = client.get("/patients/")
    assert first.status_code == 302 and first["Location"].startswith("/accounts/clinic/")
    chooser = client.get("/accounts/clinic/").content.decode()
    assert "Alpha Clinic" in chooser and "Beta Clinic" in chooser
    client.post("/accounts/clinic/", {"clinic": world.clinic_b.pk})
    page = client.get("/patients/").content.decode()
    assert 'data-testid="active-clinic">Beta Clinic' in page
    assert "Hopper, Grace" in page and "Lovelace" not in page
    assert AuditEntry.objects.filter(action="accounts.clinic.switched").exists()
    # Switching to a clinic one does not work at is refused.
    other = make_staff(world.clinic_a, Role.NURSE, "solo@a.test")
    solo = Client()
    solo.force_login(other)
    solo.post("/accounts/clinic/", {"clinic": world.clinic_b.pk})
    assert "Hopper" not in solo.get("/patients/").content.decode()


def test_open_redirect_after_sign_in_is_ignored(world: Any, client: Client) -> None:
    response = client.post(
        "/accounts/login/",
        {"username": "nurse@a.test", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"
