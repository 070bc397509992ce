"""Audit entries written inside a transaction join the hash chain when it commits.

Every audited write used to lock the single audit chain head row at its first entry and hold
that lock until commit, so every writing request of every clinic waited for the slowest one
in flight (200 patients submitting at once queued behind each other for seconds). Entries
recorded inside a transaction are now kept on the connection and appended, chained and
inserted in one statement, just before COMMIT: the head row is locked for that moment only.

What does not change: an entry is part of the same transaction as the change it describes
(both commit or neither does); an entry recorded inside a savepoint that is rolled back is
dropped with it, exactly as its INSERT would have been; the chain and `audit verify` are the
same. Outside a transaction (autocommit) an entry is written at once.

Under Django's TestCase (pytest-django's `db` fixture) the test's own transaction never
commits, so entries are appended when the outermost transaction of the code under test ends
(its savepoint is released inside the test's transaction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import DatabaseError

if TYPE_CHECKING:
    from ketacare.accounts.audit import AuditEntry


class AuditAtCommit:
    """Mixed into a Django DatabaseWrapper (before it in the bases)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit_pending: list[tuple[set[str | None], AuditEntry]] = []
        self._audit_flushing = False

    # --- what audit.record() asks -----------------------------------------------------------

    def audit_buffering(self) -> bool:
        """True when an entry recorded now should wait for this transaction's commit."""
        blocks = self.atomic_blocks  # type: ignore[attr-defined]
        return (
            not self._audit_flushing
            and self.in_atomic_block  # type: ignore[attr-defined]
            and any(not block._from_testcase for block in blocks)
        )

    def audit_defer(self, entry: AuditEntry) -> None:
        self.audit_pending.append((set(self.savepoint_ids), entry))  # type: ignore[attr-defined]

    # --- transaction events -----------------------------------------------------------------

    def _audit_flush(self) -> None:
        from ketacare.accounts.audit import append_entries

        entries = [entry for _, entry in self.audit_pending]
        self.audit_pending = []
        self._audit_flushing = True
        try:
            append_entries(entries)
        except DatabaseError:
            raise
        except Exception as exc:
            # Django's atomic() rolls back on a DatabaseError only; anything else failing
            # here must still abort the commit, never leave half a transaction behind.
            raise DatabaseError(f"audit entries could not be appended: {exc}") from exc
        finally:
            self._audit_flushing = False

    def commit(self) -> None:
        if self.audit_pending:
            self._audit_flush()
        super().commit()  # type: ignore[misc]

    def rollback(self) -> None:
        self.audit_pending = []
        super().rollback()  # type: ignore[misc]

    def close(self) -> None:
        self.audit_pending = []
        super().close()  # type: ignore[misc]

    def savepoint_rollback(self, sid: str) -> None:
        super().savepoint_rollback(sid)  # type: ignore[misc]
        self.audit_pending = [(sids, e) for sids, e in self.audit_pending if sid not in sids]

    def savepoint_commit(self, sid: str) -> None:
        blocks = self.atomic_blocks  # type: ignore[attr-defined]
        if (
            self.audit_pending
            and not self._audit_flushing
            and blocks
            and all(block._from_testcase for block in blocks)
        ):
            # Inside a test's transaction, which never commits: append before the code
            # under test's savepoint is released, so a failure rolls it back as a commit would.
            self._audit_flush()
        super().savepoint_commit(sid)  # type: ignore[misc]
