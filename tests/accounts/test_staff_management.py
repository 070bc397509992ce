"""A clinic admin manages the staff of their own clinic, and only theirs."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.accounts.models import Membership, Role, User
from ketacare.accounts.permissions import MATRIX
from tests.conftest import PASSWORD

NEW = {
    "email": "New.Nurse@A.test",
    "full_name": "Noor Newman",
    "credentials": "RN",
    "role": "nurse",
    "password": "a-long-unusual-passphrase",
}


def test_admin_adds_a_new_nurse_who_can_then_sign_in(world: Any, as_user: Any, client: Any) -> None:
    response = as_user(world.admin_a).post("/accounts/staff/", NEW)
    assert response.status_code == 302
    membership = Membership.objects.get(user__email="new.nurse@a.test")
    assert membership.clinic == world.clinic_a and membership.role == Role.NURSE
    assert AuditEntry.objects.filter(action="accounts.staff.added").exists()
    assert User.objects.get(email="new.nurse@a.test").password.startswith("md5$")  # test hasher
    signed_in = client.post(
        "/accounts/login/", {"username": "new.nurse@a.test", "password": NEW["password"]}
    )
    assert signed_in.status_code == 302


def test_weak_password_and_bad_role_are_refused_naming_the_field(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    weak = client.post("/accounts/staff/", {**NEW, "password": "password1"})
    assert 'data-field="password"' in weak.content.decode()
    role = client.post("/accounts/staff/", {**NEW, "role": "surgeon"})
    assert 'data-field="role"' in role.content.decode()
    assert not User.objects.filter(email="new.nurse@a.test").exists()


def test_person_from_another_clinic_is_added_without_a_new_password(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.admin_a)
    client.post("/accounts/staff/", {"email": "prescriber@b.test", "role": "prescriber"})
    assert Membership.objects.filter(user=world.clinician_b).count() == 2
    assert world.clinician_b.check_password(PASSWORD)


def test_role_change_and_removal_are_audited_and_keep_one_admin(world: Any, as_user: Any) -> None:
    client = as_user(world.admin_a)
    nurse = Membership.objects.get(user=world.nurse_a)
    client.post(f"/accounts/staff/{nurse.pk}/role/", {"role": "prescriber"})
    nurse.refresh_from_db()
    assert nurse.role == Role.PRESCRIBER
    admin = Membership.objects.get(user=world.admin_a)
    client.post(f"/accounts/staff/{admin.pk}/role/", {"role": "nurse"})
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN  # the last admin cannot demote themself
    client.post(f"/accounts/staff/{nurse.pk}/remove/")
    nurse.refresh_from_db()
    assert not nurse.is_active
    assert as_user(world.nurse_a).get("/patients/").status_code == 302  # no clinic any more
    codes = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"accounts.staff.role_changed", "accounts.staff.removed"} <= codes


def test_admin_cannot_touch_another_clinics_staff(world: Any, as_user: Any) -> None:
    foreign = Membership.objects.get(user=world.clinician_b)
    client = as_user(world.admin_a)
    assert client.post(f"/accounts/staff/{foreign.pk}/role/", {"role": "nurse"}).status_code == 404
    assert client.post(f"/accounts/staff/{foreign.pk}/remove/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.is_active and foreign.role == Role.PRESCRIBER
    assert "prescriber@b.test" not in client.get("/accounts/staff/").content.decode()


def test_only_admins_manage_staff(world: Any, as_user: Any) -> None:
    for user in (world.prescriber_a, world.nurse_a, world.director_a, world.intake_a):
        assert as_user(user).get("/accounts/staff/").status_code == 403
        assert as_user(user).post("/accounts/staff/", NEW).status_code == 403
    assert not User.objects.filter(email="new.nurse@a.test").exists()


def test_the_permission_matrix_in_the_readme_matches_the_code() -> None:
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "src/ketacare/accounts/README.md").read_text()
    for perm, roles in MATRIX.items():
        line = next((ln for ln in readme.splitlines() if f"`{perm}`" in ln), None)
        assert line is not None, f"{perm} missing from accounts/README.md"
        cells = [c.strip() for c in line.strip().strip("|").split("|")][1:]
        expected = ["✓" if role in roles else "–" for role in Role]
        assert cells == expected, f"{perm}: README says {cells}, code says {expected}"
