"""Audit entries recorded inside a transaction join the chain when it commits.

The chain head row is locked only for the append itself, so one slow transaction no longer
holds up every other writer; and the entries still live and die with their transaction.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from ketacare.accounts import audit
from ketacare.accounts.audit import Actor, AuditEntry, ChainProblem, record, verify_chain
from ketacare.accounts.models import Clinic

ACTOR = Actor(label="tester")


def _problems() -> list[ChainProblem]:
    return [step for step in verify_chain() if isinstance(step, ChainProblem)]


def _actions() -> list[str]:
    return list(AuditEntry.objects.order_by("seq").values_list("action", flat=True))


def test_entries_of_a_transaction_are_chained_in_order_when_it_ends(db: Any) -> None:
    with transaction.atomic():
        first = record(ACTOR, "test.one")
        second = record(ACTOR, "test.two", detail={"n": 2})
        assert first.seq is None  # waiting for the commit
        assert not AuditEntry.objects.filter(action__startswith="test.").exists()
    assert _actions()[-2:] == ["test.one", "test.two"]
    assert second.prev_hash == first.entry_hash
    assert second.seq == first.seq + 1
    assert _problems() == []


def test_outside_a_transaction_an_entry_is_written_at_once(db: Any) -> None:
    entry = record(ACTOR, "test.now")
    assert AuditEntry.objects.get(pk=entry.pk).seq == entry.seq


def test_a_rolled_back_transaction_leaves_no_entry(db: Any) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        record(ACTOR, "test.lost")
        raise RuntimeError("the change failed")
    assert "test.lost" not in _actions()
    record(ACTOR, "test.after")
    assert _problems() == []


def test_an_entry_inside_a_rolled_back_savepoint_goes_with_it(db: Any) -> None:
    with transaction.atomic():
        record(ACTOR, "test.kept.before")
        try:
            with transaction.atomic():
                record(ACTOR, "test.inner")
                raise ValueError("inner step refused")
        except ValueError:
            pass
        record(ACTOR, "test.kept.after")
    assert _actions()[-2:] == ["test.kept.before", "test.kept.after"]
    assert "test.inner" not in _actions()
    assert _problems() == []


def test_a_failed_append_aborts_the_whole_transaction(
    db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(entries: list[AuditEntry]) -> None:
        raise ValueError("disk full")

    monkeypatch.setattr(audit, "append_entries", broken)
    with (
        pytest.raises(DatabaseError, match="audit entries could not be appended"),
        transaction.atomic(),
    ):
        Clinic.objects.create(name="Unaudited", slug="unaudited", mrn_prefix="UNA")
        record(ACTOR, "test.clinic.created")
    assert not Clinic.objects.filter(slug="unaudited").exists()


@pytest.mark.django_db(transaction=True)
def test_committed_transactions_append_and_verify() -> None:
    for i in range(3):
        with transaction.atomic():
            record(ACTOR, f"test.tx{i}.a")
            record(ACTOR, f"test.tx{i}.b")
    assert _actions()[-6:] == [f"test.tx{i}.{x}" for i in range(3) for x in "ab"]
    assert _problems() == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_an_open_transaction_does_not_hold_up_another_writer() -> None:
    """A transaction that has recorded an entry but not committed blocks nobody's audit."""
    recorded = threading.Event()
    release = threading.Event()
    errors: list[BaseException] = []

    def slow_writer() -> None:
        try:
            with transaction.atomic():
                record(ACTOR, "test.slow")
                recorded.set()
                release.wait(10)
        except BaseException as exc:  # reported to the test thread
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert recorded.wait(10)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        with transaction.atomic():
            record(ACTOR, "test.fast")  # would wait for the slow one if it held the head
        assert "test.fast" in _actions()
    finally:
        release.set()
        thread.join(10)
    assert errors == []
    assert _actions()[-2:] == ["test.fast", "test.slow"]
    assert _problems() == []
