"""API tokens: created and revoked by the user or an admin, shown once, stored hashed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import ApiToken, Membership, hash_token


def test_token_is_shown_once_and_stored_only_as_a_hash(
    world: Any, as_user: Any, api_client: Any
) -> None:
    client = as_user(world.nurse_a)
    response = client.post("/accounts/tokens/", {"name": "bedside tablet"})
    raw = response.context["new_secret"]
    assert raw.startswith("kc_") and raw in response.content.decode()
    token = ApiToken.objects.get(name="bedside tablet")
    assert token.token_hash == hash_token(raw) and raw not in token.token_hash
    assert raw not in client.get("/accounts/tokens/").content.decode()
    me = api_client(raw).get("/api/v1/me").json()
    assert me["email"] == "nurse@a.test" and me["clinic"] == "Alpha Clinic"
    assert me["role"] == "nurse" and "patients.view" in me["permissions"]


def test_revoked_token_stops_working_at_once(
    world: Any, as_user: Any, token_for: Any, api_client: Any
) -> None:
    raw = token_for(world.nurse_a)
    prefix = raw.split("_")[1]
    as_user(world.nurse_a).post(f"/accounts/tokens/{prefix}/revoke/")
    response = api_client(raw).get("/api/v1/me")
    assert response.status_code == 401
    assert AuditEntry.objects.filter(action="accounts.token.revoked").exists()
    assert AuditEntry.objects.filter(action="api.auth.failed").exists()


@pytest.mark.parametrize("lost", ["membership", "user"])
def test_token_stops_working_when_its_membership_or_user_is_deactivated(
    world: Any, token_for: Any, api_client: Any, lost: str
) -> None:
    raw = token_for(world.nurse_a)
    assert api_client(raw).get("/api/v1/me").json()["clinic"] == "Alpha Clinic"
    if lost == "membership":
        Membership.objects.filter(user=world.nurse_a).update(is_active=False)
    else:
        type(world.nurse_a).objects.filter(pk=world.nurse_a.pk).update(is_active=False)
    assert api_client(raw).get("/api/v1/me").status_code == 401


def test_token_of_one_clinic_acts_in_that_clinic_only(
    world: Any, token_for: Any, api_client: Any
) -> None:
    other = Membership.objects.create(user=world.nurse_a, clinic=world.clinic_b, role="admin")
    me = api_client(token_for(world.nurse_a, world.clinic_a)).get("/api/v1/me").json()
    assert me["clinic"] == "Alpha Clinic" and me["role"] == "nurse"
    me = api_client(token_for(world.nurse_a, other.clinic)).get("/api/v1/me").json()
    assert me["clinic"] == "Beta Clinic" and me["role"] == "admin"


def test_users_revoke_only_their_own_tokens_admins_any_in_their_clinic(
    world: Any, as_user: Any, token_for: Any
) -> None:
    nurse_prefix = token_for(world.nurse_a).split("_")[1]
    foreign_prefix = token_for(world.clinician_b).split("_")[1]
    assert (
        as_user(world.prescriber_a).post(f"/accounts/tokens/{nurse_prefix}/revoke/").status_code
        == 404
    )
    assert (
        as_user(world.admin_a).post(f"/accounts/tokens/{foreign_prefix}/revoke/").status_code == 404
    )
    assert (
        as_user(world.admin_a).post(f"/accounts/tokens/{nurse_prefix}/revoke/").status_code == 302
    )
    assert ApiToken.objects.get(prefix=foreign_prefix).is_active
    assert not ApiToken.objects.get(prefix=nurse_prefix).is_active


def test_admin_creates_a_token_for_a_colleague(world: Any, as_user: Any) -> None:
    nurse = Membership.objects.get(user=world.nurse_a)
    as_user(world.admin_a).post("/accounts/tokens/", {"name": "gateway", "membership": nurse.pk})
    assert ApiToken.objects.get(name="gateway").user == world.nurse_a
    foreign = Membership.objects.get(user=world.clinician_b)
    response = as_user(world.admin_a).post(
        "/accounts/tokens/", {"name": "sneaky", "membership": foreign.pk}
    )
    assert response.status_code == 404
    assert not ApiToken.objects.filter(name="sneaky").exists()


def test_removing_a_person_from_the_clinic_disables_their_tokens(
    world: Any, as_user: Any, token_for: Any, api_client: Any
) -> None:
    raw = token_for(world.nurse_a)
    nurse = Membership.objects.get(user=world.nurse_a)
    as_user(world.admin_a).post(f"/accounts/staff/{nurse.pk}/remove/")
    assert api_client(raw).get("/api/v1/me").status_code == 401


def test_cli_creates_a_token_printed_alone_and_revokes_it(world: Any, api_client: Any) -> None:
    out = io.StringIO()
    call_command("token", "create", "--user", "nurse@a.test", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("kc_") and "\n" not in raw
    assert api_client(raw).get("/api/v1/me").status_code == 200
    call_command("token", "revoke", raw.split("_")[1], stdout=io.StringIO())
    assert api_client(raw).get("/api/v1/me").status_code == 401
    with pytest.raises(CommandError, match="user: no active staff member"):
        call_command("token", "create", "--user", "nobody@a.test")
    with pytest.raises(CommandError, match="prefix"):
        call_command("token", "revoke", "zzzzzzzz")


def test_cli_asks_which_clinic_for_a_person_in_two(world: Any) -> None:
    from tests.conftest import make_staff

    make_staff(world.clinic_b, "nurse", "nurse@a.test")
    with pytest.raises(CommandError, match="pass --clinic"):
        call_command("token", "create", "--user", "nurse@a.test")
    out = io.StringIO()
    call_command("token", "create", "--user", "nurse@a.test", "--clinic", "Beta Clinic", stdout=out)
    assert (
        ApiToken.objects.get(token_hash=hash_token(out.getvalue().strip())).clinic == world.clinic_b
    )
