"""The audit log: append-only, hash-chained, verifiable, browsable and exportable."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.utils import DatabaseError

from ketacare.accounts.audit import Actor, AuditEntry, ChainProblem, record, verify_chain


def _problems() -> list[ChainProblem]:
    return [step for step in verify_chain() if isinstance(step, ChainProblem)]


def test_entries_chain_each_hash_to_the_previous_one(db: Any) -> None:
    first = record(Actor(label="a"), "test.one")
    second = record(Actor(label="b"), "test.two", detail={"n": 1})
    assert second.prev_hash == first.entry_hash
    assert second.seq == first.seq + 1
    assert _problems() == []


def test_the_application_cannot_update_or_delete_entries(db: Any) -> None:
    entry = record(Actor(label="a"), "test.one")
    entry.action = "test.changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


def _tamper(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE accounts_auditentry DISABLE TRIGGER audit_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE accounts_auditentry ENABLE TRIGGER audit_append_only")


def test_verify_finds_a_changed_entry(db: Any) -> None:
    for i in range(5):
        record(Actor(label="a"), f"test.{i}")
    target = AuditEntry.objects.get(action="test.2")
    _tamper("UPDATE accounts_auditentry SET actor_label = %s WHERE id = %s", ["mallory", target.pk])
    problems = _problems()
    assert [p.seq for p in problems] == [target.seq]
    assert "changed" in problems[0].reason


def test_verify_finds_a_removed_entry(db: Any) -> None:
    for i in range(4):
        record(Actor(label="a"), f"test.{i}")
    target = AuditEntry.objects.get(action="test.1")
    _tamper("DELETE FROM accounts_auditentry WHERE id = %s", [target.pk])
    assert [p.seq for p in _problems()] == [target.seq]


def test_verify_finds_a_removed_last_entry(db: Any) -> None:
    for i in range(3):
        record(Actor(label="a"), f"test.{i}")
    last = AuditEntry.objects.order_by("-seq").first()
    assert last is not None
    _tamper("DELETE FROM accounts_auditentry WHERE id = %s", [last.pk])
    assert [p.seq for p in _problems()] == [last.seq]


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_itself_refuses_to_update_the_log(db: Any) -> None:
    entry = record(Actor(label="a"), "test.one")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE accounts_auditentry SET action = 'x' WHERE id = %s", [entry.pk])


def test_cli_verify_exits_non_zero_and_names_the_first_bad_entry(db: Any) -> None:
    for i in range(3):
        record(Actor(label="a"), f"test.{i}")
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert "3 entries verified" in out.getvalue()
    target = AuditEntry.objects.get(action="test.1")
    _tamper("UPDATE accounts_auditentry SET detail = %s WHERE id = %s", ['{"x": 1}', target.pk])
    with pytest.raises(CommandError, match=f"#{target.seq}"):
        call_command("audit", "verify")


def test_admin_and_director_browse_only_their_clinics_entries(world: Any, as_user: Any) -> None:
    as_user(world.clinician_b).get(f"/patients/{world.patient_b.pk}/")
    as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/")
    for user in (world.admin_a, world.director_a):
        body = as_user(user).get("/accounts/audit/").content.decode()
        assert "patients.chart.viewed" in body and "nurse@a.test" in body
        assert "prescriber@b.test" not in body
    assert as_user(world.nurse_a).get("/accounts/audit/").status_code == 403
    assert as_user(world.clinician_b).get("/accounts/audit/").status_code == 403


def test_filter_by_patient_mrn_keeps_the_mrn_out_of_the_url(world: Any, as_user: Any) -> None:
    as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/")
    client = as_user(world.admin_a)
    response = client.post("/accounts/audit/", {"mrn": world.patient_a.mrn, "action": "patients"})
    assert response["Location"] == "/accounts/audit/"
    body = client.get("/accounts/audit/").content.decode()
    assert "patients.chart.viewed" in body and "accounts.login" not in body
    bad = client.post("/accounts/audit/", {"since": "2026-05-02", "until": "2026-05-01"})
    assert 'data-field="until"' in bad.content.decode()


def test_csv_export_is_audited_and_formula_safe(world: Any, as_user: Any, client: Any) -> None:
    client.post("/accounts/login/", {"username": "=HYPERLINK(1)", "password": "x"})
    world.admin_a.memberships.update()  # no-op: the failed sign-in has no clinic
    as_user(world.nurse_a).get(f"/patients/{world.patient_a.pk}/")
    response = as_user(world.admin_a).get("/accounts/audit/export.csv")
    assert response["Content-Type"] == "text/csv"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:5] == ["seq", "at", "user", "role", "action"]
    actions = [r[4] for r in rows[1:]]
    assert "patients.chart.viewed" in actions
    assert world.patient_a.mrn in {r[7] for r in rows[1:]}
    assert not any(cell.startswith("=") for row in rows for cell in row)
    assert AuditEntry.objects.filter(action="audit.log.exported").exists()
    assert as_user(world.therapist_a).get("/accounts/audit/export.csv").status_code == 403
