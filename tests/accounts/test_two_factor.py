"""TOTP two-factor sign-in: optional by default, mandatory when the clinic says so."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.audit import AuditEntry
from tests.conftest import PASSWORD


def _code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=0)
    return f"{value:06d}"


def _sign_in(client: Client) -> None:
    client.post("/accounts/login/", {"username": "nurse@a.test", "password": PASSWORD})


def test_two_factor_is_off_by_default(world: Any, client: Client) -> None:
    _sign_in(client)
    assert client.get("/patients/").status_code == 200


def test_clinic_that_requires_two_factor_sends_staff_to_set_it_up(
    world: Any, client: Client
) -> None:
    world.clinic_a.mfa_required = True
    world.clinic_a.save()
    _sign_in(client)
    blocked = client.get(f"/patients/{world.patient_a.pk}/")
    assert blocked.status_code == 302 and blocked["Location"] == "/accounts/mfa/setup/"
    setup = client.get("/accounts/mfa/setup/")
    assert "<svg" in setup.content.decode()
    device = TOTPDevice.objects.get(user=world.nurse_a, confirmed=False)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        wrong_code = "000000" if _code(device) != "000000" else "111111"
        wrong = client.post("/accounts/mfa/setup/", {"code": wrong_code})
        assert 'data-field="code"' in wrong.content.decode()
        clock.shift(timedelta(seconds=5))  # django-otp throttles after a failure
        client.post("/accounts/mfa/setup/", {"code": _code(device)})
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(f"/patients/{world.patient_a.pk}/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.mfa.enrolled").exists()


def test_user_with_an_authenticator_must_enter_a_code_at_each_sign_in(
    world: Any, client: Client
) -> None:
    device = TOTPDevice.objects.create(user=world.nurse_a, name="phone", confirmed=True)
    _sign_in(client)
    assert client.get("/patients/")["Location"] == "/accounts/mfa/verify/"
    bad = client.post("/accounts/mfa/verify/", {"code": "12345"})
    assert "Enter the 6 digits" in bad.content.decode()
    assert AuditEntry.objects.filter(action="accounts.mfa.failed").count() == 0  # format error
    client.post("/accounts/mfa/verify/", {"code": _code(device)})
    assert client.get("/patients/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.mfa.verified").exists()


def test_admin_turns_mandatory_two_factor_on_and_it_is_audited(world: Any, as_user: Any) -> None:
    assert as_user(world.nurse_a).post("/accounts/settings/", {}).status_code == 403
    client = as_user(world.admin_a)
    client.post("/accounts/settings/", {"mfa_required": "on"})
    world.clinic_a.refresh_from_db()
    assert world.clinic_a.mfa_required
    assert AuditEntry.objects.filter(action="accounts.clinic.mfa_policy_changed").exists()
