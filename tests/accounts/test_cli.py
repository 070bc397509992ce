"""The `ketacare` command: help, createuser, demo. Operators script these exact forms."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketacare.accounts.models import Clinic, Membership
from ketacare.demo.loader import PATIENTS_PER_CLINIC

ROOT = Path(__file__).parents[2]


def _ketacare(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  (our own command, fixed arguments)
        [sys.executable, "-m", "ketacare", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_help_lists_every_command() -> None:
    result = _ketacare("--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "demo", "createuser", "token", "audit"):
        assert f"  {command}" in result.stdout


@pytest.mark.parametrize("command", ["serve", "createuser", "token", "audit", "demo"])
def test_each_command_explains_itself(command: str) -> None:
    result = _ketacare(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_createuser_creates_the_clinic_and_the_user(db: Any) -> None:
    out = io.StringIO()
    call_command(
        "createuser",
        "--email",
        "Dr.Who@Example.org",
        "--password",
        "tardis-blue-box-1963",
        "--clinic",
        "Gallifrey Clinic",
        "--role",
        "prescriber",
        stdout=out,
    )
    assert "Created clinic Gallifrey Clinic" in out.getvalue()
    membership = Membership.objects.get(user__email="dr.who@example.org")
    assert membership.role == "prescriber" and membership.clinic.name == "Gallifrey Clinic"
    assert Clinic.objects.get(name="Gallifrey Clinic").mrn_prefix == "GAL"


def test_createuser_refuses_a_weak_password_clearly(db: Any) -> None:
    with pytest.raises(CommandError, match=r"password: .*(too common|too short)"):
        call_command(
            "createuser",
            "--email",
            "a@b.org",
            "--password",
            "password",
            "--clinic",
            "X Clinic",
            "--role",
            "nurse",
        )
    assert not Membership.objects.exists()


def test_createuser_refuses_an_unknown_role(db: Any) -> None:
    result = _ketacare(
        "createuser",
        "--email",
        "a@b.org",
        "--password",
        "x",
        "--clinic",
        "X",
        "--role",
        "surgeon",
        DATABASE_URL="sqlite:///:memory:",
    )
    assert result.returncode != 0
    assert "invalid choice: 'surgeon'" in result.stderr


def test_demo_loads_two_clinics_once_and_refreshes_on_request(db: Any) -> None:
    out = io.StringIO()
    call_command("demo", stdout=out)
    assert "admin@riverside.demo" in out.getvalue() and "ketacare-demo-2026" in out.getvalue()
    from ketacare.patients.models import Patient as P

    for clinic in Clinic.objects.all():
        assert P.objects.filter(clinic=clinic).count() == PATIENTS_PER_CLINIC
        roles = set(clinic.memberships.values_list("role", flat=True))
        assert roles == {"admin", "prescriber", "nurse", "therapist", "intake", "director"}
    # Preferred names are real short forms ("Chris"), never a cut first name ("Cha").
    from ketacare.demo.loader import NICKNAMES

    for given, preferred in P.objects.exclude(preferred_name="").values_list(
        "legal_given_name", "preferred_name"
    ):
        assert NICKNAMES[given] == preferred
    again = io.StringIO()
    call_command("demo", stdout=again)
    assert "already loaded" in again.getvalue()
    assert P.objects.count() == 2 * PATIENTS_PER_CLINIC
    call_command("demo", "--refresh", stdout=io.StringIO())
    assert P.objects.count() == 2 * PATIENTS_PER_CLINIC
    assert Membership.objects.filter(user__email="multi@network.demo").count() == 2
